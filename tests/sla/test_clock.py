"""SLA clocks: exact examples, then properties against a minute-by-minute reference."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla import clock
from sla.calendars import BusinessCalendar, CalendarNeverOpensError
from sla.clock import (
    ClockEvent,
    ClockEventKind,
    ClockState,
    InvalidClockEventsError,
    SegmentKind,
    ThresholdCrossing,
    TimelineSegment,
)
from tests.sla.conftest import MINUTE, RawCalendar, Scenario, scenarios

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
K = ClockEventKind

FRI_1630 = datetime(2025, 6, 13, 16, 30, tzinfo=BERLIN)
MON_0900 = datetime(2025, 6, 16, 9, tzinfo=BERLIN)
MON_1000 = datetime(2025, 6, 16, 10, tzinfo=BERLIN)
MON_1100 = datetime(2025, 6, 16, 11, tzinfo=BERLIN)
MON_1400 = datetime(2025, 6, 16, 14, tzinfo=BERLIN)
MON_1500 = datetime(2025, 6, 16, 15, tzinfo=BERLIN)


def started(at: datetime) -> ClockEvent:
    return ClockEvent(K.STARTED, at)


def paused(at: datetime, reason: str = "waiting_on_customer") -> ClockEvent:
    return ClockEvent(K.PAUSED, at, reason)


def resumed(at: datetime) -> ClockEvent:
    return ClockEvent(K.RESUMED, at)


def fulfilled(at: datetime) -> ClockEvent:
    return ClockEvent(K.FULFILLED, at)


# --- Examples -------------------------------------------------------------------------------


def test_pause_stops_the_clock(berlin_9_to_17: BusinessCalendar) -> None:
    # given
    events = [started(MON_0900), paused(MON_1000), resumed(MON_1400)]

    # when
    result = clock.elapsed(events, berlin_9_to_17, now=MON_1500)

    # then
    assert result == 2 * HOUR


def test_friday_ticket_is_due_monday_1230_then_moves_with_a_pause(berlin_9_to_17: BusinessCalendar) -> None:
    # given: created Friday 16:30, 4 h business target; pending customer Monday 10:00-14:00
    events = [started(FRI_1630), paused(MON_1000), resumed(MON_1400)]

    # when
    before_pause = clock.due_at(events, berlin_9_to_17, target=4 * HOUR, now=MON_0900)
    while_paused = clock.due_at(events, berlin_9_to_17, target=4 * HOUR, now=MON_1100)
    after_resume = clock.due_at(events, berlin_9_to_17, target=4 * HOUR, now=MON_1400)

    # then: 30 min Friday + 1 h Monday before the pause, 2 h 30 min left at 14:00
    assert before_pause == datetime(2025, 6, 16, 12, 30, tzinfo=BERLIN)
    assert while_paused is None
    assert after_resume == datetime(2025, 6, 16, 16, 30, tzinfo=BERLIN)


def test_four_hour_target_across_spring_forward_night_is_four_real_hours() -> None:
    # given: a 24/7 clock started Saturday 22:00 EST; 02:00-03:00 on Sunday does not exist
    calendar = BusinessCalendar.always_open("America/New_York")
    events = [started(datetime(2025, 3, 8, 22, tzinfo=NEW_YORK))]

    # when
    due = clock.due_at(events, calendar, target=4 * HOUR, now=datetime(2025, 3, 8, 23, tzinfo=NEW_YORK))

    # then
    assert due == datetime(2025, 3, 9, 3, tzinfo=NEW_YORK)
    assert due - events[0].at == 4 * HOUR


def test_due_at_after_breach_is_when_the_target_was_reached(berlin_9_to_17: BusinessCalendar) -> None:
    # given: running since Monday 09:00, paused 10:00-14:00, target 2 h
    events = [started(MON_0900), paused(MON_1000), resumed(MON_1400)]

    # when
    result = clock.due_at(
        events, berlin_9_to_17, target=2 * HOUR, now=datetime(2025, 6, 17, 9, tzinfo=BERLIN)
    )

    # then
    assert result == MON_1500


@pytest.mark.parametrize(
    ("_case", "events", "expected_state"),
    [
        ("not started", [], ClockState.NOT_STARTED),
        ("paused", [started(MON_0900), paused(MON_1000)], ClockState.PAUSED),
        ("fulfilled", [started(MON_0900), fulfilled(MON_1000)], ClockState.STOPPED),
        ("stopped while paused", [started(MON_0900), paused(MON_1000), ClockEvent(K.STOPPED, MON_1100)],
         ClockState.STOPPED),
    ],
)  # fmt: skip
def test_clock_that_is_not_running_has_no_deadline_or_next_threshold(
    berlin_9_to_17: BusinessCalendar, _case: str, events: list[ClockEvent], expected_state: ClockState
) -> None:
    # when
    state = clock.clock_state(events, now=MON_1400)
    due = clock.due_at(events, berlin_9_to_17, target=HOUR, now=MON_1400)
    threshold = clock.next_threshold_at(events, berlin_9_to_17, target=HOUR, now=MON_1400)

    # then
    assert state == expected_state
    assert due is None
    assert threshold is None


def test_events_after_now_are_ignored(berlin_9_to_17: BusinessCalendar) -> None:
    # given: the log as replayed at 11:00 must not see the 14:00 pause
    events = [started(MON_0900), paused(MON_1400)]

    # when
    result = clock.elapsed(events, berlin_9_to_17, now=MON_1100)
    state = clock.clock_state(events, now=MON_1100)

    # then
    assert result == 2 * HOUR
    assert state == ClockState.RUNNING


def test_percent_elapsed_counts_only_business_time(berlin_9_to_17: BusinessCalendar) -> None:
    # given: Friday 16:30-17:00 and Monday 09:00-10:00
    events = [started(FRI_1630)]

    # when
    result = clock.percent_elapsed(events, berlin_9_to_17, target=6 * HOUR, now=MON_1000)

    # then
    assert result == 25.0


@pytest.mark.parametrize(
    ("_case", "now", "expected"),
    [
        ("at start, yellow is next", MON_0900, ThresholdCrossing(0.5, datetime(2025, 6, 16, 11, tzinfo=BERLIN))),
        ("exactly 50 %, orange is next", MON_1100, ThresholdCrossing(0.8, datetime(2025, 6, 16, 12, 12, tzinfo=BERLIN))),
        ("past 100 %, severe breach is next", datetime(2025, 6, 16, 16, tzinfo=BERLIN),
         ThresholdCrossing(2.0, datetime(2025, 6, 16, 17, tzinfo=BERLIN))),
        ("past 200 %, nothing left", datetime(2025, 6, 17, 10, tzinfo=BERLIN), None),
    ],
)  # fmt: skip
def test_next_threshold_at_returns_the_next_level_not_yet_reached(
    berlin_9_to_17: BusinessCalendar, _case: str, now: datetime, expected: ThresholdCrossing | None
) -> None:
    # given: a 4 h target running since Monday 09:00
    events = [started(MON_0900)]

    # when
    result = clock.next_threshold_at(events, berlin_9_to_17, target=4 * HOUR, now=now)

    # then
    assert result == expected


def test_timeline_explains_the_deadline(berlin_9_to_17: BusinessCalendar) -> None:
    # given
    events = [started(FRI_1630), paused(MON_1000, "waiting_on_customer"), resumed(MON_1400)]

    # when
    result = clock.timeline(events, berlin_9_to_17, start=FRI_1630 - HOUR / 2, end=MON_1500)

    # then
    def segment(kind: SegmentKind, start: datetime, end: datetime, reason: str = "") -> TimelineSegment:
        return TimelineSegment(kind, start.astimezone(UTC), end.astimezone(UTC), reason)

    assert result == [
        segment(SegmentKind.NOT_STARTED, FRI_1630 - HOUR / 2, FRI_1630),
        segment(SegmentKind.RUNNING, FRI_1630, datetime(2025, 6, 13, 17, tzinfo=BERLIN)),
        segment(SegmentKind.OUTSIDE_BUSINESS_HOURS, datetime(2025, 6, 13, 17, tzinfo=BERLIN), MON_0900),
        segment(SegmentKind.RUNNING, MON_0900, MON_1000),
        segment(SegmentKind.PAUSED, MON_1000, MON_1400, "waiting_on_customer"),
        segment(SegmentKind.RUNNING, MON_1400, MON_1500),
    ]


def test_pausing_again_changes_the_reason_and_stop_closes_the_timeline(
    berlin_9_to_17: BusinessCalendar,
) -> None:
    # given
    events = [
        started(MON_0900),
        paused(MON_1000, "customer"),
        paused(MON_1100, "vendor"),
        fulfilled(MON_1400),
    ]

    # when
    result = clock.timeline(events, berlin_9_to_17, start=MON_0900, end=MON_1500)

    # then
    assert [(segment.kind, segment.reason, segment.duration) for segment in result] == [
        (SegmentKind.RUNNING, "", HOUR),
        (SegmentKind.PAUSED, "customer", HOUR),
        (SegmentKind.PAUSED, "vendor", 3 * HOUR),
        (SegmentKind.STOPPED, "fulfilled", HOUR),
    ]


@pytest.mark.parametrize(
    ("_case", "events"),
    [
        ("pause before start", [paused(MON_0900)]),
        ("resume while running", [started(MON_0900), resumed(MON_1000)]),
        ("started twice", [started(MON_0900), started(MON_1000)]),
        ("event after fulfilment", [started(MON_0900), fulfilled(MON_1000), resumed(MON_1100)]),
        ("out of order", [started(MON_1000), paused(MON_0900)]),
    ],
)
def test_impossible_event_logs_are_refused(
    berlin_9_to_17: BusinessCalendar, _case: str, events: list[ClockEvent]
) -> None:
    with pytest.raises(InvalidClockEventsError):
        clock.elapsed(events, berlin_9_to_17, now=MON_1500)


def test_clock_event_takes_stored_strings_and_normalises_to_utc() -> None:
    # when
    event = ClockEvent("paused", MON_1000, "waiting_on_customer")  # type: ignore[arg-type]

    # then
    assert event.kind is ClockEventKind.PAUSED
    assert event.at == MON_1000
    assert event.at.tzinfo is UTC
    with pytest.raises(ValueError, match="aware"):
        ClockEvent(K.STARTED, datetime(2025, 6, 16, 9))


@pytest.mark.parametrize("target", [timedelta(0), -HOUR])
def test_target_must_be_positive(berlin_9_to_17: BusinessCalendar, target: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        clock.due_at([started(MON_0900)], berlin_9_to_17, target=target, now=MON_1000)


# --- Properties against the reference ----------------------------------------------------


def reference_running(events: Sequence[ClockEvent], instant: datetime) -> bool:
    state = "not started"
    for event in events:
        if event.at > instant:
            break
        state = "running" if event.kind in (K.STARTED, K.RESUMED) else "not running"
    return state == "running"


def reference_elapsed(raw: RawCalendar, events: Sequence[ClockEvent], now: datetime) -> timedelta:
    """Count whole UTC minutes before now that are both running and open."""
    zone = ZoneInfo(raw.zone)
    count = 0
    instant = events[0].at
    while instant < now:
        count += reference_running(events, instant) and raw.is_open_at_wall(instant.astimezone(zone))
        instant += MINUTE
    return count * MINUTE


@st.composite
def clock_cases(draw: st.DrawFn) -> tuple[Scenario, list[ClockEvent], datetime]:
    """Draw a scenario, a log of pauses and resumes (maybe a final stop), and a `now`."""
    scenario = draw(scenarios())
    gaps = st.integers(0, 2 * 24 * 60).map(lambda minutes: minutes * MINUTE)
    reasons = st.sampled_from(["waiting_on_customer", "third_party"])
    at = scenario.start
    events = [started(at)]
    is_running = True
    for _ in range(draw(st.integers(0, 5))):
        at += draw(gaps)
        if is_running or draw(st.integers(0, 3)) == 0:
            events.append(paused(at, draw(reasons)))
            is_running = False
        else:
            events.append(resumed(at))
            is_running = True
    if draw(st.integers(0, 4)) == 0:
        at += draw(gaps)
        events.append(ClockEvent(draw(st.sampled_from([K.STOPPED, K.FULFILLED])), at))
    now = at + draw(gaps)
    return scenario, events, now


@settings(max_examples=80, deadline=None)
@given(case=clock_cases())
def test_elapsed_and_timeline_match_brute_force_over_running_minutes(
    case: tuple[Scenario, list[ClockEvent], datetime],
) -> None:
    # given
    scenario, events, now = case
    expected = reference_elapsed(scenario.raw, events, now)

    # when
    result = clock.elapsed(events, scenario.calendar, now=now)
    segments = clock.timeline(events, scenario.calendar, start=events[0].at, end=now)

    # then
    assert result == expected
    assert sum((s.duration for s in segments if s.kind is SegmentKind.RUNNING), timedelta(0)) == expected
    assert all(a.end == b.start for a, b in itertools.pairwise(segments))
    if segments:
        assert (segments[0].start, segments[-1].end) == (events[0].at, now)


@settings(max_examples=150, deadline=None)
@given(case=clock_cases(), target_minutes=st.integers(1, 3 * 24 * 60))
def test_elapsed_at_due_at_is_the_target(
    case: tuple[Scenario, list[ClockEvent], datetime], target_minutes: int
) -> None:
    # given
    scenario, events, now = case
    target = target_minutes * MINUTE

    # when
    try:
        due = clock.due_at(events, scenario.calendar, target=target, now=now)
        crossing = clock.next_threshold_at(events, scenario.calendar, target=target, now=now)
    except CalendarNeverOpensError:
        assume(False)
        return

    # then
    if clock.clock_state(events, now=now) is not ClockState.RUNNING:
        assert due is None
        assert crossing is None
        return
    assert due is not None
    assert clock.elapsed(events, scenario.calendar, now=due) == target
    spent = clock.elapsed(events, scenario.calendar, now=now)
    assert (due > now) is (spent < target)
    if crossing is not None:
        assert crossing.at > now
        assert clock.elapsed(events, scenario.calendar, now=crossing.at) == target * crossing.level
        assert all(target * level <= spent for level in clock.DEFAULT_THRESHOLDS if level < crossing.level)
