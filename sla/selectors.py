"""Reads of SLA configuration and of a ticket's SLA state (STYLE.md C5).

Visibility of tickets stays with tickets.selectors: every per-ticket read here takes a ticket the
caller was already allowed to see. `ticket_sla_overview` answers "where does this ticket stand,
and why" as of an instant, by replaying the ticket's events under its pinned policy version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.postgres.aggregates import BoolOr
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from sla import calendars as pure_calendars
from sla import clock as pure_clock
from sla.models import (
    BusinessCalendar,
    ClockState,
    SlaClock,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    SlaPolicy,
    SlaPolicyVersion,
    SlaReapplyJob,
    SlaTarget,
    TicketSla,
)
from sla.services.calendars import calendars_load, default_calendar_id
from sla.services.clocks import clocks_plan
from sla.services.policies import version_get
from tickets import selectors as ticket_selectors
from tickets.models import Ticket

CALENDAR_HOURS_LABEL = "calendar hours 24/7"
# A running clock counts as at risk from this warning level (percent of its target) on.
AT_RISK_LEVEL = 80
OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.PAUSED)
# What a customer may read of the SLA log: the clock's lifecycle, never alerts or escalations.
CUSTOMER_VISIBLE_SLA_EVENT_KINDS = (
    SlaEventKind.STARTED,
    SlaEventKind.PAUSED,
    SlaEventKind.RESUMED,
    SlaEventKind.FULFILLED,
    SlaEventKind.STOPPED,
)


# --- configuration ------------------------------------------------------------------------------


def calendar_list() -> QuerySet[BusinessCalendar]:
    """Return every business calendar with its weekly hours, holidays and special hours loaded."""
    return BusinessCalendar.objects.prefetch_related("weekly_hours", "holidays", "special_hours")


def calendar_is_in_use(calendar_id: int) -> bool:
    """Return whether an open SLA clock counts time on the calendar (an edit must re-plan it)."""
    return SlaClock.objects.filter(calendar_id=calendar_id, state__in=OPEN_CLOCK_STATES).exists()


def calendar_is_referenced(calendar_id: int) -> bool:
    """Return whether any clock or policy target points at the calendar (it cannot be deleted)."""
    return (
        SlaClock.objects.filter(calendar_id=calendar_id).exists()
        or SlaTarget.objects.filter(calendar_id=calendar_id).exists()
    )


def policy_list() -> QuerySet[SlaPolicy]:
    """Return policies in matching order (the catch-all default last), with their conditions loaded."""
    return (
        SlaPolicy.objects.select_related("escalation_team", "director")
        .prefetch_related("match_organizations", "match_categories", "match_teams", "match_tags")
        .order_by("is_default", "position", "id")
    )


def policy_target_list(policy: SlaPolicy) -> QuerySet[SlaTarget]:
    """Return a policy's target cells in matrix order."""
    return SlaTarget.objects.filter(policy=policy).order_by("priority", "tier", "metric")


def policy_version_list(policy: SlaPolicy) -> QuerySet[SlaPolicyVersion]:
    """Return a policy's published versions, newest first."""
    return SlaPolicyVersion.objects.filter(policy=policy).select_related("created_by").order_by("-number")


def policy_is_in_use(policy_id: int) -> bool:
    """Return whether any ticket or clock is pinned to one of the policy's versions."""
    versions = SlaPolicyVersion.objects.filter(policy_id=policy_id).values("pk")
    return (
        TicketSla.objects.filter(policy_version__in=versions).exists()
        or SlaClock.objects.filter(policy_version__in=versions).exists()
    )


def reapply_job_list() -> QuerySet[SlaReapplyJob]:
    """Return re-apply jobs, newest first."""
    return SlaReapplyJob.objects.select_related("policy", "organization", "calendar", "requested_by")


# --- ticket list filters ---------------------------------------------------------------------------


def _clocks_of_ticket() -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(ticket_id=OuterRef("pk"))


def _breached_q(now: datetime) -> Q:
    # The sweeper records breaches within seconds; a due instant already passed counts at once.
    return Q(state__in=OPEN_CLOCK_STATES) & (
        Q(breached_at__isnull=False) | Q(state=ClockState.RUNNING, due_at__lte=now)
    )


