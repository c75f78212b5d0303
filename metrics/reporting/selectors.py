"""Every read of metric figures: summaries, series, breakdowns, heatmaps and live figures.

All reads come from the rollup and snapshot tables (never a scan of tickets): a window is the
sum of the day, week and month rows that make it up (periods.decompose), one statement for any
number of slices and buckets. Figures come back as frozen dataclasses carrying their target and
tone (formulas.Figure).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from helpdesk import selectors as account_selectors
from kb import selectors as kb_selectors
from metrics.reporting import formulas, periods
from metrics.reporting.aggregate import ARRAYS, HISTOGRAMS, QUANTILES, QUANTILES_KEY, SCALARS, Totals
from metrics.reporting.formulas import Figure
from metrics.reporting.models import MetricRollup, MetricSnapshot, MetricTarget
from metrics.reporting.periods import Window
from metrics.reporting.targets import DEFAULTS, TargetRule
from tickets import selectors as ticket_selectors
from tickets.models import Channel, Priority

ROLLUP_TABLE = MetricRollup._meta.db_table
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- targets ----------------------------------------------------------------------------------------


def target_rules() -> dict[str, TargetRule]:
    """Return every target rule: the admin's rows over the reference defaults (one query)."""
    rules = dict(DEFAULTS)
    for row in MetricTarget.objects.all():
        default = DEFAULTS.get(row.key)
        if default is None:
            continue
        rules[row.key] = TargetRule(
            key=row.key,
            label=default.label,
            unit=default.unit,
            good_min=row.good_min,
            good_max=row.good_max,
            warn_min=row.warn_min,
            warn_max=row.warn_max,
            compare_to_previous=row.compare_to_previous,
            source=row.source or default.source,
        )
    return rules


# --- summed rollups -----------------------------------------------------------------------------------


@functools.cache
def _sum_sql(measures: frozenset[str]) -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
    """Return (sums, their names, plain columns, their names): what to sum over rows, and what to
    read from a named period's own row (its percentiles rather than its histograms)."""
    names = tuple(name for name in (*SCALARS, *ARRAYS) if name in measures)
    sums = []
    for name in names:
        if name in ARRAYS:
            size = ARRAYS[name]
            sums.append("ARRAY[" + ", ".join(f"sum(r.{name}[{i}])" for i in range(1, size + 1)) + "]")
        else:
            sums.append(f"sum(r.{name})")
    plain_names = tuple(name for name in names if name not in HISTOGRAMS)
    if len(plain_names) < len(names):
        plain_names += (QUANTILES_KEY,)
    plain = ", ".join(f"r.{name}" for name in plain_names)
    return ", ".join(sums), names, plain, plain_names


def empty_measures() -> dict[str, Any]:
    """Return all-zero measures (a window with nothing in it)."""
    return Totals().as_dict()


ALL_MEASURES = frozenset((*SCALARS, *ARRAYS))


