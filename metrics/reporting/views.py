"""The manager SLA dashboard page (team leads, managers and admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from helpdesk.models import STAFF_ROLES, Role, Team, User
from metrics.reporting import charts, dashboards, periods
from metrics.reporting.dashboards import SlaDashboard
from metrics.templatetags.metric_figures import figure_value

if TYPE_CHECKING:

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


def _scope(request: AuthenticatedHttpRequest) -> tuple[str, str, str]:
    """Return (dimension, key, heading) for `?team=` / `?agent=`, refusing what the user may not see.

    Team leads see the teams they lead or belong to, managers and admins any team or agent, and
    every agent their own dashboard.
    """
    user = request.user
    team_id, agent_id = request.GET.get("team", ""), request.GET.get("agent", "")
    if team_id:
        if not team_id.isdigit():
            raise Http404("No such team.")
        team = Team.objects.filter(pk=int(team_id)).first()
        if team is None:
            raise Http404("No such team.")
        if user.role == Role.TEAM_LEAD and not (
            team.lead_id == user.pk or team.members.filter(pk=user.pk).exists()
        ):
            raise PermissionDenied("Team leads see their own teams' dashboards.")
        if user.role not in DASHBOARD_ROLES:
            raise PermissionDenied("Team dashboards are for team leads, managers and admins.")
        return "team", str(team.pk), f"SLA dashboard: {team.name}"
    if agent_id:
        if not agent_id.isdigit():
            raise Http404("No such agent.")
        agent = User.objects.filter(pk=int(agent_id), role__in=STAFF_ROLES).first()
        if agent is None:
            raise Http404("No such agent.")
        if agent.pk != user.pk and user.role not in DASHBOARD_ROLES:
            raise PermissionDenied("Agents see their own dashboard.")
        heading = "My SLA dashboard" if agent.pk == user.pk else f"SLA dashboard: {agent.get_full_name()}"
        return "agent", str(agent.pk), heading
    if user.role not in DASHBOARD_ROLES:
        raise PermissionDenied("The SLA dashboard is for team leads, managers and admins.")
    return "all", "", "SLA dashboard"


@login_required
def sla_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """SLA compliance and its trend, breaches now and at risk, for a chosen period.

    The whole helpdesk (with a by-team table), one team (`?team=<id>`) or one agent
    (`?agent=<id>`; every agent may open their own).
    """
    if not request.user.is_agent:
        raise PermissionDenied("Dashboards are for support staff.")
    dimension, key, heading = _scope(request)
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in periods.PERIOD_DAYS:
        period = DEFAULT_PERIOD
    board = dashboards.sla_dashboard(period=period, today=timezone.now(), dimension=dimension, key=key)
    scope_param = {"team": "team", "agent": "agent"}.get(dimension)
    context = {
        "board": board,
        "heading": heading,
        "scope_query": f"&{scope_param}={key}" if scope_param else "",
        "queue_filter": {"team": f"&team={key}", "agent": f"&assignee={key}"}.get(dimension, ""),
        "periods": periods.PERIOD_LABELS,
        "period_span": periods.PERIOD_SPANS[period],
        "response_chart": _chart(board, "response_sla", "Response SLA met, %", maximum=100, unit=" %"),
        "resolution_chart": _chart(board, "resolution_sla", "Resolution SLA met, %", maximum=100, unit=" %"),
        "breach_chart": _chart(board, "breaches", "Tickets breaching an SLA", maximum=1, unit=""),
    }
    return render(request, "metrics/sla_dashboard.html", context)