def _at_risk_q(now: datetime) -> Q:
    return Q(state=ClockState.RUNNING, breached_at__isnull=True, due_at__gt=now) & (
        Q(warned_level__gte=AT_RISK_LEVEL) | Q(next_check_at__lte=now)
    )


def ticket_sla_state_q(state: str, *, now: datetime) -> Q:
    """Return a ticket filter for an SLA state, built from EXISTS subqueries (no duplicate rows).

    - breached: an open (running or paused) clock has breached, or is running past its due instant;
    - at_risk: a running, unbreached clock has reached its 80 % warning, or its next warning
      instant has passed and the sweeper has not recorded it yet;
    - paused: a clock is paused;
    - ok: a clock is running and none is breached or at risk.
    Raises ValueError for another state.
    """
    clocks = _clocks_of_ticket()
    breached = Exists(clocks.filter(_breached_q(now)))
    at_risk = Exists(clocks.filter(_at_risk_q(now)))
    if state == "breached":
        return Q(breached)
    if state == "at_risk":
        return Q(at_risk)
    if state == "paused":
        return Q(Exists(clocks.filter(state=ClockState.PAUSED)))
    if state == "ok":
        return Q(Exists(clocks.filter(state=ClockState.RUNNING))) & ~Q(breached) & ~Q(at_risk)
    raise ValueError(f"unknown SLA state {state!r}")


def ticket_sla_due_before_q(instant: datetime) -> Q:
    """Return a ticket filter: a running clock is due before `instant`."""
    return Q(Exists(_clocks_of_ticket().filter(state=ClockState.RUNNING, due_at__lt=instant)))


# --- one ticket's SLA --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockOverview:
    """One clock as of `now`: stored facts refreshed from a replay of the ticket's events."""

    clock: SlaClock
    state: str
    pause_reason: str
    calendar_name: str
    elapsed: timedelta
    due_at: datetime | None
    breached_at: datetime | None
    severely_breached_at: datetime | None
    timeline: Sequence[pure_clock.TimelineSegment]

    @property
    def target(self) -> timedelta:
        return timedelta(seconds=self.clock.target_seconds)

    @property
    def remaining(self) -> timedelta:
        return max(timedelta(0), self.target - self.elapsed)

    @property
    def percent(self) -> float:
        return round(100 * (self.elapsed / self.target), 1) if self.clock.target_seconds else 0.0


@dataclass(frozen=True)
class TicketSlaOverview:
    ticket_sla: TicketSla | None
    clocks: Sequence[ClockOverview]
    events: Sequence[SlaEvent]
    now: datetime


def sla_event_list_visible_to(*, is_agent: bool, ticket: Ticket) -> QuerySet[SlaEvent]:
    """Return a ticket's SLA log in time order; customers see clock lifecycle events only."""
    queryset = SlaEvent.objects.filter(ticket=ticket).select_related("clock").order_by("at", "id")
    if not is_agent:
        queryset = queryset.filter(kind__in=CUSTOMER_VISIBLE_SLA_EVENT_KINDS)
    return queryset


def _stored_overview(clock: SlaClock, names: dict[int, str], now: datetime) -> ClockOverview:
    elapsed = timedelta(seconds=clock.elapsed_seconds)
    if clock.state == ClockState.RUNNING and clock.computed_at < now:
        calendar = calendars_load([clock.calendar_id])[clock.calendar_id]
        elapsed += pure_calendars.business_time_between(calendar, clock.computed_at, now)
    return ClockOverview(
        clock=clock,
        state=clock.state,
        pause_reason=clock.pause_reason,
        calendar_name=names.get(clock.calendar_id or 0, CALENDAR_HOURS_LABEL),
        elapsed=elapsed,
        due_at=clock.due_at,
        breached_at=clock.breached_at,
        severely_breached_at=clock.severely_breached_at,
        timeline=(),
    )


