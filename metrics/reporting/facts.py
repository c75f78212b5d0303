"""One ticket's metric facts, computed from its event log and its stored SLA clocks. Pure.

A fact holds what every metric needs of a ticket: when it arrived and was first answered and
resolved, how long that took in calendar and in business time, whether it was reopened,
escalated or solved on first contact, and how its first-response and resolution SLAs ended.
Running the same events and clocks through `ticket_fact` always gives the same fact, which is
what `manage.py metrics_rebuild --check` relies on. Definitions: docs/metrics.md, "Metrics".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sla import calendars as pure_calendars

DONE_STATUSES = frozenset({"resolved", "closed"})
EXCLUDED_CLOSE_REASONS = frozenset({"merged", "spam", "duplicate"})
OPEN_CLOCK_STATES = frozenset({"running", "paused"})
FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"


class SlaOutcome:
    NONE = ""  # no clock, or a clock stopped without a breach (closed unresolved)
    PENDING = "pending"  # still running or paused, not breached yet
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class TicketRow:
    """What a fact reads of the ticket row (its current slice attributes)."""

    id: int
    created_at: datetime
    status: str
    close_reason: str
    merged_into_id: int | None
    team_id: int | None
    assignee_id: int | None
    category_id: int | None
    organization_id: int | None
    priority: str
    channel: str
    tier: str
    calendar_id: int | None  # business calendar when no clock names one; None: 24/7


@dataclass(frozen=True, slots=True)
class ClockRow:
    """A stored SLA clock (first response or resolution)."""

    metric: str
    period: int
    state: str
    calendar_id: int | None
    target_seconds: int
    elapsed_seconds: float
    ended_at: datetime | None
    breached_at: datetime | None
    severely_breached_at: datetime | None


@dataclass(frozen=True, slots=True)
class Fact:
    """The columns of metrics.TicketFact (computed_at aside)."""

    ticket_id: int
    created_at: datetime
    status: str
    is_excluded: bool
    team_id: int | None
    assignee_id: int | None
    category_id: int | None
    organization_id: int | None
    priority: str
    channel: str
    tier: str
    first_response_at: datetime | None
    frt_seconds: int | None
    frt_business_seconds: int | None
    first_resolved_at: datetime | None
    resolved_at: datetime | None
    ttr_seconds: int | None
    ttr_business_seconds: int | None
    reopen_count: int
    agent_replies: int
    is_escalated: bool
    is_fcr: bool
    response_sla: str
    response_sla_at: datetime | None
    response_target_used: int | None  # hundredths of a percent of the target (12345 = 123.45 %)
    resolution_sla: str
    resolution_sla_at: datetime | None
    resolution_target_used: int | None
    breached_at: datetime | None
    severely_breached_at: datetime | None

    def anchors(self) -> list[datetime]:
        """Return every instant the fact counts on (a rollup day holds what happened that day)."""
        instants = [self.created_at]
        for value in (
            self.first_response_at,
            self.resolved_at,
            self.first_resolved_at,
            self.response_sla_at,
            self.resolution_sla_at,
            self.breached_at,
            self.severely_breached_at,
        ):
            if value is not None:
                instants.append(value)
        return instants


FACT_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(Fact))


def _is_agent_reply(data: Mapping[str, Any]) -> bool:
    return (
        data.get("visibility") == "public"
        and data.get("author_kind") == "agent"
        and not data.get("is_automatic", False)
    )


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


def _business_seconds(calendar: pure_calendars.BusinessCalendar, start: datetime, end: datetime) -> int:
    if end <= start:
        return 0
    return round(pure_calendars.business_time_between(calendar, start, end).total_seconds())


def _used(clock: ClockRow) -> int | None:
    if clock.state != "fulfilled" or clock.target_seconds <= 0:
        return None
    return round(10000 * clock.elapsed_seconds / clock.target_seconds)


def _response_outcome(clock: ClockRow | None) -> tuple[str, datetime | None, int | None]:
    if clock is None:
        return SlaOutcome.NONE, None, None
    if clock.breached_at is not None:
        return SlaOutcome.BREACHED, clock.breached_at, _used(clock)
    if clock.state == "fulfilled":
        return SlaOutcome.MET, clock.ended_at, _used(clock)
    if clock.state in OPEN_CLOCK_STATES:
        return SlaOutcome.PENDING, None, None
    return SlaOutcome.NONE, None, None


def _resolution_outcome(periods: Sequence[ClockRow]) -> tuple[str, datetime | None, int | None]:
    """A ticket breaches its resolution SLA when any period did; it is met when the last period
    was fulfilled and none breached. The share of the target is the last period's."""
    if not periods:
        return SlaOutcome.NONE, None, None
    last = periods[-1]
    breaches = [clock.breached_at for clock in periods if clock.breached_at is not None]
    if breaches:
        return SlaOutcome.BREACHED, min(breaches), _used(last)
    if last.state == "fulfilled":
        return SlaOutcome.MET, last.ended_at, _used(last)
    if any(clock.state in OPEN_CLOCK_STATES for clock in periods):
        return SlaOutcome.PENDING, None, None
    return SlaOutcome.NONE, None, None


