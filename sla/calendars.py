"""Business calendars and business-time arithmetic. Pure: no Django imports.

A calendar says, in the *local wall-clock time* of one IANA zone, when the business is open:
weekly shifts (several per day, possibly crossing midnight, 24/7), holidays (local dates, closed
all day) and special hours for single dates. An instant is open when its local wall-clock time
falls inside an open interval; business time is the *real elapsed time* spent open. So on a
spring-forward night a 01:00-04:00 shift lasts 2 real hours (02:00-03:00 never happens), and on a
fall-back night a 01:00-02:00 shift lasts 2 real hours (the wall clock shows 01:xx twice).

All public functions take aware datetimes (any zone), return aware UTC datetimes, and raise
ValueError on naive input. The full rules, with worked examples, are in docs/sla.md.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "CALENDAR_24_7",
    "SEARCH_HORIZON",
    "BusinessCalendar",
    "CalendarNeverOpensError",
    "SpecialHours",
    "WeeklyHours",
    "add_business_time",
    "business_time_between",
    "holidays_for",
    "is_open",
    "next_open",
    "open_intervals",
    "weekday_hours",
]

DAY_SECONDS = 86_400
ONE_SECOND = timedelta(seconds=1)
ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)
# add_business_time / next_open give up after this long without any open time.
SEARCH_HORIZON = timedelta(days=731)

# A half-open span of a local day in seconds since local midnight: [start, end).
# Shift spans may end after 86_400 (the shift crosses midnight); day spans never do.
Span = tuple[int, int]
Interval = tuple[datetime, datetime]


class CalendarNeverOpensError(ValueError):
    """Raised when a calendar has no open time within SEARCH_HORIZON of the search point."""


def _seconds_of(value: time, what: str) -> int:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValueError(f"{what} must be a naive datetime.time (local wall-clock time), got {value!r}")
    if value.microsecond:
        raise ValueError(f"{what} must be whole seconds, got {value!r}")
    return value.hour * 3600 + value.minute * 60 + value.second


def _shift_span(start: time, end: time) -> Span:
    """Return the span of a shift; `end <= start` means it ends on the next day."""
    start_seconds = _seconds_of(start, "start")
    end_seconds = _seconds_of(end, "end")
    if end_seconds <= start_seconds:
        end_seconds += DAY_SECONDS
    return (start_seconds, end_seconds)


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """One weekly shift: opens on `weekday` (0 = Monday) at `start`, closes at `end`.

    Times are local wall-clock times. `end <= start` means the shift runs past midnight into the
    next day (Fri 22:00-06:00 closes Saturday 06:00); `start == end` is a 24-hour shift, so
    00:00-00:00 is the whole day.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {self.weekday!r}")
        _shift_span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class SpecialHours:
    """One shift on a single local date; a date's special hours replace its weekly shifts.

    Use it for an extra open day (a Saturday, or a holiday that is worked) or shortened hours
    (Christmas Eve 09:00-12:00). Several rows for one date give several shifts. Same `end`
    rules as WeeklyHours.
    """

    day: date
    start: time
    end: time

    def __post_init__(self) -> None:
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise ValueError(f"day must be a datetime.date, got {self.day!r}")
        _shift_span(self.start, self.end)


def weekday_hours(start: time, end: time, weekdays: Iterable[int] = range(5)) -> tuple[WeeklyHours, ...]:
    """Return the same shift on each of `weekdays` (default Monday to Friday)."""
    return tuple(WeeklyHours(weekday, start, end) for weekday in weekdays)