def ticket_sla_overview(
    *,
    ticket: Ticket,
    is_agent: bool,
    now: datetime,
    latest_periods_only: bool = False,
    latest_events: int | None = None,
) -> TicketSlaOverview:
    """Return every clock of a visible ticket as of `now`, with its timeline, and the SLA log.

    Clocks are replayed from the ticket's events under its pinned policy version, so elapsed,
    due and state are exact at `now` rather than as of the last re-plan. A clock the history no
    longer implies (stopped by a re-plan) is shown as stored, without a timeline. With
    `latest_periods_only`, earlier periods of a metric (finished next-reply periods, say) are
    shown as stored too, without a timeline: a page's panel, not the full API answer.
    `latest_events` keeps only the last that many entries of the SLA log. Reads only.
    """
    ticket_sla = TicketSla.objects.filter(ticket_id=ticket.pk).first()
    if ticket_sla is not None:
        # Cached per process (versions never change): no snapshot decoded per request.
        ticket_sla.policy_version = version_get(ticket_sla.policy_version_id)
    # Versions never change and every process caches those it read: no snapshot decoded per clock.
    stored = list(SlaClock.objects.filter(ticket_id=ticket.pk).select_related("calendar").order_by("pk"))
    for clock in stored:
        clock.policy_version = version_get(clock.policy_version_id)
    names = {
        clock.calendar_id: clock.calendar.name for clock in stored if clock.calendar_id and clock.calendar
    }
    planned = {}
    if ticket_sla is not None and stored:
        full_ticket = ticket_selectors.ticket_get_for_sla(ticket.pk)
        plans = clocks_plan(
            ticket=full_ticket,
            version=ticket_sla.policy_version,
            now=now,
            latest_periods_only=latest_periods_only,
        )
        planned = {(plan.derived.metric, plan.derived.period): plan for plan in plans}
    overviews = []
    for clock in stored:
        plan = planned.get((clock.metric, clock.period))
        if plan is None or plan.fields["policy_version"].pk != clock.policy_version_id:
            overviews.append(_stored_overview(clock, names, now))
            continue
        fields = plan.fields
        end = fields["ended_at"] or now
        overviews.append(
            ClockOverview(
                clock=clock,
                state=fields["state"],
                pause_reason=fields["pause_reason"],
                calendar_name=names.get(fields["calendar_id"] or 0, CALENDAR_HOURS_LABEL),
                elapsed=timedelta(seconds=fields["elapsed_seconds"]),
                due_at=fields["due_at"],
                breached_at=fields["breached_at"] or clock.breached_at,
                severely_breached_at=fields["severely_breached_at"] or clock.severely_breached_at,
                timeline=pure_clock.timeline(
                    plan.derived.events,
                    plan.calendar,
                    start=fields["started_at"],
                    end=max(end, fields["started_at"]),
                ),
            )
        )
    # The log's clocks are the ones already read above.
    by_id = {clock.pk: clock for clock in stored}
    log = sla_event_list_visible_to(is_agent=is_agent, ticket=ticket).select_related(None)
    events = list(log) if latest_events is None else list(log.reverse()[:latest_events])[::-1]
    for event in events:
        if event.clock_id in by_id:
            event.clock = by_id[event.clock_id]
    return TicketSlaOverview(ticket_sla=ticket_sla, clocks=overviews, events=events, now=now)


__all__ = [
    "AT_RISK_LEVEL",
    "CALENDAR_HOURS_LABEL",
    "CHIP_LADDER",
    "ClockOverview",
    "SlaChip",
    "TicketSlaOverview",
    "calendar_is_in_use",
    "calendar_is_referenced",
    "calendar_list",
    "chip_for",
    "clock_chip",
    "policy_is_in_use",
    "policy_list",
    "policy_target_list",
    "policy_version_list",
    "reapply_job_list",
    "sla_event_list_visible_to",
    "ticket_sla_chips",
    "ticket_sla_due_before_q",
    "ticket_sla_overview",
    "ticket_sla_state_q",
]


# --- queue chips -----------------------------------------------------------------------------------

# The warning ladder as queues colour it: (lowest percent, colour), highest first.
CHIP_LADDER = ((100.0, "breached"), (90.0, "red"), (80.0, "orange"), (50.0, "yellow"), (0.0, "green"))


