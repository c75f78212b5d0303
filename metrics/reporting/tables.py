"""The dashboard pages' tables as header and rows, for their CSV downloads. Pure.

Each table has the columns its page shows, with raw values (percent 0–100, counts) rather than
formatted text, and each figure's tone next to it so a spreadsheet keeps the colouring's meaning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from metrics.reporting.dashboards import TEAM_FIGURES as TEAM_PERIOD_FIGURES
from metrics.reporting.dashboards import TREND as TREND_FIGURES
from metrics.reporting.dashboards import SlaDashboard
from metrics.reporting.formulas import Figure
from metrics.reporting.heatmap_view import HeatmapPage
from metrics.reporting.selectors import WEEKDAYS

Table = tuple[Sequence[str], list[Sequence[Any]]]

FIGURE_COLUMNS = ("section", "metric", "label", "value", "unit", "tone", "target", "previous", "sample")
# The "Now" cards of the SLA dashboard, in page order.
NOW_FIGURES = ("breached_now", "at_risk", "severe_now", "backlog", "queue_depth")
TEAM_LIVE_FIGURES = ("breached_now", "at_risk", "queue_depth")


def _figure_row(section: str, figure: Figure) -> Sequence[Any]:
    return (
        section,
        figure.name,
        figure.label,
        figure.value,
        figure.unit,
        figure.tone_words,
        figure.target,
        figure.previous,
        figure.sample,
    )


def _value_and_tone(figures: Mapping[str, Figure], names: Sequence[str]) -> list[Any]:
    cells: list[Any] = []
    for name in names:
        cells += [figures[name].value, figures[name].tone_words]
    return cells


def _value_and_tone_columns(names: Sequence[str]) -> list[str]:
    return [column for name in names for column in (name, f"{name}_tone")]


def sla_figures(board: SlaDashboard) -> Table:
    """Return the dashboard's figure cards: the live ones ("now") and the period's ("period")."""
    rows = [] if board.now is None else [_figure_row("now", board.now.figures[name]) for name in NOW_FIGURES]
    rows += [_figure_row("period", figure) for figure in board.compliance.values()]
    return FIGURE_COLUMNS, rows


def sla_trend(board: SlaDashboard) -> Table:
    """Return the trend table: one row per day or ISO week of the window."""
    header = ("start", "end", *_value_and_tone_columns(TREND_FIGURES))
    rows = [
        (point.window.start, point.window.end, *_value_and_tone(point.figures, TREND_FIGURES))
        for point in board.trend
    ]
    return header, rows


def sla_teams(board: SlaDashboard) -> Table:
    """Return the by-team table: the period's figures, then the live ones (0 without open tickets)."""
    header = (
        "team_id",
        "team",
        *_value_and_tone_columns(TEAM_PERIOD_FIGURES),
        *_value_and_tone_columns(TEAM_LIVE_FIGURES),
        "open_now",
    )
    rows = []
    for team in board.teams:
        live = (
            [*_value_and_tone(team.live.figures, TEAM_LIVE_FIGURES), team.live.open]
            if team.live is not None
            else [0, "", 0, "", 0, "", 0]
        )
        rows.append(
            (team.slice.key, team.slice.label, *_value_and_tone(team.figures, TEAM_PERIOD_FIGURES), *live)
        )
    return header, rows


def heatmap_cells(page: HeatmapPage) -> Table:
    """Return the heatmap as the page's table: a row per weekday, a column per local hour, totals."""
    header = ("weekday", *(f"h{hour:02d}" for hour in range(24)), "total")
    rows: list[Sequence[Any]] = [
        (WEEKDAYS[day], *page.heatmap.cells[day], page.day_totals[day]) for day in range(7)
    ]
    rows.append(("Total", *page.hour_totals, page.heatmap.total))
    return header, rows
