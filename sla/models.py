"""SLA calendars, policies (versioned), and per-ticket clocks with their append-only event log.

Rows persist inputs (calendars, policy targets) and cached outputs (a clock's due instant and
next check instant); the rules that compute them live in sla/clock.py, sla/calendars.py and
sla/derive.py as pure functions.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from helpdesk.models import CustomerTier
from tickets.models import Channel, Priority, TicketStatus


class BusinessCalendar(models.Model):
    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    is_24_7 = models.BooleanField(
        default=False, help_text="Always open; weekly hours and holidays are ignored."
    )
    is_default = models.BooleanField(default=False)
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="Last imported holiday set, e.g. DE."
    )
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WeeklyInterval(models.Model):
    """Open hours on a weekday; end <= start runs past midnight, start == end is the whole day."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday")
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_interval_weekday_range")
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start}-{self.end}"


class Holiday(models.Model):
    """A local date on which the calendar is closed all day."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SpecialHours(models.Model):
    """One-off hours on a local date, replacing the weekly hours (an extra open day, a short day)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="special_hours")
    date = models.DateField()
    start = models.TimeField()
    end = models.TimeField()
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date", "start"]
        verbose_name_plural = "special hours"

    def __str__(self) -> str:
        return f"{self.date} {self.start}-{self.end}"


class SlaMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_REPLY = "next_reply", "Next reply"
    PERIODIC_UPDATE = "periodic_update", "Periodic update"
    RESOLUTION = "resolution", "Resolution"


def default_pause_statuses() -> list[str]:
    return [TicketStatus.PENDING, TicketStatus.ON_HOLD]


def default_warning_levels() -> list[int]:
    return [50, 80, 90, 100, 200]


