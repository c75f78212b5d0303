"""Webhook subscriptions, their deliveries and attempts, and the positions of the event feeds.

Imported by helpdesk/models.py, so these tables belong to the helpdesk app (its migrations).
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class WebhookEventType(models.TextChoices):
    TICKET_CREATED = "ticket.created", "Ticket created"
    TICKET_UPDATED = "ticket.updated", "Ticket updated"
    MESSAGE_CREATED = "message.created", "Message created"
    SLA_WARNING = "sla.warning", "SLA warning"
    SLA_BREACH = "sla.breach", "SLA breach"
    SLA_FULFILLED = "sla.fulfilled", "SLA fulfilled"
    SURVEY_ANSWERED = "survey.answered", "Survey answered"
    # Sent only when a rule's or macro's "call a webhook" action names this subscription: ticking
    # them is how an endpoint agrees to be called by automation (docs/webhooks.md).
    AUTOMATION_RULE_FIRED = "automation.rule_fired", "Called by an automation rule"
    AUTOMATION_MACRO_APPLIED = "automation.macro_applied", "Called by a macro"


class WebhookSource(models.TextChoices):
    """Where a delivery came from, and what its `source_id` is the id of.

    Fanned out from an event log: the ticket or SLA event. Enqueued one-off (with a `dedupe_key`):
    the rule or macro whose webhook action ran, or the survey answered.
    """

    TICKET_EVENT = "ticket_event", "Ticket event"
    SLA_EVENT = "sla_event", "SLA event"
    RULE = "rule", "Automation rule"
    MACRO = "macro", "Macro"
    SURVEY = "survey", "Survey answer"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookSubscription(models.Model):
    """An endpoint that receives the chosen event types, signed with its secret.

    `secret` is kept in plain text because every delivery is signed with it; it is shown once,
    when created or rotated, and never listed. After a rotation that keeps the previous secret,
    deliveries carry a signature made with each until `previous_secret_expires_at`.
    """

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=2000)
    event_types = ArrayField(models.CharField(max_length=32, choices=WebhookEventType.choices))
    include_internal_notes = models.BooleanField(
        default=False,
        help_text="Send message.created for internal notes too (with their text). Off: only public replies.",
    )
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # The current run of failures since the last delivered attempt: when it began, and how many
    # deliveries gave up in it. Either growing too long disables the subscription.
    failing_since = models.DateTimeField(null=True, blank=True)
    failed_deliveries_in_row = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "helpdesk.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_auto_disabled(self) -> bool:
        return not self.is_active and bool(self.disabled_reason)

    def wants(self, event_type: str, *, is_internal: bool) -> bool:
        """Return whether this subscription receives an event of `event_type`."""
        if event_type not in self.event_types:
            return False
        return not is_internal or self.include_internal_notes


class WebhookDelivery(models.Model):
    """One event for one subscription: its payload, fixed at fan-out, and where its sending stands.

    Exactly one per (subscription, source row) for fanned-out events, and per (subscription,
    `dedupe_key`) for one-off deliveries (a rule's webhook action, a survey answer) — the unique
    constraints are what make overlapping fan-outs and re-run writes harmless. `next_attempt_at` is when it is due (indexed while pending; NULL while a
    disabled subscription's deliveries wait). A claim sets `claim_token` and pushes
    `next_attempt_at` one lease ahead; the task holding the token sends.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=32, choices=WebhookEventType.choices)
    source = models.CharField(max_length=16, choices=WebhookSource.choices)
    source_id = models.BigIntegerField()
    # Empty for fanned-out deliveries; names the occurrence for one-off ones ("rule:3:ticket:301:…").
    dedupe_key = models.CharField(max_length=200, blank=True, default="", editable=False)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    attempts_allowed = models.PositiveSmallIntegerField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    redelivered_at = models.DateTimeField(null=True, blank=True)
    redelivered_by = models.ForeignKey(
        "helpdesk.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "source", "source_id"],
                condition=Q(dedupe_key=""),
                name="webhook_delivery_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["subscription", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="webhook_delivery_once_per_key",
            ),
        ]
        indexes = [
            # The dispatcher's only read: pending deliveries whose attempt (or lease) is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending", next_attempt_at__isnull=False),
                name="webhook_delivery_due_idx",
            ),
            # The delivery log, per subscription and overall, newest first (keyset pages).
            models.Index(fields=["subscription", "created_at", "id"], name="webhook_delivery_log_idx"),
            models.Index(fields=["created_at", "id"], name="webhook_delivery_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery and its answer (status code and the start of the body) or error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    response_body = models.TextField(blank=True)
    is_success = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}: {self.status_code or self.error}"


class WebhookFeedCursor(models.Model):
    """How far fan-out has read one source table: its position and the ids below it not seen yet.

    See helpdesk/webhooks/feed.py. Locked (SKIP LOCKED) by the fan-out, so overlapping sweeps
    never read the same rows twice.
    """

    source = models.CharField(max_length=16, choices=WebhookSource.choices, primary_key=True)
    position = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.source} at {self.position} ({len(self.gaps)} gaps)"
