"""The manager SLA dashboard page (team leads, managers and admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from helpdesk.models import Role
from metrics.reporting import charts, dashboards, periods
from metrics.reporting.dashboards import SlaDashboard
from metrics.templatetags.metric_figures import figure_value

if TYPE_CHECKING:
    from helpdesk.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest

DASHBOARD_ROLES = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
DEFAULT_PERIOD = "1w"


def _bar_label(board: SlaDashboard, index: int) -> str:
    start = board.trend[index].window.start
    return f"{start:%d %b}" if board.trend_interval == "day" else f"wk {start:%d %b}"


def _chart(board: SlaDashboard, name: str, title: str, *, maximum: float, unit: str) -> str:
    bars = []
    for index, point in enumerate(board.trend):
        figure = point.figures[name]
        bars.append(
            charts.Bar(_bar_label(board, index), figure.value, str(figure.tone), figure_value(figure))
        )
    rule = board.rules.get(name)
    target = rule.good_min if rule is not None else None
    return charts.bar_chart(bars, title=title, maximum=maximum, target=target, unit=unit)


@login_required
def sla_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """SLA compliance and its trend, breaches now and at risk, by team, for a chosen period."""
    if request.user.role not in DASHBOARD_ROLES:
        raise PermissionDenied("The SLA dashboard is for team leads, managers and admins.")
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in periods.PERIOD_DAYS:
        period = DEFAULT_PERIOD
    board = dashboards.sla_dashboard(period=period, today=timezone.now())
    context = {
        "board": board,
        "periods": periods.PERIOD_LABELS,
        "period_span": periods.PERIOD_SPANS[period],
        "response_chart": _chart(board, "response_sla", "Response SLA met, %", maximum=100, unit=" %"),
        "resolution_chart": _chart(board, "resolution_sla", "Resolution SLA met, %", maximum=100, unit=" %"),
        "breach_chart": _chart(board, "breaches", "Tickets breaching an SLA", maximum=1, unit=""),
    }
    return render(request, "metrics/sla_dashboard.html", context)