def _merge_spans(spans: Iterable[Span]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _day_spans_from(today: Sequence[Span], yesterday: Sequence[Span]) -> tuple[Span, ...]:
    """Return the open spans of one local day from the shifts starting today and yesterday."""
    spans = [(start, min(end, DAY_SECONDS)) for start, end in today]
    spans += [(0, end - DAY_SECONDS) for _, end in yesterday if end > DAY_SECONDS]
    return _merge_spans(spans)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When a business is open, in the local wall-clock time of `timezone` (an IANA key).

    Rules (see docs/sla.md):
    - A shift belongs to the local date it starts on and may run past midnight.
    - A holiday closes its local date from 00:00 to 24:00 and cancels every shift starting on
      it; the night shift of the day before stops at midnight.
    - Special hours for a date replace that date's weekly shifts (and win over a holiday on the
      same date); the previous day's night shift still runs into it.

    Built from plain values (lists are accepted and frozen), so a service can construct it from
    rows. Equal calendars compare and hash equal.
    """

    timezone: str
    hours: tuple[WeeklyHours, ...] = ()
    holidays: frozenset[date] = frozenset()
    special_hours: tuple[SpecialHours, ...] = ()

    # Derived in __post_init__; not part of equality or the repr.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _weekly_shifts: tuple[tuple[Span, ...], ...] = field(init=False, repr=False, compare=False)
    _regular_days: tuple[tuple[Span, ...], ...] = field(init=False, repr=False, compare=False)
    _special_shifts: Mapping[date, tuple[Span, ...]] = field(init=False, repr=False, compare=False)
    _irregular_dates: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _week_total: timedelta = field(init=False, repr=False, compare=False)
    # Memo of _day_intervals: a calendar is immutable, so a local date's open UTC intervals never
    # change; bounded by DAY_MEMO_SIZE (cleared when full).
    _day_memo: dict[date, tuple[Interval, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, str):
            raise ValueError(f"timezone must be an IANA key such as 'Europe/Berlin', got {self.timezone!r}")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.timezone!r}") from error
        hours = tuple(self.hours)
        holidays = frozenset(self.holidays)
        special_hours = tuple(self.special_hours)
        if not all(isinstance(row, WeeklyHours) for row in hours):
            raise ValueError("hours must be WeeklyHours rows")
        if not all(isinstance(row, SpecialHours) for row in special_hours):
            raise ValueError("special_hours must be SpecialHours rows")
        if any(isinstance(day, datetime) or not isinstance(day, date) for day in holidays):
            raise ValueError("holidays must be datetime.date values (local dates)")

        weekly = tuple(
            tuple(sorted(_shift_span(row.start, row.end) for row in hours if row.weekday == weekday))
            for weekday in range(7)
        )
        regular = tuple(_day_spans_from(weekly[weekday], weekly[weekday - 1]) for weekday in range(7))
        special: dict[date, list[Span]] = {}
        for row in special_hours:
            special.setdefault(row.day, []).append(_shift_span(row.start, row.end))

        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "special_hours", special_hours)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_weekly_shifts", weekly)
        object.__setattr__(self, "_regular_days", regular)
        object.__setattr__(self, "_special_shifts", {day: tuple(sorted(s)) for day, s in special.items()})
        object.__setattr__(self, "_irregular_dates", tuple(sorted(holidays | special.keys())))
        week_seconds = sum(end - start for day in regular for start, end in day)
        object.__setattr__(self, "_week_total", timedelta(seconds=week_seconds))
        object.__setattr__(self, "_day_memo", {})

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessCalendar:
        """Return a 24/7 calendar (calendar-hours mode): every instant is open."""
        return cls(timezone=timezone, hours=weekday_hours(time(0), time(0), range(7)))

    @property
    def zone(self) -> ZoneInfo:
        """Return the calendar's time zone."""
        return self._zone

    def _shifts_starting_on(self, day: date) -> tuple[Span, ...]:
        special = self._special_shifts.get(day)
        if special is not None:
            return special
        if day in self.holidays:
            return ()
        return self._weekly_shifts[day.weekday()]

    def _is_irregular(self, day: date) -> bool:
        return day in self.holidays or day in self._special_shifts

    def day_spans(self, day: date) -> tuple[Span, ...]:
        """Return the open spans of local `day` as merged (start, end) seconds since midnight.

        Includes the part after midnight of the previous day's night shifts.
        """
        yesterday = day - ONE_DAY
        if not self._irregular_dates or not (self._is_irregular(day) or self._is_irregular(yesterday)):
            return self._regular_days[day.weekday()]
        if day in self.holidays and day not in self._special_shifts:
            return ()
        return _day_spans_from(self._shifts_starting_on(day), self._shifts_starting_on(yesterday))


DAY_MEMO_SIZE = 4096  # local dates whose open intervals a calendar remembers (~11 years)

# A 24/7 calendar. Holiday-free, so its zone does not matter.
CALENDAR_24_7 = BusinessCalendar.always_open("UTC")


# --- Local wall time -> UTC -------------------------------------------------------------------
#
# Between two UTC offset changes the wall clock is `utc + offset`, a plain translation, so the
# UTC instants whose wall time lies in [wall_start, wall_end) are, per constant-offset segment,
# [wall_start - offset, wall_end - offset) clipped to the segment. Gaps then contribute nothing
# and repeated hours contribute twice, which is exactly the "real time while the wall clock
# is inside" rule. We assume a zone changes offset at most once within ~25 hours (true of
# every zone in tzdata since 1970); offset changes happen on whole seconds.


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = zone.fromutc(instant.replace(tzinfo=zone)).utcoffset()
    assert offset is not None
    return offset


def _wall_offsets(zone: ZoneInfo, wall: datetime) -> set[timedelta]:
    """Return the offsets a naive wall time may have (two in a gap or a repeated hour)."""
    first, second = zone.utcoffset(wall), zone.utcoffset(wall.replace(fold=1))
    assert first is not None
    assert second is not None
    return {first, second}


