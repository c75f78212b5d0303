"""The arrivals heatmap as its page shows it: shaded cells, the busiest hours and a hint for
choosing business hours from the data. Pure: it reads a `selectors.Heatmap`, nothing else.

A cell's shade is its count as a fifth of the busiest cell (1–5; 0 only for no arrivals), so the
colours compare hours within one heatmap. The business-hours hint is the shortest run of whole
hours that, kept on every weekday (Monday to Friday), holds at least 80 % of the weekday
arrivals; weekend arrivals are reported beside it, since one weekday window cannot cover them.
"""

from __future__ import annotations

import functools
import math
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from metrics.reporting.selectors import WEEKDAYS, Heatmap

SHADES = 5
BUSINESS_HOURS_COVERAGE = 80  # percent of weekday arrivals the suggested window holds
WORKDAYS = range(5)  # Monday to Friday
BUSIEST_CELLS = 5


def hour_span(hour: int, end_hour: int | None = None) -> str:
    """Return "09:00–10:00" for an hour, or "09:00–17:00" for a run of hours ending at `end_hour`."""
    end = hour + 1 if end_hour is None else end_hour
    return f"{hour:02d}:00–{end:02d}:00"


@dataclass(frozen=True, slots=True)
class Cell:
    weekday: int  # 0 = Monday
    hour: int  # 0–23, local to the heatmap's zone
    count: int
    shade: int  # 0 (no arrivals) to SHADES (the busiest cell)
    share: float  # percent of all arrivals in the heatmap

    @property
    def label(self) -> str:
        """Return the cell in words, e.g. "Tuesday 10:00–11:00: 23 arrivals (4.1 %)"."""
        noun = "arrival" if self.count == 1 else "arrivals"
        return f"{WEEKDAYS[self.weekday]} {hour_span(self.hour)}: {self.count} {noun} ({self.share:.1f} %)"


@dataclass(frozen=True, slots=True)
class Shade:
    level: int
    low: int  # the fewest arrivals a cell of this shade holds
    high: int  # the most


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """The suggested weekday window: hours start_hour..end_hour (end excluded), Monday to Friday."""

    start_hour: int
    end_hour: int  # 1–24
    covered: int  # weekday arrivals inside the window
    weekday_total: int
    total: int  # every arrival, weekends included

    @property
    def hours(self) -> int:
        return self.end_hour - self.start_hour

    @property
    def span(self) -> str:
        return hour_span(self.start_hour, self.end_hour)

    @property
    def weekday_share(self) -> float:
        return 100 * self.covered / self.weekday_total

    @property
    def overall_share(self) -> float:
        return 100 * self.covered / self.total

    @property
    def weekend_share(self) -> float:
        return 100 * (self.total - self.weekday_total) / self.total


@dataclass(frozen=True, slots=True)
class DayRow:
    weekday: str  # "Monday"
    cells: tuple[Cell, ...]  # hours 0–23
    total: int


@dataclass(frozen=True)
class HeatmapPage:
    heatmap: Heatmap
    rows: tuple[DayRow, ...]  # Monday first
    day_totals: tuple[int, ...]  # per weekday
    hour_totals: tuple[int, ...]  # per hour of day, all weekdays
    shades: tuple[Shade, ...]  # the legend: which counts each shade stands for
    busiest: tuple[Cell, ...]  # the busiest cells, most arrivals first
    business_hours: BusinessHours | None  # None without weekday arrivals

    @property
    def busiest_day(self) -> str | None:
        if not self.heatmap.total:
            return None
        return WEEKDAYS[max(range(7), key=lambda day: (self.day_totals[day], -day))]

    @property
    def busiest_hour(self) -> str | None:
        if not self.heatmap.total:
            return None
        return hour_span(max(range(24), key=lambda hour: (self.hour_totals[hour], -hour)))


def shade_of(count: int, peak: int) -> int:
    """Return the shade (0–SHADES) of `count` when the busiest cell holds `peak`."""
    if count <= 0 or peak <= 0:
        return 0
    return min(SHADES, max(1, math.ceil(SHADES * count / peak)))


def shade_legend(peak: int) -> tuple[Shade, ...]:
    """Return the count range of each shade that a cell can take under `peak` (empty shades left out)."""
    legend = []
    for level in range(1, SHADES + 1):
        # shade_of(count) == level exactly when (level - 1) / SHADES < count / peak <= level / SHADES.
        low = math.floor(peak * (level - 1) / SHADES) + 1
        high = math.floor(peak * level / SHADES)
        if low <= high:
            legend.append(Shade(level, low, high))
    return tuple(legend)


def business_hours(cells: Sequence[Sequence[int]]) -> BusinessHours | None:
    """Return the shortest weekday window of whole hours holding ≥ 80 % of weekday arrivals.

    The window is the same hours Monday to Friday and does not wrap past midnight (a business
    calendar's day does not). Among windows of the shortest length the one holding the most
    arrivals wins, then the earliest. None when no arrival fell on a weekday.
    """
    by_hour = [sum(cells[day][hour] for day in WORKDAYS) for hour in range(24)]
    weekday_total = sum(by_hour)
    if not weekday_total:
        return None
    total = sum(map(sum, cells))
    for length in range(1, 25):
        best: tuple[int, int] | None = None  # (covered, start)
        for start in range(0, 25 - length):
            covered = sum(by_hour[start : start + length])
            if 100 * covered >= BUSINESS_HOURS_COVERAGE * weekday_total and (
                best is None or covered > best[0]
            ):
                best = (covered, start)
        if best is not None:
            covered, start = best
            return BusinessHours(start, start + length, covered, weekday_total, total)
    raise AssertionError("the whole day always covers every weekday arrival")  # pragma: no cover


def heatmap_page(heatmap: Heatmap) -> HeatmapPage:
    """Return what the heatmap page and its CSV show of `heatmap`."""
    peak, total = heatmap.peak, heatmap.total
    rows = tuple(
        DayRow(
            WEEKDAYS[day],
            tuple(
                Cell(day, hour, count, shade_of(count, peak), 100 * count / total if total else 0.0)
                for hour, count in enumerate(counts)
            ),
            sum(counts),
        )
        for day, counts in enumerate(heatmap.cells)
    )
    cells = [cell for row in rows for cell in row.cells if cell.count]
    busiest = sorted(cells, key=lambda cell: (-cell.count, cell.weekday, cell.hour))[:BUSIEST_CELLS]
    return HeatmapPage(
        heatmap=heatmap,
        rows=rows,
        day_totals=tuple(row.total for row in rows),
        hour_totals=tuple(sum(row[hour] for row in heatmap.cells) for hour in range(24)),
        shades=shade_legend(peak),
        busiest=tuple(busiest),
        business_hours=business_hours(heatmap.cells),
    )


# Entries of the zone database that are not places: the host's own setting and tzdata's filler.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def _zone_set() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES)


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """Return every IANA zone name this server knows, sorted (read from disk once)."""
    return tuple(sorted(_zone_set()))


def is_time_zone(name: str) -> bool:
    """Return whether `name` is an IANA zone this server knows ("UTC" included)."""
    return name in _zone_set()
