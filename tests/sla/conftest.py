"""Pure SLA test support: a brute-force reference, hypothesis strategies and calendar fixtures.

The reference deliberately shares no code with sla.calendars: it walks UTC minute by minute,
asks zoneinfo for the local wall time of each minute and checks it against the raw calendar
rows. Everything is whole minutes (every offset of the five zones, Chatham's +12:45 and Lord
Howe's 30-minute DST included, is a whole number of minutes), so counting minutes is exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import strategies as st

from sla.calendars import BusinessCalendar, SpecialHours, WeeklyHours, weekday_hours

MINUTE = timedelta(minutes=1)
DAY_MINUTES = 1440

# Local dates of every UTC-offset change in 2025-2027 (Kolkata has none: arbitrary dates).
TRANSITION_DATES: Mapping[str, tuple[date, ...]] = {
    "America/New_York": (
        date(2025, 3, 9), date(2025, 11, 2), date(2026, 3, 8),
        date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7),
    ),
    "Europe/Berlin": (
        date(2025, 3, 30), date(2025, 10, 26), date(2026, 3, 29),
        date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31),
    ),
    "Australia/Lord_Howe": (
        date(2025, 4, 6), date(2025, 10, 5), date(2026, 4, 5),
        date(2026, 10, 4), date(2027, 4, 4), date(2027, 10, 3),
    ),
    "Pacific/Chatham": (
        date(2025, 4, 6), date(2025, 9, 28), date(2026, 4, 5),
        date(2026, 9, 27), date(2027, 4, 4), date(2027, 9, 26),
    ),
    "Asia/Kolkata": (date(2025, 1, 1), date(2026, 6, 15), date(2027, 12, 31)),
}  # fmt: skip
ZONES = tuple(TRANSITION_DATES)


# --- Raw calendar rows and the brute-force reference ------------------------------------------


@dataclass(frozen=True)
class RawCalendar:
    """Calendar rows as (start minute, length in minutes); a length of 1440 is a 24-hour shift."""

    zone: str
    weekly: Mapping[int, Sequence[tuple[int, int]]]
    holidays: frozenset[date] = frozenset()
    special: Mapping[date, Sequence[tuple[int, int]]] = field(default_factory=dict)

    def build(self) -> BusinessCalendar:
        def clock_time(minute: int) -> time:
            return time((minute % DAY_MINUTES) // 60, minute % 60)

        return BusinessCalendar(
            timezone=self.zone,
            hours=[
                WeeklyHours(weekday, clock_time(start), clock_time(start + length))
                for weekday, shifts in self.weekly.items()
                for start, length in shifts
            ],
            holidays=self.holidays,
            special_hours=[
                SpecialHours(day, clock_time(start), clock_time(start + length))
                for day, shifts in self.special.items()
                for start, length in shifts
            ],
        )

    def shifts_starting_on(self, day: date) -> Sequence[tuple[int, int]]:
        if day in self.special:
            return self.special[day]
        if day in self.holidays:
            return ()
        return self.weekly.get(day.weekday(), ())

    def is_open_at_wall(self, wall: datetime) -> bool:
        day, minute = wall.date(), wall.hour * 60 + wall.minute
        if day in self.holidays and day not in self.special:
            return False
        if any(start <= minute < start + length for start, length in self.shifts_starting_on(day)):
            return True
        yesterday = day - timedelta(days=1)
        return any(
            minute + DAY_MINUTES < start + length for start, length in self.shifts_starting_on(yesterday)
        )


def iter_open_minutes(raw: RawCalendar, start: datetime, minutes: int) -> Iterator[bool]:
    """Yield, for each UTC minute from start, whether its local wall time is open."""
    zone = ZoneInfo(raw.zone)
    for index in range(minutes):
        yield raw.is_open_at_wall((start + index * MINUTE).astimezone(zone))


def open_minutes(raw: RawCalendar, start: datetime, minutes: int) -> list[bool]:
    return list(iter_open_minutes(raw, start, minutes))


def always_open_raw(zone: str) -> RawCalendar:
    return RawCalendar(zone, {weekday: [(0, DAY_MINUTES)] for weekday in range(7)})


# --- Hypothesis strategies -------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    raw: RawCalendar
    calendar: BusinessCalendar
    start: datetime  # UTC, whole minute, near a transition date of raw.zone


# Shift edges near the DST switches (01:00-03:45) and the usual business edges.
_EDGE_MINUTES = (0, 60, 90, 120, 150, 165, 180, 225, 240, 540, 1020, 1320, 1410, 1439)

shift_starts = st.one_of(st.integers(0, DAY_MINUTES - 1), st.sampled_from(_EDGE_MINUTES))
shift_lengths = st.one_of(st.integers(1, DAY_MINUTES), st.sampled_from((30, 60, 120, 180, 480, DAY_MINUTES)))
shifts = st.lists(st.tuples(shift_starts, shift_lengths), min_size=1, max_size=3)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Draw a zone, a calendar and a start instant within a few days of a transition."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(TRANSITION_DATES[zone]))
    nearby_dates = st.integers(-5, 15).map(lambda days: anchor + timedelta(days=days))
    if draw(st.integers(0, 9)) == 0:
        weekly: dict[int, list[tuple[int, int]]] = dict(always_open_raw(zone).weekly)  # 24/7
    else:
        weekly = {weekday: draw(shifts) for weekday in range(7) if draw(st.integers(0, 4))}
    raw = RawCalendar(
        zone=zone,
        weekly=weekly,
        holidays=draw(st.frozensets(nearby_dates, max_size=3)),
        special=draw(st.dictionaries(nearby_dates, shifts, max_size=2)),
    )
    local_midnight = datetime.combine(anchor, time(), tzinfo=ZoneInfo(zone))
    offset = draw(st.one_of(st.integers(-3 * DAY_MINUTES, 3 * DAY_MINUTES), st.integers(-180, 360)))
    start = local_midnight.astimezone(UTC) + offset * MINUTE
    return Scenario(raw=raw, calendar=raw.build(), start=start)


# --- Fixtures for example-based tests --------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_redis_rate_limits() -> None:
    """Override the project-wide autouse fixture: pure SLA tests touch no Django settings."""


@pytest.fixture
def berlin_9_to_17() -> BusinessCalendar:
    return BusinessCalendar("Europe/Berlin", hours=weekday_hours(time(9), time(17)))
