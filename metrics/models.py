"""Satisfaction surveys: the policy (one settings row), each survey decided, and low-score follow-ups.

A Survey row is a decision as much as a message: every resolution that came due gets one, sent
or skipped with a reason, so "why did this customer get no survey?" has an answer and no
resolution is considered twice. Deadlines live in indexed columns (a pending survey's `due_at`,
a customer's next NPS instant) and are swept by a beat task; see metrics/services.py.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from metrics.reporting.models import (  # noqa: F401 - the metric tables are registered from here
    MetricDirtyTicket,
    MetricRefreshState,
    MetricRollup,
    MetricSnapshot,
    MetricTarget,
    TicketFact,
)

CSAT_SCALE = (1, 5)
NPS_SCALE = (0, 10)
EFFORT_SCALE = (1, 7)


class SurveySettings(models.Model):
    """The survey policy, edited in the admin; one row (id 1), defaults when it is missing."""

    csat_enabled = models.BooleanField(default=True, verbose_name="CSAT enabled")
    csat_delay = models.DurationField(
        default=timedelta(hours=2),
        verbose_name="CSAT delay",
        help_text="How long after a ticket is resolved its satisfaction survey goes out.",
    )
    csat_send_window = models.DurationField(
        default=timedelta(days=7),
        verbose_name="CSAT send window",
        help_text="A survey not sent within this time after it was due (a long outage) is dropped.",
    )
    quiet_period = models.DurationField(
        default=timedelta(days=14),
        help_text="A customer surveyed (CSAT or NPS) within this time gets no new survey.",
    )
    skip_tag = models.SlugField(
        max_length=60, default="no-survey", help_text="Tickets carrying this tag are never surveyed."
    )
    link_lifetime = models.DurationField(
        default=timedelta(days=30), help_text="How long the rating links in a survey e-mail work."
    )
    low_score_threshold = models.PositiveSmallIntegerField(
        default=2, help_text="A CSAT score at or below this opens a follow-up for the team lead."
    )
    follow_up_window = models.DurationField(
        default=timedelta(hours=24), help_text="A follow-up is due this long after the low score."
    )
    nps_enabled = models.BooleanField(default=True, verbose_name="NPS enabled")
    nps_interval = models.DurationField(
        default=timedelta(days=91),
        verbose_name="NPS interval",
        help_text="A customer is asked the 0–10 question this long after their first resolved ticket, "
        "then again this long after each NPS survey.",
    )
    ces_enabled = models.BooleanField(
        default=False,
        verbose_name="CES enabled",
        help_text="Ask the 1–7 customer effort question on the page after a CSAT rating.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "survey settings"
        verbose_name_plural = "survey settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="survey_settings_singleton"),
            models.CheckConstraint(
                condition=Q(low_score_threshold__gte=1, low_score_threshold__lte=4),
                name="survey_settings_threshold_range",
            ),
        ]

    def __str__(self) -> str:
        return "Survey settings"


class SurveyKind(models.TextChoices):
    CSAT = "csat", "Customer satisfaction (1–5)"
    NPS = "nps", "Net promoter score (0–10)"


class SurveyStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"


class SkipReason(models.TextChoices):
    NONE = "", "—"
    SKIP_TAG = "skip_tag", "Ticket tagged not to survey"
    QUIET_PERIOD = "quiet_period", "Customer surveyed recently"
    UNREACHABLE = "unreachable", "Requester is not an active customer with an e-mail address"
    REOPENED = "reopened", "Ticket reopened before sending"
    DISABLED = "disabled", "Surveys of this kind turned off"
    SEND_FAILED = "send_failed", "The mail server kept refusing it"


class Survey(models.Model):
    """One survey owed to one customer: a CSAT per ticket resolution, or a periodic NPS."""

    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    status = models.CharField(max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.PENDING)
    skip_reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True, default="")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="surveys")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="surveys"
    )
    # The resolution surveyed (the ticket's resolved_at then): a reopen and a new resolve is another.
    resolved_at = models.DateTimeField(null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The assignee when the ticket was resolved; the rating counts for them.",
    )
    team = models.ForeignKey(
        "helpdesk.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    effort_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="CES, 1–7.")
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="The first rating.")
    updated_at = models.DateTimeField(null=True, blank=True, help_text="The last rating or comment.")

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "resolved_at"],
                condition=Q(kind="csat"),
                name="survey_csat_once_per_resolution",
            ),
            models.UniqueConstraint(
                fields=["requester", "due_at"], condition=Q(kind="nps"), name="survey_nps_once_per_due"
            ),
            models.CheckConstraint(
                condition=Q(kind="nps") | Q(ticket__isnull=False, resolved_at__isnull=False),
                name="survey_csat_has_resolution",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(kind="csat", score__gte=CSAT_SCALE[0], score__lte=CSAT_SCALE[1])
                | Q(kind="nps", score__gte=NPS_SCALE[0], score__lte=NPS_SCALE[1]),
                name="survey_score_in_scale",
            ),
            models.CheckConstraint(
                condition=Q(effort_score__isnull=True)
                | Q(effort_score__gte=EFFORT_SCALE[0], effort_score__lte=EFFORT_SCALE[1]),
                name="survey_effort_in_scale",
            ),
        ]
        indexes = [
            # The sender's only read: surveys decided and not yet sent.
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="survey_pending_idx"),
            # The quiet period: was this customer surveyed lately?
            models.Index(fields=["requester", "sent_at"], name="survey_requester_sent_idx"),
            models.Index(
                fields=["agent", "answered_at"], condition=Q(score__isnull=False), name="survey_agent_idx"
            ),
            # Metric rollups: a day's answers, and the answers changed since the last sweep.
            models.Index(
                fields=["answered_at"], condition=Q(score__isnull=False), name="survey_answered_idx"
            ),
            models.Index(
                fields=["updated_at"], condition=Q(updated_at__isnull=False), name="survey_updated_idx"
            ),
        ]

    def __str__(self) -> str:
        about = f" on #{self.ticket_id}" if self.ticket_id else ""
        return f"{self.kind}{about} for {self.requester_id} ({self.status})"

    @property
    def scale(self) -> tuple[int, int]:
        return CSAT_SCALE if self.kind == SurveyKind.CSAT else NPS_SCALE


class NpsSchedule(models.Model):
    """When a customer is next due the NPS question; created at their first surveyed resolution."""

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    next_due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["next_due_at"]
        verbose_name = "NPS schedule"

    def __str__(self) -> str:
        return f"NPS for {self.customer_id} at {self.next_due_at:%Y-%m-%d}"


class SurveyFollowUp(models.Model):
    """A low CSAT score someone must follow up on: the team lead, or a manager when the team has none."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="follow_up")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_follow_ups",
        help_text="Empty: any manager.",
    )
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["owner", "due_at"], condition=Q(done_at__isnull=True), name="follow_up_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up of survey {self.survey_id}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class WeeklyReport(models.Model):
    """The voice-of-customer report of one Monday–Sunday week (UTC): recomputable, e-mailed once.

    `data` holds the sections as raw values (metrics/services/voc.py writes them, templates word
    them); recomputing replaces `data` and keeps `emailed_at`.
    """

    week_start = models.DateField(unique=True, help_text="The Monday (UTC) the week starts.")
    computed_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(week_start__iso_week_day=1), name="weekly_report_starts_monday"
            ),
        ]

    def __str__(self) -> str:
        return f"Voice of customer, week of {self.week_start:%Y-%m-%d}"