def rollup_sums(
    *,
    dimension: str,
    buckets: Sequence[Window],
    keys: Sequence[str] | None = None,
    measures: Collection[str] = ALL_MEASURES,
) -> dict[tuple[int, str], dict[str, Any]]:
    """Return summed measures by (bucket index, key) for a dimension.

    A bucket (a window of days) that is a named period ending today, or the window before one, is
    read from its own row per slice once the refresh has run today (one statement, nothing summed: the
    dashboards' and most API queries); any other is summed from the fewest stored day, week and
    month rows adding up to it (a second statement). Keys with nothing in a bucket are absent.
    `keys` limits the slices read (None: all of them). Only the `measures` named are read
    (formulas.measures_for tells which a figure reads; the histograms are most of the cost);
    the others come back as 0. A named period's own row gives its percentiles under
    QUANTILES_KEY instead of its histograms (absent; the formulas read those percentiles).
    """
    sums, names, plain, plain_names = _sum_sql(frozenset(measures) | {"created"})
    key_filter = "" if keys is None else "AND r.key = ANY(%(keys)s)"
    zeros = {name: 0 for name in SCALARS if name not in names}
    zeros.update({name: [0] * size for name, size in ARRAYS.items() if name not in names})
    result: dict[tuple[int, str], dict[str, Any]] = {}

    def keep(row: Sequence[Any], columns: tuple[str, ...] = names) -> None:
        measured: dict[str, Any] = dict(zip(columns, row[2:], strict=True))
        measured.update(zeros)
        if QUANTILES_KEY in measured:
            measured[QUANTILES_KEY] = dict(zip(QUANTILES, measured[QUANTILES_KEY], strict=True))
        result[(row[0], row[1])] = measured

    # The refresh keeps today's windows (once it has run today); anything else is summed.
    windows = {
        window: grain for grain, window in periods.trailing_windows(timezone.now().astimezone(UTC).date())
    }
    kept = [
        (index, windows[bucket], bucket.start) for index, bucket in enumerate(buckets) if bucket in windows
    ]
    missing = [index for index, bucket in enumerate(buckets) if bucket not in windows]
    params: dict[str, Any] = {"dimension": dimension, "keys": keys}
    with connection.cursor() as cursor:
        if kept:
            # One row per (bucket, slice) from the window rows; a bucket whose row the refresh does
            # not keep (yet) comes back once with `kept` false, to be summed from its parts below.
            cursor.execute(
                "WITH b AS MATERIALIZED (SELECT u.bucket, u.grain, u.start, EXISTS (SELECT 1 FROM "  # noqa: S608 - names are ours
                f"{ROLLUP_TABLE} p WHERE p.grain = u.grain AND p.period_start = u.start) AS kept "
                "FROM unnest(%(indexes)s::int[], %(grains)s::text[], %(starts)s::date[]) AS u(bucket, grain, start)) "
                f"SELECT b.bucket, r.key, b.kept, {plain} FROM b LEFT JOIN {ROLLUP_TABLE} r ON b.kept "
                f"AND r.grain = b.grain AND r.period_start = b.start AND r.dimension = %(dimension)s {key_filter}",
                {
                    **params,
                    "indexes": [item[0] for item in kept],
                    "grains": [item[1] for item in kept],
                    "starts": [item[2] for item in kept],
                },
            )
            for row in cursor.fetchall():
                if not row[2]:
                    missing.append(row[0])
                elif row[1] is not None:
                    keep((row[0], row[1], *row[3:]), plain_names)
        if missing:
            parts = [
                (index, grain, start)
                for index in missing
                for grain, start in periods.decompose(buckets[index])
            ]
            cursor.execute(
                f"SELECT b.bucket, r.key, {sums} FROM {ROLLUP_TABLE} r "  # noqa: S608 - names are ours
                "JOIN unnest(%(indexes)s::int[], %(grains)s::text[], %(starts)s::date[]) AS b(bucket, grain, start) "
                "ON r.grain = b.grain AND r.period_start = b.start "
                f"WHERE r.dimension = %(dimension)s {key_filter} GROUP BY b.bucket, r.key",
                {
                    **params,
                    "indexes": [item[0] for item in parts],
                    "grains": [item[1] for item in parts],
                    "starts": [item[2] for item in parts],
                },
            )
            for row in cursor.fetchall():
                keep(row)
    return result


# --- slices -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    dimension: str  # "all", "team", "agent", …
    key: str = ""
    label: str = "All tickets"


def slice_labels(dimension: str, keys: Sequence[str]) -> dict[str, str]:
    """Return display labels for keys of a dimension ("" is "None")."""
    labels = {"": "None"}
    if dimension == "all":
        return {"": "All tickets"}
    if dimension == "priority":
        labels.update({value: str(label) for value, label in Priority.choices})
    elif dimension == "channel":
        labels.update({value: str(label) for value, label in Channel.choices})
    elif dimension == "tier":
        labels.update({key: key.capitalize() for key in keys if key})
    elif dimension == "category":
        ids = [int(key) for key in keys if key.isdigit()]
        labels.update({str(pk): path for pk, path in ticket_selectors.category_paths(ids).items()})
    else:
        ids = [int(key) for key in keys if key.isdigit()]
        labels.update({str(pk): name for pk, name in account_selectors.names_for(dimension, ids).items()})
    return {key: labels.get(key, key) for key in keys}