@dataclass(frozen=True)
class SlaChip:
    """Where a ticket's most urgent SLA clock stands as of `now`, for a queue row or a panel."""

    colour: str  # green, yellow, orange, red, breached, paused or none
    metric: str = ""
    metric_label: str = ""
    due_at: datetime | None = None
    percent: float = 0.0
    left: timedelta | None = None  # wall-clock time to the due instant; negative when overdue
    pause_reason: str = ""

    @property
    def is_overdue(self) -> bool:
        return self.left is not None and self.left < timedelta(0)


def chip_for(
    *,
    metric: str,
    label: str,
    state: str,
    percent: float,
    due_at: datetime | None,
    now: datetime,
    pause_reason: str = "",
) -> SlaChip:
    """Return the chip of a clock in `state` with `percent` of its target used, as of `now`.

    Past its due instant a running clock is breached whatever the percentage says (the sweep
    records the breach within seconds); otherwise CHIP_LADDER picks the colour.
    """
    if state == ClockState.PAUSED:
        return SlaChip("paused", metric, label, None, percent, None, pause_reason)
    if state != ClockState.RUNNING:
        return SlaChip("none", metric, label)
    left = due_at - now if due_at else None
    if left is not None and left <= timedelta(0):
        colour = "breached"
    else:
        colour = next(colour for floor, colour in CHIP_LADDER if percent >= floor)
    return SlaChip(colour, metric, label, due_at, round(percent, 1), left)


def clock_chip(clock: SlaClock, now: datetime) -> SlaChip:
    """Return the chip of one stored clock as of `now` (running time since the last re-plan added)."""
    percent = 0.0
    if clock.state == ClockState.RUNNING:
        elapsed = timedelta(seconds=clock.elapsed_seconds)
        if clock.computed_at < now:
            calendar = calendars_load([clock.calendar_id])[clock.calendar_id]
            elapsed += pure_calendars.business_time_between(calendar, clock.computed_at, now)
        percent = (
            round(100 * elapsed.total_seconds() / clock.target_seconds, 1) if clock.target_seconds else 0.0
        )
    return chip_for(
        metric=clock.metric,
        label=clock.get_metric_display(),
        state=clock.state,
        percent=percent,
        due_at=clock.due_at,
        now=now,
        pause_reason=clock.pause_reason,
    )


def ticket_sla_chips(ticket_ids: Sequence[int], *, now: datetime) -> dict[int, SlaChip]:
    """Return each ticket's chip: its running clock due soonest, else a paused one; one query.

    Tickets without a live clock are left out (no chip to show).
    """
    best: dict[int, SlaClock] = {}
    rows = SlaClock.objects.filter(ticket_id__in=list(ticket_ids), state__in=OPEN_CLOCK_STATES).only(
        "ticket_id",
        "metric",
        "state",
        "pause_reason",
        "calendar_id",
        "target_seconds",
        "elapsed_seconds",
        "computed_at",
        "due_at",
    )
    for clock in rows:
        current = best.get(clock.ticket_id)
        if current is None or _more_urgent(clock, current):
            best[clock.ticket_id] = clock
    return {ticket_id: clock_chip(clock, now) for ticket_id, clock in best.items()}


def _more_urgent(clock: SlaClock, than: SlaClock) -> bool:
    if (clock.state == ClockState.RUNNING) != (than.state == ClockState.RUNNING):
        return clock.state == ClockState.RUNNING
    if clock.due_at is None or than.due_at is None:
        return than.due_at is None and clock.due_at is not None
    return clock.due_at < than.due_at


# --- The webhook feed (read by helpdesk.webhooks; system use) -------------------------------------


