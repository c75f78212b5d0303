# The metric fact, rollup, live-figure, target and refresh-state tables (issue 6), written from
# `makemigrations` output; the targets are seeded from the reference (metrics/reporting/targets.py
# at the time of writing, copied here so the migration never imports app code).

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

TARGETS = [
    # key, unit, good_min, good_max, warn_min, warn_max, compare_to_previous, source
    ("csat", "percent", 90, None, 85, None, False, "reference"),
    ("frt", "hours", None, 1, None, 4, False, "reference"),
    ("ttr", "hours", None, 24, None, 72, False, "reference"),
    ("fcr", "percent", 70, None, 50, None, False, "reference"),
    ("nps", "score", 30, None, 10, None, False, "reference"),
    ("ces", "score", 6, None, 5, None, False, "reference (mirrored); warning: product"),
    ("reopen_rate", "percent", None, 5, None, 10, False, "reference"),
    ("escalation_rate", "percent", 10, 20, None, 30, False, "reference"),
    ("deflection_rate", "percent", 30, None, 20, None, False, "reference"),
    ("article_helpfulness", "percent", 80, None, 60, None, False, "reference"),
    ("response_sla", "percent", 95, None, 90, None, False, "reference; warning: product"),
    ("resolution_sla", "percent", 90, None, 80, None, False, "reference; warning: product"),
    ("response_of_target", "percent", None, 50, None, 80, False, "reference; warning: product (the 80 % alert level)"),
    ("resolution_of_target", "percent", None, 75, None, 100, False, "reference; warning: product (the breach level)"),
    ("breaches", "count", None, None, None, None, True, "reference"),
    ("severe_breaches", "count", None, 0, None, 0, False, "reference"),
    ("queue_depth", "count", None, 9, None, 25, False, "reference"),
    ("backlog", "count", None, None, None, None, False, "reference gives no number"),
    ("tickets_per_agent_day", "count", None, None, None, None, False, "reference gives no number"),
    ("breached_now", "count", None, 0, None, 0, False, "product: any open breach is a miss"),
    ("at_risk", "count", None, 0, None, None, False, "product: watch any ticket at risk"),
]