# --- summary ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    window: Window
    slice: Slice
    figures: Mapping[str, Figure]


def summary(
    *,
    window: Window,
    dimension: str = "all",
    key: str = "",
    now: datetime,
    rules: Mapping[str, TargetRule] | None = None,
    with_self_service: bool = True,
) -> Summary:
    """Return every figure of one slice over `window`, with the previous window for trends.

    For the whole helpdesk, the knowledge base's deflection rate (this window) and article
    helpfulness (all time) are added (kb.selectors).
    """
    rules = rules if rules is not None else target_rules()
    sums = rollup_sums(
        dimension=dimension,
        buckets=[window, window.previous()],
        keys=[key],
        measures=formulas.measures_for(formulas.FIGURE_NAMES),
    )
    current = sums.get((0, key)) or empty_measures()
    previous = sums.get((1, key)) or empty_measures()
    figures = formulas.figures(current, rules=rules, previous=previous)
    if dimension == "all" and with_self_service:
        figures.update(self_service_figures(window=window, now=now, rules=rules))
    label = slice_labels(dimension, [key])[key] if dimension != "all" else "All tickets"
    return Summary(window, Slice(dimension, key, label), figures)


def self_service_figures(
    *, window: Window, now: datetime, rules: Mapping[str, TargetRule]
) -> dict[str, Figure]:
    """Return the deflection rate (sessions in the window) and article helpfulness (all time)."""
    start = datetime.combine(window.start, time(0), tzinfo=UTC)
    end = datetime.combine(window.end + timedelta(days=1), time(0), tzinfo=UTC)
    rates = kb_selectors.self_service_rates(start=start, end=min(end, now), now=now)
    return {
        "deflection_rate": formulas.figure_from_value(
            "deflection_rate",
            "Deflection rate (help-centre sessions without a ticket)",
            100 * rates.deflected / rates.settled if rates.settled else None,
            unit="percent",
            target_key="deflection_rate",
            sample=rates.settled,
            rules=rules,
        ),
        "article_helpfulness": formulas.figure_from_value(
            "article_helpfulness",
            "Article helpfulness (all time)",
            100 * rates.helpful_yes / rates.helpful_votes if rates.helpful_votes else None,
            unit="percent",
            target_key="article_helpfulness",
            sample=rates.helpful_votes,
            rules=rules,
        ),
    }


# --- series -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    window: Window
    figures: Mapping[str, Figure]


def series(
    *,
    window: Window,
    interval: str,
    dimension: str = "all",
    key: str = "",
    names: Sequence[str] = formulas.FIGURE_NAMES,
    rules: Mapping[str, TargetRule] | None = None,
) -> list[SeriesPoint]:
    """Return the named figures of one slice per day, week or month of `window` (edges clipped)."""
    rules = rules if rules is not None else target_rules()
    buckets = periods.buckets(window, interval)
    sums = rollup_sums(
        dimension=dimension, buckets=buckets, keys=[key], measures=formulas.measures_for(names)
    )
    compute = formulas.FigureSet(names, rules)
    empty = empty_measures()
    return [
        SeriesPoint(bucket, compute(sums.get((index, key)) or empty)) for index, bucket in enumerate(buckets)
    ]


# --- breakdown ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakdownRow:
    slice: Slice
    figures: Mapping[str, Figure]
    share_of_created: float | None  # percent of the window's new tickets (priority distribution)


@dataclass(frozen=True)
class BreakdownTableRow:
    """A breakdown row without Figure objects: what the API sends for 500 organizations."""

    slice: Slice
    values: Mapping[str, float | None]
    tones: Mapping[str, str]
    samples: Mapping[str, int]
    share_of_created: float | None


