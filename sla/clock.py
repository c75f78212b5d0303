"""SLA clocks as pure functions of their event log. Pure: no Django imports.

A clock is an ordered list of events: STARTED, any number of PAUSED (with a reason) and RESUMED,
then at most one STOPPED or FULFILLED. It accrues business time (see sla.calendars) only while
running — started, not paused, not stopped — and only while its calendar is open. Every value is
recomputed from the events and an explicit `now`; events after `now` are ignored, so any answer
can be replayed "as of" an instant.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from sla.calendars import BusinessCalendar, add_business_time, business_time_between, open_intervals

__all__ = [
    "DEFAULT_THRESHOLDS",
    "ClockEvent",
    "ClockEventKind",
    "ClockState",
    "InvalidClockEventsError",
    "SegmentKind",
    "ThresholdCrossing",
    "TimelineSegment",
    "clock_state",
    "due_at",
    "elapsed",
    "next_threshold_at",
    "percent_elapsed",
    "target_reached_at",
    "timeline",
]

# Yellow, orange, red, breach, severe breach (the reference's breach-prevention levels).
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.5, 0.8, 0.9, 1.0, 2.0)


class ClockEventKind(StrEnum):
    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"
    FULFILLED = "fulfilled"


class ClockState(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class SegmentKind(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    OUTSIDE_BUSINESS_HOURS = "outside_business_hours"
    STOPPED = "stopped"


class InvalidClockEventsError(ValueError):
    """Raised when an event log is out of order or breaks the clock's state machine."""