def sla_event_last_id() -> int:
    """Return the highest SLA event id visible now (0 when there is none): where a new feed starts."""
    return SlaEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def sla_events_for_feed(
    *, after_id: int, limit: int, id_ranges: Sequence[tuple[int, int]] = ()
) -> list[SlaEvent]:
    """Return the first `limit` SLA events above `after_id`, and every one inside `id_ranges`, by id.

    With each event's clock. The ranges are inclusive and lie below `after_id` (ids a feed has
    not seen commit yet; see helpdesk/webhooks/feed.py). Both reads walk the primary key.
    """
    queryset = SlaEvent.objects.select_related("clock").order_by("pk")
    rows = list(queryset.filter(pk__gt=after_id)[:limit])
    if id_ranges:
        within = Q()
        for low, high in id_ranges:
            within |= Q(pk__gte=low, pk__lte=high)
        rows = list(queryset.filter(within)) + rows
    return rows


# --- Metrics (read by metrics.reporting; system use) ----------------------------------------------

METRIC_CLOCK_METRICS = (SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION)


def sla_event_ticket_ids_after(
    *, after_id: int, limit: int, id_ranges: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int, datetime]]:
    """Return (id, ticket_id, recorded_at) of the first `limit` SLA events above `after_id`, by id.

    Events inside `id_ranges` (inclusive, below `after_id`: ids not yet committed when last
    read) are returned too, whatever their number. Both reads walk the primary key.
    """
    columns = ("pk", "ticket_id", "recorded_at")
    rows = list(SlaEvent.objects.filter(pk__gt=after_id).order_by("pk").values_list(*columns)[:limit])
    if id_ranges:
        within = Q()
        for low, high in id_ranges:
            within |= Q(pk__gte=low, pk__lte=high)
        rows = list(SlaEvent.objects.filter(within).values_list(*columns)) + rows
    return rows


def sla_event_last_id_before(instant: datetime) -> int:
    """Return the highest SLA event id recorded before `instant` (0 for none)."""
    return (
        SlaEvent.objects.filter(recorded_at__lt=instant).order_by("-pk").values_list("pk", flat=True).first()
        or 0
    )


def clock_rows_for_metrics(ticket_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Return the first-response and resolution clocks of tickets as plain values, by ticket id."""
    rows: dict[int, list[dict[str, Any]]] = {}
    values = SlaClock.objects.filter(ticket_id__in=list(ticket_ids), metric__in=METRIC_CLOCK_METRICS).values(
        "ticket_id",
        "metric",
        "period",
        "state",
        "calendar_id",
        "target_seconds",
        "elapsed_seconds",
        "ended_at",
        "breached_at",
        "severely_breached_at",
    )
    for row in values:
        rows.setdefault(row["ticket_id"], []).append(row)
    return rows


def calendars_get(calendar_ids: Iterable[int | None]) -> dict[int | None, pure_calendars.BusinessCalendar]:
    """Return pure business calendars by id; None (always present) is calendar hours, 24/7 UTC."""
    return calendars_load(calendar_ids)


def business_calendar_id(*, organization_calendar_id: int | None, team_calendar_id: int | None) -> int | None:
    """Return the calendar a ticket's business hours count on when no SLA clock names one.

    The same order the SLA uses: the organization's, then the team's, then the default calendar
    (None when there is no default: calendar hours).
    """
    return organization_calendar_id or team_calendar_id or default_calendar_id()


def open_ticket_sla_flags(*, now: datetime) -> QuerySet[SlaClock]:
    """Return, per ticket with an open (running or paused) clock, whether it is breached, at risk
    and severely breached as of `now`: values rows (ticket_id, breached, at_risk, severe).

    The same rules as the Breached and At-risk queues (`ticket_sla_state_q`): a ticket at risk
    has no breached clock. One pass over the open clocks, for the metrics' live figures.
    """
    any_breached = BoolOr(ExpressionWrapper(_breached_q(now), output_field=BooleanField()))
    any_at_risk = BoolOr(ExpressionWrapper(_at_risk_q(now), output_field=BooleanField()))
    return (
        SlaClock.objects.filter(state__in=OPEN_CLOCK_STATES)
        .values("ticket_id")
        .annotate(
            breached=any_breached,
            at_risk_clock=any_at_risk,
            severe=BoolOr(
                ExpressionWrapper(Q(severely_breached_at__isnull=False), output_field=BooleanField())
            ),
        )
        .order_by()
    )