def _breakdown_sums(
    window: Window, dimension: str, names: Sequence[str], rules: Mapping[str, TargetRule]
) -> tuple[dict[tuple[int, str], dict[str, Any]], list[str], set[str]]:
    sums = rollup_sums(dimension=dimension, buckets=[window], measures=formulas.measures_for(names))
    trending = formulas.trend_names(names, rules)
    if trending:
        # The previous window only for figures toned by their trend (breaches), and only what
        # they read: a second, narrow statement.
        previous = rollup_sums(
            dimension=dimension, buckets=[window.previous()], measures=formulas.measures_for(trending)
        )
        sums.update({(1, key): measured for (_, key), measured in previous.items()})
    # Most new tickets first (the priority distribution reads best that way), then by key.
    keys = sorted(
        {key for index, key in sums if index == 0}, key=lambda key: (-int(sums[(0, key)]["created"]), key)
    )
    return sums, keys, trending


def breakdown(
    *,
    window: Window,
    dimension: str,
    names: Sequence[str] = formulas.FIGURE_NAMES,
    rules: Mapping[str, TargetRule] | None = None,
) -> list[BreakdownRow]:
    """Return the named figures of every slice of `dimension` with anything in `window`.

    Ordered by tickets created, most first. The previous window is read too (same statement)
    when a figure's target is a trend.
    """
    rules = rules if rules is not None else target_rules()
    sums, keys, trending = _breakdown_sums(window, dimension, names, rules)
    compute = formulas.FigureSet(names, rules, previous_names=trending)
    empty = empty_measures()
    labels = slice_labels(dimension, keys)
    total_created = sum(int(sums[(0, key)]["created"]) for key in keys)
    return [
        BreakdownRow(
            Slice(dimension, key, labels[key]),
            compute(sums[(0, key)], (sums.get((1, key)) or empty) if trending else None),
            100 * int(sums[(0, key)]["created"]) / total_created if total_created else None,
        )
        for key in keys
    ]


def breakdown_table(
    *,
    window: Window,
    dimension: str,
    names: Sequence[str] = formulas.FIGURE_NAMES,
    rules: Mapping[str, TargetRule] | None = None,
) -> list[BreakdownTableRow]:
    """breakdown() as values, tones and samples by figure name (no Figure objects), same order."""
    rules = rules if rules is not None else target_rules()
    sums, keys, trending = _breakdown_sums(window, dimension, names, rules)
    compute = formulas.FigureSet(names, rules, previous_names=trending)
    empty = empty_measures()
    labels = slice_labels(dimension, keys)
    total_created = sum(int(sums[(0, key)]["created"]) for key in keys)
    rows = []
    for key in keys:
        values, tones, samples = compute.compact(
            sums[(0, key)], (sums.get((1, key)) or empty) if trending else None
        )
        share = 100 * int(sums[(0, key)]["created"]) / total_created if total_created else None
        rows.append(BreakdownTableRow(Slice(dimension, key, labels[key]), values, tones, samples, share))
    return rows


# --- heatmap ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heatmap:
    window: Window
    slice: Slice
    time_zone: str
    cells: tuple[tuple[int, ...], ...]  # [weekday 0 = Monday][hour 0–23] arrivals
    total: int

    @property
    def peak(self) -> int:
        return max((max(row) for row in self.cells), default=0)


def heatmap(*, window: Window, dimension: str = "all", key: str = "", time_zone: str = "UTC") -> Heatmap:
    """Return ticket arrivals by weekday × hour of day in `time_zone`, to choose business hours.

    Arrivals are kept per UTC hour of each day, so every hour is placed by the zone's offset on
    that date (DST included); in zones with a half-hour offset an hour lands where it starts.
    Raises KeyError (zoneinfo) for an unknown zone.
    """
    zone = ZoneInfo(time_zone)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT period_start, arrivals_by_hour FROM {ROLLUP_TABLE} "  # noqa: S608
            "WHERE dimension = %s AND key = %s AND grain = 'day' AND period_start BETWEEN %s AND %s",
            [dimension, key, window.start, window.end],
        )
        rows = cursor.fetchall()
    cells = [[0] * 24 for _ in range(7)]
    for day, hours in rows:
        midnight = datetime.combine(day, time(0), tzinfo=UTC)
        for hour, count in enumerate(hours):
            if count:
                local = (midnight + timedelta(hours=hour)).astimezone(zone)
                cells[local.weekday()][local.hour] += count
    labels = slice_labels(dimension, [key]) if dimension != "all" else {"": "All tickets"}
    return Heatmap(
        window,
        Slice(dimension, key, labels[key]),
        time_zone,
        tuple(tuple(row) for row in cells),
        sum(map(sum, cells)),
    )