@dataclass(frozen=True, slots=True)
class ClockEvent:
    """One clock event. `kind` accepts the enum or its stored string; `at` is stored in UTC."""

    kind: ClockEventKind
    at: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ClockEventKind(self.kind))
        if not isinstance(self.at, datetime) or self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"ClockEvent.at must be a timezone-aware datetime, got {self.at!r}")
        object.__setattr__(self, "at", self.at.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class TimelineSegment:
    """A stretch of time with one explanation; `reason` is the pause or stop reason."""

    kind: SegmentKind
    start: datetime
    end: datetime
    reason: str = ""

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


class ThresholdCrossing(NamedTuple):
    level: float  # fraction of the target: 0.8 is "80 % elapsed"
    at: datetime


@dataclass(frozen=True, slots=True)
class _Phase:
    state: ClockState  # RUNNING, PAUSED or STOPPED
    start: datetime
    end: datetime
    reason: str


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _replay(events: Sequence[ClockEvent], until: datetime) -> tuple[list[_Phase], ClockState]:
    """Return the clock's phases from STARTED up to `until`, and its state at `until`.

    Events at `until` count as having happened. Raises InvalidClockEventsError for events out of
    order, before STARTED, after STOPPED/FULFILLED, a second STARTED, or RESUMED while running.
    """
    for previous, event in itertools.pairwise(events):
        if event.at < previous.at:
            raise InvalidClockEventsError(f"events out of order: {event!r} after {previous!r}")
    phases: list[_Phase] = []
    state = ClockState.NOT_STARTED
    since = until
    reason = ""
    for event in events:
        if event.at > until:
            break
        kind = event.kind
        if state is ClockState.STOPPED:
            raise InvalidClockEventsError(f"{kind} after the clock stopped; a reopen starts a new clock")
        if state is ClockState.NOT_STARTED:
            if kind is not ClockEventKind.STARTED:
                raise InvalidClockEventsError(f"{kind} before the clock started")
            state, since, reason = ClockState.RUNNING, event.at, ""
            continue
        if kind is ClockEventKind.STARTED:
            raise InvalidClockEventsError("STARTED twice; a reopen starts a new clock")
        if kind is ClockEventKind.RESUMED and state is ClockState.RUNNING:
            raise InvalidClockEventsError(f"RESUMED at {event.at.isoformat()} while running")
        phases.append(_Phase(state, since, event.at, reason))
        if kind is ClockEventKind.PAUSED:
            # PAUSED while paused changes the reason (e.g. waiting on customer -> third party).
            state, reason = ClockState.PAUSED, event.reason
        elif kind is ClockEventKind.RESUMED:
            state, reason = ClockState.RUNNING, ""
        else:
            state, reason = ClockState.STOPPED, event.reason or str(kind)
        since = event.at
    if state is not ClockState.NOT_STARTED:
        phases.append(_Phase(state, since, until, reason))
    return [phase for phase in phases if phase.end > phase.start], state


def _running_time(phases: Sequence[_Phase], calendar: BusinessCalendar) -> timedelta:
    return sum(
        (
            business_time_between(calendar, phase.start, phase.end)
            for phase in phases
            if phase.state is ClockState.RUNNING
        ),
        timedelta(0),
    )


def _check_target(target: timedelta) -> None:
    if target <= timedelta(0):
        raise ValueError(f"target must be positive, got {target!r}")


def clock_state(events: Sequence[ClockEvent], *, now: datetime) -> ClockState:
    """Return whether the clock is not started, running, paused or stopped at `now`.

    Raises InvalidClockEventsError for an impossible event log.
    """
    return _replay(events, _utc(now, "now"))[1]


def elapsed(events: Sequence[ClockEvent], calendar: BusinessCalendar, *, now: datetime) -> timedelta:
    """Return the business time the clock has been running up to `now`, excluding pauses.

    Raises InvalidClockEventsError for an impossible event log.
    """
    phases, _ = _replay(events, _utc(now, "now"))
    return _running_time(phases, calendar)


def percent_elapsed(
    events: Sequence[ClockEvent], calendar: BusinessCalendar, *, target: timedelta, now: datetime
) -> float:
    """Return elapsed business time as a percentage of `target` (above 100 once breached)."""
    _check_target(target)
    return 100 * (elapsed(events, calendar, now=now) / target)


def _reached_at(phases: Sequence[_Phase], calendar: BusinessCalendar, amount: timedelta) -> datetime | None:
    """Return the instant the running phases first accrued `amount`, or None if they never did."""
    for phase in phases:
        if phase.state is not ClockState.RUNNING:
            continue
        accrued = business_time_between(calendar, phase.start, phase.end)
        if amount <= accrued:
            return add_business_time(calendar, phase.start, amount)
        amount -= accrued
    return None


def target_reached_at(
    events: Sequence[ClockEvent], calendar: BusinessCalendar, *, target: timedelta, now: datetime
) -> datetime | None:
    """Return the instant the clock's running time first reached `target`, or None if it has not by `now`."""
    _check_target(target)
    phases, _ = _replay(events, _utc(now, "now"))
    return _reached_at(phases, calendar, target)


def due_at(
    events: Sequence[ClockEvent], calendar: BusinessCalendar, *, target: timedelta, now: datetime
) -> datetime | None:
    """Return the UTC instant the clock reaches `target` if it keeps running from `now`.

    None while not started, paused or stopped. Once breached, returns the past instant the
    target was reached. Raises InvalidClockEventsError for an impossible event log and
    CalendarNeverOpensError when the calendar has no open time left.
    """
    _check_target(target)
    now_utc = _utc(now, "now")
    phases, state = _replay(events, now_utc)
    if state is not ClockState.RUNNING:
        return None
    spent = _running_time(phases, calendar)
    if spent < target:
        return add_business_time(calendar, now_utc, target - spent)
    return _reached_at(phases, calendar, target)


def next_threshold_at(
    events: Sequence[ClockEvent],
    calendar: BusinessCalendar,
    *,
    target: timedelta,
    now: datetime,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> ThresholdCrossing | None:
    """Return the lowest threshold not yet reached and the UTC instant the clock reaches it.

    A threshold is a fraction of `target` (1.0 is the breach). None while not running, or when
    every threshold has been reached. A level counts as reached once elapsed >= level * target.
    """
    _check_target(target)
    now_utc = _utc(now, "now")
    phases, state = _replay(events, now_utc)
    if state is not ClockState.RUNNING:
        return None
    spent = _running_time(phases, calendar)
    for level in sorted(thresholds):
        goal = target * level
        if goal > spent:
            return ThresholdCrossing(level, add_business_time(calendar, now_utc, goal - spent))
    return None


def timeline(
    events: Sequence[ClockEvent], calendar: BusinessCalendar, *, start: datetime, end: datetime
) -> list[TimelineSegment]:
    """Return [start, end) cut into labelled segments explaining the clock as of `end`.

    Segments are RUNNING (accruing), OUTSIDE_BUSINESS_HOURS (running but the calendar is
    closed), PAUSED (with its reason), NOT_STARTED and STOPPED. The RUNNING durations within
    the range add up to the business time accrued in it.
    """
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if end_utc < start_utc:
        raise ValueError(f"end {end!r} is before start {start!r}")
    phases, _ = _replay(events, end_utc)
    segments: list[TimelineSegment] = []

    def add(kind: SegmentKind, segment_start: datetime, segment_end: datetime, reason: str = "") -> None:
        segment_start, segment_end = max(segment_start, start_utc), min(segment_end, end_utc)
        if segment_start >= segment_end:
            return
        last = segments[-1] if segments else None
        if last is not None and last.kind is kind and last.reason == reason and last.end == segment_start:
            segments[-1] = TimelineSegment(kind, last.start, segment_end, reason)
        else:
            segments.append(TimelineSegment(kind, segment_start, segment_end, reason))

    add(SegmentKind.NOT_STARTED, start_utc, phases[0].start if phases else end_utc)
    for phase in phases:
        if phase.state is ClockState.PAUSED:
            add(SegmentKind.PAUSED, phase.start, phase.end, phase.reason)
        elif phase.state is ClockState.STOPPED:
            add(SegmentKind.STOPPED, phase.start, phase.end, phase.reason)
        else:
            low, high = max(phase.start, start_utc), min(phase.end, end_utc)
            if low >= high:
                continue
            cursor = low
            for open_start, open_end in open_intervals(calendar, low, high):
                add(SegmentKind.OUTSIDE_BUSINESS_HOURS, cursor, open_start)
                add(SegmentKind.RUNNING, open_start, open_end)
                cursor = open_end
            add(SegmentKind.OUTSIDE_BUSINESS_HOURS, cursor, high)
    return segments
