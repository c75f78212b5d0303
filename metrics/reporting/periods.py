"""Windows of UTC days and the rollup rows that add up to them. Pure.

Rollups are kept per day, per ISO week (Monday first) and per calendar month; a week or month row
is exactly the sum of its day rows. A window is read from whole months inside it, then whole
weeks inside what is left, then single days, so a six-month window is about twenty rows per
slice rather than 182. The dashboards' own windows (the named periods ending today, and the ones
before them) are summed once more into a row each per slice, so reading one of them costs one row
per slice whatever its length (trailing_windows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# The dashboards' views: the last 7, 30 and 182 days (26 weeks), today included.
PERIOD_DAYS: dict[str, int] = {"1w": 7, "1m": 30, "6m": 182}
PERIOD_LABELS: dict[str, str] = {"1w": "1 week", "1m": "1 month", "6m": "6 months"}
PERIOD_SPANS: dict[str, str] = {"1w": "the last 7 days", "1m": "the last 30 days", "6m": "the last 26 weeks"}
MAX_WINDOW_DAYS = 366
GRAINS = ("day", "week", "month")
INTERVALS = GRAINS
# The named periods ending today, and the windows just before them (for trends), are also kept as
# rows of their own, one per slice, under these grains (see trailing_windows).
SPAN_GRAINS: dict[int, str] = {days: f"p{period}" for period, days in PERIOD_DAYS.items()}


@dataclass(frozen=True, slots=True)
class Window:
    """The UTC days start..end, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A window ends on or after its start.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Window:
        """Return the window of the same length just before this one."""
        return Window(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def window_for(period: str, *, today: date) -> Window:
    """Return the window of a named period ending today. Raises KeyError for an unknown name."""
    return Window(today - timedelta(days=PERIOD_DAYS[period] - 1), today)


def trailing_windows(today: date) -> list[tuple[str, Window]]:
    """Return (grain, window) of every named period ending `today` and of the window before each."""
    windows = []
    for period, days in PERIOD_DAYS.items():
        window = window_for(period, today=today)
        windows += [(SPAN_GRAINS[days], window), (SPAN_GRAINS[days], window.previous())]
    return windows


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def grain_start(grain: str, day: date) -> date:
    """Return the first day of the `grain` row holding `day`."""
    if grain == "week":
        return week_start(day)
    if grain == "month":
        return month_start(day)
    return day


def grain_end(grain: str, start: date) -> date:
    """Return the last day of the `grain` row starting on `start`."""
    if grain == "week":
        return start + timedelta(days=6)
    if grain == "month":
        return next_month(start) - timedelta(days=1)
    return start


def _weeks_and_days(start: date, end: date) -> list[tuple[str, date]]:
    rows: list[tuple[str, date]] = []
    day = start
    while day <= end:
        if day.weekday() == 0 and day + timedelta(days=6) <= end:
            rows.append(("week", day))
            day += timedelta(days=7)
        else:
            rows.append(("day", day))
            day += timedelta(days=1)
    return rows


def decompose(window: Window) -> list[tuple[str, date]]:
    """Return (grain, first day) of the fewest stored rows that add up to exactly `window`."""
    rows: list[tuple[str, date]] = []
    first_month = month_start(window.start)
    if first_month < window.start:
        first_month = next_month(first_month)
    month = first_month
    while next_month(month) - timedelta(days=1) <= window.end:
        month = next_month(month)
    # Whole months are [first_month, month); what is left on either side is weeks and days.
    if first_month < month:
        rows.extend(_weeks_and_days(window.start, first_month - timedelta(days=1)))
        cursor = first_month
        while cursor < month:
            rows.append(("month", cursor))
            cursor = next_month(cursor)
        rows.extend(_weeks_and_days(month, window.end))
    else:
        rows.extend(_weeks_and_days(window.start, window.end))
    return rows


def buckets(window: Window, interval: str) -> list[Window]:
    """Return the window cut at `interval` boundaries (day, week or month), first to last.

    Raises ValueError for another interval.
    """
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}")
    result = []
    start = window.start
    while start <= window.end:
        end = min(grain_end(interval, grain_start(interval, start)), window.end)
        result.append(Window(start, end))
        start = end + timedelta(days=1)
    return result


def touched_rows(days: set[date]) -> tuple[set[date], set[date]]:
    """Return the week and month rows (first days) that hold any of `days`."""
    return {week_start(day) for day in days}, {month_start(day) for day in days}


__all__ = [
    "GRAINS",
    "INTERVALS",
    "MAX_WINDOW_DAYS",
    "PERIOD_DAYS",
    "PERIOD_LABELS",
    "PERIOD_SPANS",
    "SPAN_GRAINS",
    "Window",
    "buckets",
    "decompose",
    "grain_end",
    "grain_start",
    "touched_rows",
    "trailing_windows",
    "window_for",
]
