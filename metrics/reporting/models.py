"""Metric tables: one fact per ticket, rollups per day/week/month and slice, live figures, targets.

Facts and rollups are derived data: `manage.py metrics_rebuild` recomputes them from the event
logs, and the beat sweep keeps them current (metrics/reporting/refresh.py). Columns of other
apps' rows are plain integers, not foreign keys, so metrics never blocks a delete elsewhere
(the ticket itself is a cascading key: a deleted ticket takes its fact with it).
Registered through metrics/models.py.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from metrics.reporting import histogram
from metrics.reporting.targets import DEFAULT_RULES


class SlaOutcomeChoice(models.TextChoices):
    NONE = "", "No SLA"
    PENDING = "pending", "Not decided yet"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


def _instant_index(field: str) -> models.Index:
    return models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=f"fact_{field}_idx")


class TicketFact(models.Model):
    """One ticket as the metrics see it; see metrics/reporting/facts.py for every column's rule."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    created_at = models.DateTimeField()
    status = models.CharField(max_length=12)
    is_excluded = models.BooleanField(default=False, help_text="Merged, spam or duplicate: counts nowhere.")
    team_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    category_id = models.BigIntegerField(null=True)
    organization_id = models.BigIntegerField(null=True)
    priority = models.CharField(max_length=2)
    channel = models.CharField(max_length=8)
    tier = models.CharField(max_length=16)
    first_response_at = models.DateTimeField(null=True)
    frt_seconds = models.IntegerField(null=True)
    frt_business_seconds = models.IntegerField(null=True)
    first_resolved_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True)
    ttr_seconds = models.IntegerField(null=True)
    ttr_business_seconds = models.IntegerField(null=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    agent_replies = models.PositiveIntegerField(default=0)
    is_escalated = models.BooleanField(default=False)
    is_fcr = models.BooleanField(default=False)
    response_sla = models.CharField(max_length=8, choices=SlaOutcomeChoice.choices, blank=True)
    response_sla_at = models.DateTimeField(null=True)
    response_target_used = models.IntegerField(null=True, help_text="Hundredths of a percent.")
    resolution_sla = models.CharField(max_length=8, choices=SlaOutcomeChoice.choices, blank=True)
    resolution_sla_at = models.DateTimeField(null=True)
    resolution_target_used = models.IntegerField(null=True, help_text="Hundredths of a percent.")
    breached_at = models.DateTimeField(null=True)
    severely_breached_at = models.DateTimeField(null=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # A rollup day is recomputed from the facts with any instant on it: one range each.
            models.Index(fields=["created_at"], name="fact_created_at_idx"),
            _instant_index("first_response_at"),
            _instant_index("first_resolved_at"),
            _instant_index("resolved_at"),
            _instant_index("response_sla_at"),
            _instant_index("resolution_sla_at"),
            _instant_index("breached_at"),
            _instant_index("severely_breached_at"),
            # An organization's tier change finds the facts still carrying the old one.
            models.Index(fields=["organization_id", "tier"], name="fact_organization_idx"),
        ]

    def __str__(self) -> str:
        return f"fact of ticket {self.ticket_id}"


class RollupGrain(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "ISO week"
    MONTH = "month", "Month"
    # The named periods ending on the day of the last refresh, and the windows before them: each
    # row the sum of the day, week and month rows making up its window (periods.trailing_windows).
    LAST_WEEK = "p1w", "7 days"
    LAST_MONTH = "p1m", "30 days"
    LAST_HALF_YEAR = "p6m", "182 days"


def _counts(size: int) -> ArrayField:
    return ArrayField(models.IntegerField(), size=size)


class MetricRollup(models.Model):
    """Additive measures of one slice over one UTC day, ISO week or month.

    Day rows are recomputed from facts and survey answers (metrics/reporting/aggregate.py);
    a week or month row is the sum of its day rows. A slice is (dimension, key): ("all", ""),
    ("team", "<team id>"), ("priority", "p1") …; key "" under a dimension means "none set".
    """

    grain = models.CharField(max_length=5, choices=RollupGrain.choices)
    period_start = models.DateField()
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=32, blank=True)
    created = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    frt_sum = models.BigIntegerField(default=0)
    frt_business_sum = models.BigIntegerField(default=0)
    response_used_sum = models.BigIntegerField(default=0)
    response_used_count = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_by_agents = models.IntegerField(default=0)
    agent_days = models.IntegerField(default=0)
    ttr_sum = models.BigIntegerField(default=0)
    ttr_business_sum = models.BigIntegerField(default=0)
    fcr = models.IntegerField(default=0)
    resolution_used_sum = models.BigIntegerField(default=0)
    resolution_used_count = models.IntegerField(default=0)
    first_resolved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    response_met = models.IntegerField(default=0)
    response_total = models.IntegerField(default=0)
    resolution_met = models.IntegerField(default=0)
    resolution_total = models.IntegerField(default=0)
    breached = models.IntegerField(default=0)
    severe = models.IntegerField(default=0)
    csat_responses = models.IntegerField(default=0)
    csat_satisfied = models.IntegerField(default=0)
    csat_score_sum = models.IntegerField(default=0)
    ces_responses = models.IntegerField(default=0)
    ces_score_sum = models.IntegerField(default=0)
    nps_responses = models.IntegerField(default=0)
    nps_promoters = models.IntegerField(default=0)
    nps_detractors = models.IntegerField(default=0)
    arrivals_by_hour = _counts(24)  # UTC hour of creation
    frt_hist = _counts(histogram.BUCKETS)
    frt_business_hist = _counts(histogram.BUCKETS)
    ttr_hist = _counts(histogram.BUCKETS)
    ttr_business_hist = _counts(histogram.BUCKETS)
    # Only on the named periods' rows (grains p1w, p1m, p6m): aggregate.QUANTILES of the histograms
    # above, in seconds (None for an empty one). Not additive, so never summed.
    quantiles = ArrayField(models.FloatField(null=True), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "period_start", "dimension", "key"], name="metric_rollup_one_per_slice"
            ),
        ]
        indexes = [
            # One slice's rows over a window (summaries, series, heatmaps).
            models.Index(fields=["dimension", "key", "grain", "period_start"], name="metric_rollup_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.period_start} {self.dimension}={self.key}"


class MetricSnapshot(models.Model):
    """Figures about now (open tickets), per slice; replaced as a whole by every sweep."""

    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=32, blank=True)
    open = models.IntegerField(default=0)
    unassigned = models.IntegerField(default=0)
    waiting = models.IntegerField(default=0, help_text="Pending or on hold.")
    age_under_1d = models.IntegerField(default=0)
    age_1_to_3d = models.IntegerField(default=0)
    age_3_to_7d = models.IntegerField(default=0)
    age_7_to_30d = models.IntegerField(default=0)
    age_over_30d = models.IntegerField(default=0)
    breached = models.IntegerField(default=0)
    at_risk = models.IntegerField(default=0)
    severe = models.IntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key"], name="metric_snapshot_one_per_slice"),
        ]

    def __str__(self) -> str:
        return f"now {self.dimension}={self.key}"