def _offset_segments(zone: ZoneInfo, low: datetime, high: datetime) -> list[tuple[datetime, timedelta]]:
    """Return (segment start, offset) for each constant-offset segment of [low, high]."""
    segments: list[tuple[datetime, timedelta]] = []

    def split(left: datetime, left_offset: timedelta, right: datetime, right_offset: timedelta) -> None:
        if left_offset == right_offset or right - left <= ONE_SECOND:
            if not segments or segments[-1][1] != left_offset:
                segments.append((left, left_offset))
            if left_offset != right_offset and segments[-1][1] != right_offset:
                segments.append((right, right_offset))
            return
        middle = left + timedelta(seconds=(right - left) // ONE_SECOND // 2)
        middle_offset = _offset_at(zone, middle)
        split(left, left_offset, middle, middle_offset)
        split(middle, middle_offset, right, right_offset)

    split(low, _offset_at(zone, low), high, _offset_at(zone, high))
    return segments


def _wall_interval_to_utc(zone: ZoneInfo, wall_start: datetime, wall_end: datetime) -> list[Interval]:
    """Return the UTC intervals during which the local wall clock is in [wall_start, wall_end)."""
    offsets = _wall_offsets(zone, wall_start) | _wall_offsets(zone, wall_end)
    low = (wall_start - max(offsets)).replace(tzinfo=UTC)
    high = (wall_end - min(offsets)).replace(tzinfo=UTC)
    if len(offsets) == 1:
        return [(low, high)]
    segments = _offset_segments(zone, low, high)
    pieces = []
    for index, (segment_start, offset) in enumerate(segments):
        segment_end = segments[index + 1][0] if index + 1 < len(segments) else high
        piece_start = max(segment_start, (wall_start - offset).replace(tzinfo=UTC))
        piece_end = min(segment_end, (wall_end - offset).replace(tzinfo=UTC))
        if piece_start < piece_end:
            pieces.append((piece_start, piece_end))
    return pieces


def _day_intervals(calendar: BusinessCalendar, day: date) -> list[Interval]:
    """Return the UTC intervals of local `day`'s open spans (unsorted across a repeated hour)."""
    spans = calendar.day_spans(day)
    if not spans:
        return []
    zone = calendar._zone
    midnight = datetime.combine(day, time())
    offsets = _wall_offsets(zone, midnight) | _wall_offsets(zone, midnight + ONE_DAY)
    if len(offsets) == 1:
        # The usual day: one offset from midnight to midnight.
        base = (midnight - offsets.pop()).replace(tzinfo=UTC)
        return [(base + timedelta(seconds=start), base + timedelta(seconds=end)) for start, end in spans]
    intervals: list[Interval] = []
    for start, end in spans:
        intervals += _wall_interval_to_utc(
            zone, midnight + timedelta(seconds=start), midnight + timedelta(seconds=end)
        )
    return intervals


def _merge_intervals(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _intervals_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[Interval]:
    """Return the merged, sorted open UTC intervals clipped to [start, end)."""
    zone = calendar._zone
    # One extra local day on each side: a repeated hour around midnight can put a neighbouring
    # date's wall times inside [start, end).
    day = start.astimezone(zone).date() - ONE_DAY
    last_day = end.astimezone(zone).date() + ONE_DAY
    clipped = []
    memo = calendar._day_memo
    while day <= last_day:
        intervals = memo.get(day)
        if intervals is None:
            if len(memo) >= DAY_MEMO_SIZE:
                memo.clear()
            intervals = memo[day] = tuple(_day_intervals(calendar, day))
        for interval_start, interval_end in intervals:
            if interval_start < end and interval_end > start:
                clipped.append((max(interval_start, start), min(interval_end, end)))
        day += ONE_DAY
    return _merge_intervals(clipped)


def _is_regular_week(calendar: BusinessCalendar, start: datetime) -> bool:
    """Return whether [start, start + 7 days) holds exactly the calendar's weekly open time.

    True when the UTC offset is constant around the window and no holiday or special date
    touches it: the wall clock is then a translation of UTC, and a periodic week is a week.
    """
    zone = calendar._zone
    before, after = start - ONE_DAY, start + ONE_WEEK + ONE_DAY
    if _offset_at(zone, before) != _offset_at(zone, after):
        return False
    dates = calendar._irregular_dates
    if not dates:
        return True
    first = before.astimezone(zone).date() - ONE_DAY
    last = after.astimezone(zone).date() + ONE_DAY
    index = bisect.bisect_left(dates, first)
    return index == len(dates) or dates[index] > last


def _as_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


def _as_utc_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start_utc, end_utc = _as_utc(start, "start"), _as_utc(end, "end")
    if end_utc < start_utc:
        raise ValueError(f"end {end!r} is before start {start!r}")
    return start_utc, end_utc


# --- Public arithmetic ------------------------------------------------------------------------


def open_intervals(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[Interval]:
    """Return the UTC intervals in [start, end) during which the calendar is open.

    Intervals are half-open, clipped to the range, merged when they touch, and sorted.
    Raises ValueError on naive input or when end is before start.
    """
    start_utc, end_utc = _as_utc_range(start, end)
    if start_utc == end_utc:
        return []
    return _intervals_between(calendar, start_utc, end_utc)


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Return the business time (real time while open) in [start, end).

    Raises ValueError on naive input or when end is before start.
    """
    start_utc, end_utc = _as_utc_range(start, end)
    total = timedelta(0)
    cursor = start_utc
    while cursor < end_utc:
        if end_utc - cursor >= ONE_WEEK and _is_regular_week(calendar, cursor):
            total += calendar._week_total
            cursor += ONE_WEEK
            continue
        chunk_end = min(end_utc, cursor + ONE_WEEK)
        for interval_start, interval_end in _intervals_between(calendar, cursor, chunk_end):
            total += interval_end - interval_start
        cursor = chunk_end
    return total


def add_business_time(calendar: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """Return the earliest UTC instant by which `amount` of business time has elapsed since start.

    The result can be a closing instant (8 h from Monday 09:00 on 9-17 is Monday 17:00, not
    Tuesday 09:00). An amount of zero returns start, open or not. Whole regular weeks are
    skipped in one step, so long amounts cost little.
    Raises ValueError on naive start or a negative amount, and CalendarNeverOpensError when
    the calendar stays closed for SEARCH_HORIZON.
    """
    cursor = _as_utc(start, "start")
    if amount < timedelta(0):
        raise ValueError(f"amount must not be negative, got {amount!r}")
    if not amount:
        return cursor
    remaining = amount
    week_total = calendar._week_total
    last_open = cursor
    chunk = ONE_DAY
    while True:
        if remaining > week_total and _is_regular_week(calendar, cursor):
            remaining -= week_total
            cursor += ONE_WEEK
            if week_total:
                last_open = cursor
        else:
            chunk_end = cursor + chunk
            for interval_start, interval_end in _intervals_between(calendar, cursor, chunk_end):
                length = interval_end - interval_start
                if remaining <= length:
                    return interval_start + remaining
                remaining -= length
                last_open = interval_end
            cursor = chunk_end
            chunk = min(chunk * 2, ONE_WEEK)
        if cursor - last_open > SEARCH_HORIZON:
            raise CalendarNeverOpensError(
                f"calendar {calendar.timezone!r} has no open time between {last_open.isoformat()} "
                f"and {cursor.isoformat()}; {remaining} of {amount} business time left"
            )


def is_open(calendar: BusinessCalendar, at: datetime) -> bool:
    """Return whether the calendar is open at the instant `at`.

    Raises ValueError on naive input.
    """
    local = _as_utc(at, "at").astimezone(calendar._zone)
    second = local.hour * 3600 + local.minute * 60 + local.second
    # Span edges are whole seconds, so the microseconds cannot change the answer.
    return any(start <= second < end for start, end in calendar.day_spans(local.date()))


def next_open(calendar: BusinessCalendar, at: datetime) -> datetime | None:
    """Return the first open UTC instant at or after `at`, or None within SEARCH_HORIZON.

    Returns `at` itself (in UTC) when the calendar is open then. Raises ValueError on naive input.
    """
    cursor = _as_utc(at, "at")
    horizon = cursor + SEARCH_HORIZON
    while cursor < horizon:
        if not calendar._week_total and _is_regular_week(calendar, cursor):
            cursor += ONE_WEEK
            continue
        chunk_end = min(cursor + ONE_WEEK, horizon)
        intervals = _intervals_between(calendar, cursor, chunk_end)
        if intervals:
            return intervals[0][0]
        cursor = chunk_end
    return None


# --- Holidays from the `holidays` package -----------------------------------------------------


def holidays_for(country: str, subdivision: str | None, years: Iterable[int]) -> frozenset[date]:
    """Return the public holidays of a country (and subdivision) in `years` as local dates.

    A one-off import helper: store the result as calendar rows, do not call it per request.
    Raises ValueError for a country or subdivision the `holidays` package does not know.
    """
    import holidays  # Imported here so the calendar core works without the package.

    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=sorted(set(years)))
    except NotImplementedError as error:
        raise ValueError(f"no holiday data for country {country!r}") from error
    return frozenset(found.keys())