def ticket_fact(
    ticket: TicketRow,
    events: Sequence[tuple[str, datetime, Mapping[str, Any]]],
    clocks: Sequence[ClockRow],
    calendars: Mapping[int | None, pure_calendars.BusinessCalendar],
) -> Fact:
    """Return the ticket's fact from its events (in replay order) and its stored clocks.

    `calendars` holds every calendar id the clocks and the ticket name (None: 24/7 UTC).
    """
    first_reply_at: datetime | None = None
    agent_replies = 0
    reopen_count = 0
    is_escalated = False
    status = "new"
    first_resolved_at: datetime | None = None
    standing_resolution: datetime | None = None
    for kind, at, data in events:
        if kind == "created":
            status = str(data.get("status", "new"))
            if status == "resolved":
                first_resolved_at = standing_resolution = at
        elif kind == "message_added" and _is_agent_reply(data):
            agent_replies += 1
            first_reply_at = first_reply_at or at
        elif kind == "escalated":
            is_escalated = True
        elif kind == "status_changed":
            target = str(data.get("to", status))
            if target == "resolved":
                first_resolved_at = first_resolved_at or at
                standing_resolution = at
            elif data.get("reopened"):
                reopen_count += 1
                standing_resolution = None
            status = target
    resolved_at = standing_resolution if status in DONE_STATUSES else None

    first_response_clock = next(
        (clock for clock in clocks if clock.metric == FIRST_RESPONSE and clock.period == 1), None
    )
    resolution_periods = sorted(
        (clock for clock in clocks if clock.metric == RESOLUTION), key=lambda clock: clock.period
    )
    response_calendar = calendars[
        first_response_clock.calendar_id if first_response_clock is not None else ticket.calendar_id
    ]
    resolution_calendar = calendars[
        resolution_periods[0].calendar_id if resolution_periods else ticket.calendar_id
    ]
    created = ticket.created_at
    response_sla, response_sla_at, response_used = _response_outcome(first_response_clock)
    resolution_sla, resolution_sla_at, resolution_used = _resolution_outcome(resolution_periods)
    measured = [clock for clock in (first_response_clock, *resolution_periods) if clock is not None]
    breaches = [clock.breached_at for clock in measured if clock.breached_at is not None]
    severe = [clock.severely_breached_at for clock in measured if clock.severely_breached_at is not None]
    return Fact(
        ticket_id=ticket.id,
        created_at=created,
        status=ticket.status,
        is_excluded=ticket.close_reason in EXCLUDED_CLOSE_REASONS or ticket.merged_into_id is not None,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        category_id=ticket.category_id,
        organization_id=ticket.organization_id,
        priority=ticket.priority,
        channel=ticket.channel,
        tier=ticket.tier,
        first_response_at=first_reply_at,
        frt_seconds=None if first_reply_at is None else _seconds(created, first_reply_at),
        frt_business_seconds=None
        if first_reply_at is None
        else _business_seconds(response_calendar, created, first_reply_at),
        first_resolved_at=first_resolved_at,
        resolved_at=resolved_at,
        ttr_seconds=None if resolved_at is None else _seconds(created, resolved_at),
        ttr_business_seconds=None
        if resolved_at is None
        else _business_seconds(resolution_calendar, created, resolved_at),
        reopen_count=reopen_count,
        agent_replies=agent_replies,
        is_escalated=is_escalated,
        is_fcr=resolved_at is not None and agent_replies == 1 and reopen_count == 0 and not is_escalated,
        response_sla=response_sla,
        response_sla_at=response_sla_at,
        response_target_used=response_used,
        resolution_sla=resolution_sla,
        resolution_sla_at=resolution_sla_at,
        resolution_target_used=resolution_used,
        breached_at=min(breaches) if breaches else None,
        severely_breached_at=min(severe) if severe else None,
    )