class SlaPolicy(models.Model):
    """Ordered: the first active policy whose conditions all match a ticket applies.

    An empty condition matches anything; the catch-all default has none and sorts last.
    Editing a policy makes a new SlaPolicyVersion; tickets keep the version they got until re-applied.
    """

    name = models.CharField(max_length=120, unique=True)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    match_tiers = ArrayField(
        models.CharField(max_length=16, choices=CustomerTier.choices), default=list, blank=True
    )
    match_priorities = ArrayField(
        models.CharField(max_length=2, choices=Priority.choices), default=list, blank=True
    )
    match_channels = ArrayField(
        models.CharField(max_length=8, choices=Channel.choices), default=list, blank=True
    )
    match_organizations = models.ManyToManyField("helpdesk.Organization", blank=True, related_name="+")
    match_categories = models.ManyToManyField("tickets.Category", blank=True, related_name="+")
    match_teams = models.ManyToManyField("helpdesk.Team", blank=True, related_name="+")
    match_tags = models.ManyToManyField("tickets.Tag", blank=True, related_name="+")
    pause_statuses = ArrayField(
        models.CharField(max_length=12, choices=TicketStatus.choices),
        default=default_pause_statuses,
        blank=True,
    )
    automatic_reply_counts = models.BooleanField(
        default=False, help_text="An automatic acknowledgement fulfils first response."
    )
    warning_levels = ArrayField(models.PositiveIntegerField(), default=default_warning_levels)
    escalate_raise_tier = models.BooleanField(default=True)
    escalation_team = models.ForeignKey(
        "helpdesk.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalate_raise_priority = models.BooleanField(default=False)
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Alerted on severe breaches (200%).",
    )
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["is_default", "position", "id"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """One cell of a policy's priority × tier matrix for one metric; minutes NULL means no target."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=2, choices=Priority.choices)
    tier = models.CharField(max_length=16, choices=CustomerTier.choices)
    metric = models.CharField(max_length=16, choices=SlaMetric.choices)
    minutes = models.PositiveIntegerField(null=True, blank=True)
    business_hours = models.BooleanField(
        default=True, help_text="Count business hours; off = calendar hours (24/7)."
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: the organization's, then the team's, then the default calendar.",
    )

    class Meta:
        ordering = ["priority", "tier", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority", "tier", "metric"], name="sla_target_one_per_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.priority}/{self.tier}/{self.metric}={self.minutes}"


class SlaPolicyVersion(models.Model):
    """An immutable snapshot of a policy's rules and targets, as tickets were given them."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="sla_policy_version_unique")]

    def __str__(self) -> str:
        return f"{self.policy_id} v{self.number}"


class TicketSla(models.Model):
    """Which policy version governs a ticket."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy_version = models.ForeignKey(SlaPolicyVersion, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(default=timezone.now)
    # The ticket facts the policy was matched on; a change to any of them re-evaluates the match.
    matched_on = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.policy_version}"


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    FULFILLED = "fulfilled", "Fulfilled"
    STOPPED = "stopped", "Stopped"


class SlaClock(models.Model):
    """One clock: ticket × metric × period. Cached outputs of the pure clock, refreshed on every event."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(max_length=16, choices=SlaMetric.choices)
    period = models.PositiveIntegerField(default=1)
    policy_version = models.ForeignKey(SlaPolicyVersion, on_delete=models.PROTECT, related_name="+")
    target_seconds = models.PositiveIntegerField()
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=ClockState.choices)
    pause_reason = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.FloatField(default=0)
    computed_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    warned_level = models.PositiveIntegerField(default=0)
    breached_at = models.DateTimeField(null=True, blank=True)
    severely_breached_at = models.DateTimeField(null=True, blank=True)
    escalate_pending = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket", "metric", "period"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "period"], name="sla_clock_one_per_period"),
        ]
        indexes = [
            # The sweeper's only read: clocks whose next warning or breach instant has come.
            models.Index(
                fields=["next_check_at"], condition=Q(next_check_at__isnull=False), name="sla_clock_due_idx"
            ),
            # Escalations owed after a live breach (claimed once each).
            models.Index(
                fields=["breached_at"], condition=Q(escalate_pending=True), name="sla_clock_escalation_idx"
            ),
            models.Index(fields=["due_at"], condition=Q(state="running"), name="sla_clock_running_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}#{self.period} for ticket {self.ticket_id}"

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None


class SlaEventKind(models.TextChoices):
    APPLIED = "applied", "Policy applied"
    STARTED = "started", "Started"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    FULFILLED = "fulfilled", "Fulfilled"
    STOPPED = "stopped", "Stopped"
    WARNED = "warned", "Warned"
    BREACHED = "breached", "Breached"
    SEVERELY_BREACHED = "severely_breached", "Severely breached"
    ESCALATED = "escalated", "Escalated"


ALERT_KINDS = (SlaEventKind.WARNED, SlaEventKind.BREACHED, SlaEventKind.SEVERELY_BREACHED)


class SlaEvent(models.Model):
    """Append-only. A warning or breach exists at most once per clock and level (a unique index)."""

    clock = models.ForeignKey(
        SlaClock, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events")
    kind = models.CharField(max_length=20, choices=SlaEventKind.choices)
    level = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "kind", "level"],
                condition=Q(kind__in=["warned", "breached", "severely_breached", "escalated"]),
                name="sla_alert_once_per_level",
            ),
            models.UniqueConstraint(
                fields=["clock", "kind", "at"],
                condition=Q(kind__in=["started", "paused", "resumed", "fulfilled", "stopped"]),
                name="sla_lifecycle_event_once",
            ),
        ]
        indexes = [models.Index(fields=["ticket", "at"], name="sla_event_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.kind}{f' {self.level}%' if self.level else ''} on #{self.ticket_id}"


class ReapplyStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SlaReapplyJob(models.Model):
    """A background re-match and re-plan of open tickets, with visible progress.

    Scope: tickets pinned to `policy`, tickets of `organization`, tickets with clocks on
    `calendar`, or every open ticket when all three are empty. Resumable from `last_ticket_id`.
    """

    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "helpdesk.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rematch = models.BooleanField(default=True, help_text="Re-choose the policy (and its newest version).")
    status = models.CharField(max_length=8, choices=ReapplyStatus.choices, default=ReapplyStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    last_ticket_id = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["queued", "running"]),
                name="sla_job_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"re-apply job {self.pk} ({self.status} {self.done}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else min(100, round(100 * self.done / self.total))
