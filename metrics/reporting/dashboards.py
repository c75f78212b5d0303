"""What the manager SLA dashboard shows, read in a handful of statements (a selector, STYLE.md C5).

Compliance and breaches over the chosen window come from the rollups (with the window before,
for trends); breached, at-risk and severely breached tickets *now* come from the live figures the
sweep keeps, which count the same tickets as the Breached and At-risk queues.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from metrics.reporting import formulas, periods, selectors
from metrics.reporting.formulas import Figure
from metrics.reporting.models import MetricSnapshot
from metrics.reporting.periods import Window
from metrics.reporting.selectors import LiveRow, SeriesPoint, Slice
from metrics.reporting.targets import TargetRule

COMPLIANCE = (
    "response_sla",
    "resolution_sla",
    "response_of_target",
    "resolution_of_target",
    "breaches",
    "severe_breaches",
)
TREND = ("response_sla", "resolution_sla", "breaches")
TEAM_FIGURES = ("response_sla", "resolution_sla", "breaches", "severe_breaches", "created")
# Trends read per day for a week or a month, per ISO week for six months.
TREND_INTERVAL = {"1w": "day", "1m": "day", "6m": "week"}


@dataclass(frozen=True)
class TeamRow:
    slice: Slice
    figures: Mapping[str, Figure]
    live: LiveRow | None


@dataclass(frozen=True)
class SlaDashboard:
    period: str
    window: Window
    compliance: Mapping[str, Figure]
    trend: Sequence[SeriesPoint]
    trend_interval: str
    now: LiveRow | None
    live_at: datetime | None
    teams: Sequence[TeamRow]
    rules: Mapping[str, TargetRule]


def sla_dashboard(*, period: str, today: datetime, dimension: str = "all", key: str = "") -> SlaDashboard:
    """Return the SLA dashboard for a named period (1w, 1m, 6m) ending `today`.

    The whole helpdesk by default (with a by-team table); `dimension="team"` or `"agent"` with a
    team or agent id as `key` gives the team's or the agent's own dashboard (no team table).
    Raises KeyError for another period.
    """
    window = periods.window_for(period, today=today.date())
    rules = selectors.target_rules()
    overall = selectors.rollup_sums(
        dimension=dimension,
        buckets=[window, window.previous()],
        keys=[key],
        measures=formulas.measures_for(COMPLIANCE),
    )
    compliance = formulas.figures(
        overall.get((0, key)) or selectors.empty_measures(),
        rules=rules,
        previous=overall.get((1, key)) or selectors.empty_measures(),
        names=COMPLIANCE,
    )
    interval = TREND_INTERVAL[period]
    trend = selectors.series(
        window=window, interval=interval, dimension=dimension, key=key, names=TREND, rules=rules
    )
    if dimension != "all":
        live = MetricSnapshot.objects.filter(dimension=dimension, key=key).first()
        return SlaDashboard(
            period=period,
            window=window,
            compliance=compliance,
            trend=trend,
            trend_interval=interval,
            now=None if live is None else selectors.live_row(live, key, rules),
            live_at=None if live is None else live.computed_at,
            teams=[],
            rules=rules,
        )
    snapshots = list(MetricSnapshot.objects.filter(dimension__in=("all", "team")))
    team_rows = {
        row.slice.key: row
        for row in selectors.breakdown(window=window, dimension="team", names=TEAM_FIGURES, rules=rules)
    }
    live_teams = {row.key: row for row in snapshots if row.dimension == "team"}
    # Teams with open tickets but nothing decided in the window still get a row.
    labels = {key: row.slice.label for key, row in team_rows.items()}
    unlabelled = sorted(set(live_teams) - set(labels))
    if unlabelled:
        labels.update(selectors.slice_labels("team", unlabelled))
    blank = formulas.figures(selectors.empty_measures(), rules=rules, names=TEAM_FIGURES)
    plans = selectors.live_plans(rules)
    teams = [
        TeamRow(
            Slice("team", key, labels[key]),
            team_rows[key].figures if key in team_rows else blank,
            selectors.live_row(live_teams[key], labels[key], rules, plans) if key in live_teams else None,
        )
        for key in sorted(labels)
    ]
    teams.sort(key=lambda row: (row.slice.key == "", row.slice.label.lower()))
    overall_live = next((row for row in snapshots if row.dimension == "all"), None)
    return SlaDashboard(
        period=period,
        window=window,
        compliance=compliance,
        trend=trend,
        trend_interval=interval,
        now=None if overall_live is None else selectors.live_row(overall_live, "All tickets", rules, plans),
        live_at=max((row.computed_at for row in snapshots), default=None),
        teams=teams,
        rules=rules,
    )