TARGET_KEYS = [(rule.key, rule.label) for rule in DEFAULT_RULES]


class MetricTarget(models.Model):
    """A figure's target and warning level, edited in the admin (defaults: metrics/reporting/targets.py).

    Good between good_min and good_max, bad below warn_min or above warn_max, watch in between;
    empty bounds do not apply. Values are in the unit shown (percent 0–100, hours, score, count).
    """

    key = models.CharField(max_length=32, unique=True, choices=TARGET_KEYS)
    unit = models.CharField(max_length=8, editable=False)
    good_min = models.FloatField(null=True, blank=True)
    good_max = models.FloatField(null=True, blank=True)
    warn_min = models.FloatField(null=True, blank=True)
    warn_max = models.FloatField(null=True, blank=True)
    compare_to_previous = models.BooleanField(
        default=False, help_text="Good when the count fell against the previous period (trending down)."
    )
    source = models.CharField(max_length=120, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.get_key_display()


class MetricRefreshState(models.Model):
    """The sweep's watermarks, one row (id 1); locked by the running sweep so runs never overlap."""

    ticket_event_id = models.BigIntegerField(default=0)
    sla_event_id = models.BigIntegerField(default=0)
    # Event ids below the watermark not yet visible when it moved (a transaction still open):
    # [[low, high, "<first seen, ISO>"], …]; read again until they appear or are too old to be open.
    ticket_event_gaps = models.JSONField(default=list, blank=True)
    sla_event_gaps = models.JSONField(default=list, blank=True)
    # Days whose rollup rows still need recomputing (ISO dates), when a run touched more days
    # than it recomputes at once (an import, an organization's tier change): newest first.
    pending_days = models.JSONField(default=list, blank=True)
    surveys_until = models.DateTimeField(null=True, blank=True)
    organizations_until = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    snapshot_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    # The UTC day whose named-period windows the trailing-window rollup rows hold.
    windows_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="metric_refresh_state_singleton")]

    def __str__(self) -> str:
        return "metrics refresh state"


class MetricDirtyTicket(models.Model):
    """A ticket whose fact must be recomputed (queued by the sweep, taken in batches)."""

    ticket_id = models.BigIntegerField(primary_key=True)
    queued_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} to recompute"