# --- live figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveRow:
    slice: Slice
    open: int
    unassigned: int
    waiting: int
    ages: Mapping[str, int]  # under_1d, 1_to_3d, 3_to_7d, 7_to_30d, over_30d
    breached: int
    at_risk: int
    severe: int
    figures: Mapping[str, Figure]  # backlog, queue_depth, breached_now, at_risk, severe_now

    @property
    def backlog(self) -> int:
        return self.open - self.ages["under_1d"]


@dataclass(frozen=True)
class Live:
    computed_at: datetime | None
    rows: Sequence[LiveRow]


AGE_BUCKETS = ("under_1d", "1_to_3d", "3_to_7d", "7_to_30d", "over_30d")


# The live figures: (name, label, target key) of each, in order.
LIVE_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("backlog", "Backlog (open over 24 h)", "backlog"),
    ("queue_depth", "Queue depth (open, unassigned)", "queue_depth"),
    ("breached_now", "Breached now", "breached_now"),
    ("at_risk", "At risk now", "at_risk"),
    ("severe_now", "Severely breached now", "severe_breaches"),
)


def live_plans(rules: Mapping[str, TargetRule]) -> dict[str, Callable[[float | None, int], Figure]]:
    """Return the live figures planned once, for live_row over many slices."""
    return {
        name: formulas.value_plan(name, label, unit="count", target_key=target_key, rules=rules)
        for name, label, target_key in LIVE_FIGURES
    }


def live_row(
    snapshot: MetricSnapshot,
    label: str,
    rules: Mapping[str, TargetRule],
    plans: Mapping[str, Callable[[float | None, int], Figure]] | None = None,
) -> LiveRow:
    """Return one snapshot row as live figures, toned by `rules` (planned once by `plans`, if given)."""
    plans = plans if plans is not None else live_plans(rules)
    ages = {name: getattr(snapshot, f"age_{name}") for name in AGE_BUCKETS}
    backlog = snapshot.open - ages["under_1d"]
    values = {
        "backlog": backlog,
        "queue_depth": snapshot.unassigned,
        "breached_now": snapshot.breached,
        "at_risk": snapshot.at_risk,
        "severe_now": snapshot.severe,
    }
    return LiveRow(
        Slice(snapshot.dimension, snapshot.key, label),
        snapshot.open,
        snapshot.unassigned,
        snapshot.waiting,
        ages,
        snapshot.breached,
        snapshot.at_risk,
        snapshot.severe,
        {name: plans[name](float(values[name]), snapshot.open) for name, _, _ in LIVE_FIGURES},
    )


def live(
    *,
    dimension: str = "all",
    keys: Sequence[str] | None = None,
    rules: Mapping[str, TargetRule] | None = None,
) -> Live:
    """Return the live figures (as of the last sweep) of a dimension's slices, most open first."""
    rules = rules if rules is not None else target_rules()
    queryset = MetricSnapshot.objects.filter(dimension=dimension)
    if keys is not None:
        queryset = queryset.filter(key__in=list(keys))
    snapshots = list(queryset)
    labels = slice_labels(dimension, [row.key for row in snapshots])
    plans = live_plans(rules)
    rows = sorted(
        (live_row(row, labels[row.key], rules, plans) for row in snapshots),
        key=lambda row: (-row.open, row.slice.label),
    )
    computed_at = max((row.computed_at for row in snapshots), default=None)
    return Live(computed_at, rows)