def seed_targets(apps, schema_editor):
    MetricTarget = apps.get_model("metrics", "MetricTarget")
    for key, unit, good_min, good_max, warn_min, warn_max, compare, source in TARGETS:
        MetricTarget.objects.get_or_create(
            key=key,
            defaults={
                "unit": unit,
                "good_min": good_min,
                "good_max": good_max,
                "warn_min": warn_min,
                "warn_max": warn_max,
                "compare_to_previous": compare,
                "source": source,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0003_weekly_report"),
        ("tickets", "0006_ticketevent_satisfaction_rated"),
    ]

    operations = [
        migrations.CreateModel(
            name='MetricDirtyTicket',
            fields=[
                ('ticket_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('queued_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name='MetricRefreshState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ticket_event_id', models.BigIntegerField(default=0)),
                ('sla_event_id', models.BigIntegerField(default=0)),
                ('ticket_event_gaps', models.JSONField(blank=True, default=list)),
                ('sla_event_gaps', models.JSONField(blank=True, default=list)),
                ('pending_days', models.JSONField(blank=True, default=list)),
                ('surveys_until', models.DateTimeField(blank=True, null=True)),
                ('organizations_until', models.DateTimeField(blank=True, null=True)),
                ('refreshed_at', models.DateTimeField(blank=True, null=True)),
                ('snapshot_at', models.DateTimeField(blank=True, null=True)),
                ('rebuilt_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='MetricRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grain', models.CharField(choices=[('day', 'Day'), ('week', 'ISO week'), ('month', 'Month')], max_length=5)),
                ('period_start', models.DateField()),
                ('dimension', models.CharField(max_length=16)),
                ('key', models.CharField(blank=True, max_length=32)),
                ('created', models.IntegerField(default=0)),
                ('escalated', models.IntegerField(default=0)),
                ('responded', models.IntegerField(default=0)),
                ('frt_sum', models.BigIntegerField(default=0)),
                ('frt_business_sum', models.BigIntegerField(default=0)),
                ('response_used_sum', models.BigIntegerField(default=0)),
                ('response_used_count', models.IntegerField(default=0)),
                ('resolved', models.IntegerField(default=0)),
                ('resolved_by_agents', models.IntegerField(default=0)),
                ('agent_days', models.IntegerField(default=0)),
                ('ttr_sum', models.BigIntegerField(default=0)),
                ('ttr_business_sum', models.BigIntegerField(default=0)),
                ('fcr', models.IntegerField(default=0)),
                ('resolution_used_sum', models.BigIntegerField(default=0)),
                ('resolution_used_count', models.IntegerField(default=0)),
                ('first_resolved', models.IntegerField(default=0)),
                ('reopened', models.IntegerField(default=0)),
                ('response_met', models.IntegerField(default=0)),
                ('response_total', models.IntegerField(default=0)),
                ('resolution_met', models.IntegerField(default=0)),
                ('resolution_total', models.IntegerField(default=0)),
                ('breached', models.IntegerField(default=0)),
                ('severe', models.IntegerField(default=0)),
                ('csat_responses', models.IntegerField(default=0)),
                ('csat_satisfied', models.IntegerField(default=0)),
                ('csat_score_sum', models.IntegerField(default=0)),
                ('ces_responses', models.IntegerField(default=0)),
                ('ces_score_sum', models.IntegerField(default=0)),
                ('nps_responses', models.IntegerField(default=0)),
                ('nps_promoters', models.IntegerField(default=0)),
                ('nps_detractors', models.IntegerField(default=0)),
                ('arrivals_by_hour', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=24)),
                ('frt_hist', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=49)),
                ('frt_business_hist', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=49)),
                ('ttr_hist', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=49)),
                ('ttr_business_hist', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), size=49)),
            ],
        ),
        migrations.CreateModel(
            name='MetricSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dimension', models.CharField(max_length=16)),
                ('key', models.CharField(blank=True, max_length=32)),
                ('open', models.IntegerField(default=0)),
                ('unassigned', models.IntegerField(default=0)),
                ('waiting', models.IntegerField(default=0, help_text='Pending or on hold.')),
                ('age_under_1d', models.IntegerField(default=0)),
                ('age_1_to_3d', models.IntegerField(default=0)),
                ('age_3_to_7d', models.IntegerField(default=0)),
                ('age_7_to_30d', models.IntegerField(default=0)),
                ('age_over_30d', models.IntegerField(default=0)),
                ('breached', models.IntegerField(default=0)),
                ('at_risk', models.IntegerField(default=0)),
                ('severe', models.IntegerField(default=0)),
                ('computed_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='MetricTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(choices=[('csat', 'CSAT'), ('frt', 'First response time'), ('ttr', 'Time to resolution'), ('fcr', 'First contact resolution'), ('nps', 'NPS'), ('ces', 'CES (ease, 1–7)'), ('reopen_rate', 'Reopen rate'), ('escalation_rate', 'Escalation rate'), ('deflection_rate', 'Deflection rate'), ('article_helpfulness', 'Article helpfulness'), ('response_sla', 'Response SLA'), ('resolution_sla', 'Resolution SLA'), ('response_of_target', 'Response time as % of SLA'), ('resolution_of_target', 'Resolution time as % of SLA'), ('breaches', 'Breaches'), ('severe_breaches', 'Severe breaches'), ('queue_depth', 'Queue depth (open, unassigned)'), ('backlog', 'Backlog (open > 24 h)'), ('tickets_per_agent_day', 'Tickets per agent per day'), ('breached_now', 'Breached now'), ('at_risk', 'At risk now')], max_length=32, unique=True)),
                ('unit', models.CharField(editable=False, max_length=8)),
                ('good_min', models.FloatField(blank=True, null=True)),
                ('good_max', models.FloatField(blank=True, null=True)),
                ('warn_min', models.FloatField(blank=True, null=True)),
                ('warn_max', models.FloatField(blank=True, null=True)),
                ('compare_to_previous', models.BooleanField(default=False, help_text='Good when the count fell against the previous period (trending down).')),
                ('source', models.CharField(blank=True, max_length=120)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['key'],
            },
        ),
        migrations.CreateModel(
            name='TicketFact',
            fields=[
                ('ticket', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='tickets.ticket')),
                ('created_at', models.DateTimeField()),
                ('status', models.CharField(max_length=12)),
                ('is_excluded', models.BooleanField(default=False, help_text='Merged, spam or duplicate: counts nowhere.')),
                ('team_id', models.BigIntegerField(null=True)),
                ('assignee_id', models.BigIntegerField(null=True)),
                ('category_id', models.BigIntegerField(null=True)),
                ('organization_id', models.BigIntegerField(null=True)),
                ('priority', models.CharField(max_length=2)),
                ('channel', models.CharField(max_length=8)),
                ('tier', models.CharField(max_length=16)),
                ('first_response_at', models.DateTimeField(null=True)),
                ('frt_seconds', models.IntegerField(null=True)),
                ('frt_business_seconds', models.IntegerField(null=True)),
                ('first_resolved_at', models.DateTimeField(null=True)),
                ('resolved_at', models.DateTimeField(null=True)),
                ('ttr_seconds', models.IntegerField(null=True)),
                ('ttr_business_seconds', models.IntegerField(null=True)),
                ('reopen_count', models.PositiveSmallIntegerField(default=0)),
                ('agent_replies', models.PositiveIntegerField(default=0)),
                ('is_escalated', models.BooleanField(default=False)),
                ('is_fcr', models.BooleanField(default=False)),
                ('response_sla', models.CharField(blank=True, choices=[('', 'No SLA'), ('pending', 'Not decided yet'), ('met', 'Met'), ('breached', 'Breached')], max_length=8)),
                ('response_sla_at', models.DateTimeField(null=True)),
                ('response_target_used', models.IntegerField(help_text='Hundredths of a percent.', null=True)),
                ('resolution_sla', models.CharField(blank=True, choices=[('', 'No SLA'), ('pending', 'Not decided yet'), ('met', 'Met'), ('breached', 'Breached')], max_length=8)),
                ('resolution_sla_at', models.DateTimeField(null=True)),
                ('resolution_target_used', models.IntegerField(help_text='Hundredths of a percent.', null=True)),
                ('breached_at', models.DateTimeField(null=True)),
                ('severely_breached_at', models.DateTimeField(null=True)),
                ('computed_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddIndex(
            model_name='survey',
            index=models.Index(condition=models.Q(('score__isnull', False)), fields=['answered_at'], name='survey_answered_idx'),
        ),
        migrations.AddIndex(
            model_name='survey',
            index=models.Index(condition=models.Q(('updated_at__isnull', False)), fields=['updated_at'], name='survey_updated_idx'),
        ),
        migrations.AddConstraint(
            model_name='metricrefreshstate',
            constraint=models.CheckConstraint(condition=models.Q(('id', 1)), name='metric_refresh_state_singleton'),
        ),
        migrations.AddIndex(
            model_name='metricrollup',
            index=models.Index(fields=['dimension', 'key', 'grain', 'period_start'], name='metric_rollup_key_idx'),
        ),
        migrations.AddConstraint(
            model_name='metricrollup',
            constraint=models.UniqueConstraint(fields=('grain', 'period_start', 'dimension', 'key'), name='metric_rollup_one_per_slice'),
        ),
        migrations.AddConstraint(
            model_name='metricsnapshot',
            constraint=models.UniqueConstraint(fields=('dimension', 'key'), name='metric_snapshot_one_per_slice'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(fields=['created_at'], name='fact_created_at_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(condition=models.Q(('first_response_at__isnull', False)), fields=['first_response_at'], name='fact_first_response_at_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(condition=models.Q(('first_resolved_at__isnull', False)), fields=['first_resolved_at'], name='fact_first_resolved_at_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(condition=models.Q(('resolved_at__isnull', False)), fields=['resolved_at'], name='fact_resolved_at_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(condition=models.Q(('response_sla_at__isnull', False)), fields=['response_sla_at'], name='fact_response_sla_at_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(condition=models.Q(('resolution_sla_at__isnull', False)), fields=['resolution_sla_at'], name='fact_resolution_sla_at_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(condition=models.Q(('breached_at__isnull', False)), fields=['breached_at'], name='fact_breached_at_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(condition=models.Q(('severely_breached_at__isnull', False)), fields=['severely_breached_at'], name='fact_severely_breached_at_idx'),
        ),
        migrations.AddIndex(
            model_name='ticketfact',
            index=models.Index(fields=['organization_id', 'tier'], name='fact_organization_idx'),
        ),
        migrations.RunPython(seed_targets, migrations.RunPython.noop),
    ]
