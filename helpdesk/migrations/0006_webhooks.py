"""Outgoing webhooks (issue 7): subscriptions, deliveries, attempts, feed cursors.

Also the notification kind for a subscription disabled after repeated failures.
"""

import uuid

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0005_notification_kind_survey_follow_up"),
        ("tickets", "0002_event_log_append_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookFeedCursor",
            fields=[
                (
                    "source",
                    models.CharField(
                        choices=[("ticket_event", "Ticket event"), ("sla_event", "SLA event")],
                        max_length=16,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("position", models.BigIntegerField(default=0)),
                ("gaps", models.JSONField(blank=True, default=list)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("assigned", "Assigned to you"),
                    ("mentioned", "Mentioned"),
                    ("sla_warning", "SLA warning"),
                    ("sla_breach", "SLA breach"),
                    ("sla_severe_breach", "Severe SLA breach"),
                    ("escalated", "Escalated to your team"),
                    ("survey_follow_up", "Low satisfaction score to follow up"),
                    ("webhook_disabled", "Webhook disabled after failures"),
                ],
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="WebhookSubscription",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("url", models.URLField(max_length=2000)),
                (
                    "event_types",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(
                            choices=[
                                ("ticket.created", "Ticket created"),
                                ("ticket.updated", "Ticket updated"),
                                ("message.created", "Message created"),
                                ("sla.warning", "SLA warning"),
                                ("sla.breach", "SLA breach"),
                                ("sla.fulfilled", "SLA fulfilled"),
                                ("survey.answered", "Survey answered"),
                            ],
                            max_length=32,
                        ),
                        size=None,
                    ),
                ),
                (
                    "include_internal_notes",
                    models.BooleanField(
                        default=False,
                        help_text="Send message.created for internal notes too (with their text). Off: only public replies.",
                    ),
                ),
                ("secret", models.CharField(editable=False, max_length=100)),
                ("previous_secret", models.CharField(blank=True, editable=False, max_length=100)),
                ("previous_secret_expires_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("is_active", models.BooleanField(default=True)),
                ("disabled_at", models.DateTimeField(blank=True, null=True)),
                ("disabled_reason", models.CharField(blank=True, max_length=200)),
                ("failing_since", models.DateTimeField(blank=True, null=True)),
                ("failed_deliveries_in_row", models.PositiveIntegerField(default=0)),
                ("last_success_at", models.DateTimeField(blank=True, null=True)),
                ("last_failure_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "event_type",
                    models.CharField(
                        choices=[
                            ("ticket.created", "Ticket created"),
                            ("ticket.updated", "Ticket updated"),
                            ("message.created", "Message created"),
                            ("sla.warning", "SLA warning"),
                            ("sla.breach", "SLA breach"),
                            ("sla.fulfilled", "SLA fulfilled"),
                            ("survey.answered", "Survey answered"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[("ticket_event", "Ticket event"), ("sla_event", "SLA event")], max_length=16
                    ),
                ),
                ("source_id", models.BigIntegerField()),
                ("payload", models.JSONField()),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed")],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("attempt_count", models.PositiveSmallIntegerField(default=0)),
                ("attempts_allowed", models.PositiveSmallIntegerField()),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("claim_token", models.CharField(blank=True, default="", max_length=32)),
                ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("last_status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("last_error", models.CharField(blank=True, max_length=200)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                ("redelivered_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "redelivered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tickets.ticket",
                    ),
                ),
                (
                    "subscription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="helpdesk.webhooksubscription",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookAttempt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField()),
                ("started_at", models.DateTimeField()),
                ("duration_ms", models.PositiveIntegerField(default=0)),
                ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("error", models.CharField(blank=True, max_length=200)),
                ("response_body", models.TextField(blank=True)),
                ("is_success", models.BooleanField(default=False)),
                (
                    "delivery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attempts",
                        to="helpdesk.webhookdelivery",
                    ),
                ),
            ],
            options={
                "ordering": ["delivery", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("delivery", "number"), name="webhook_attempt_number_unique"
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("next_attempt_at__isnull", False), ("status", "pending")),
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(fields=["subscription", "created_at", "id"], name="webhook_delivery_log_idx"),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(fields=["created_at", "id"], name="webhook_delivery_created_idx"),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                fields=("subscription", "source", "source_id"), name="webhook_delivery_once_per_event"
            ),
        ),
    ]
