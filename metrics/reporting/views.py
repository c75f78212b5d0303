"""The dashboard pages under /metrics/: the SLA dashboard (whole helpdesk, a team, an agent), the
arrivals heatmap, and each of their tables as CSV with the same permissions as the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from helpdesk.models import STAFF_ROLES, Role, Team, User
from metrics.reporting import charts, csv_export, dashboards, heatmap_view, periods, selectors, tables
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


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures a dashboard page shows: the whole helpdesk, one team or one agent."""

    dimension: str  # "all", "team" or "agent"
    key: str  # the team's or agent's id; "" for all
    name: str  # the team's or agent's name; "" for all
    is_own: bool = False  # the viewer's own figures

    @property
    def query(self) -> str:
        """Return the `&team=<id>` / `&agent=<id>` that keeps the scope across links."""
        return f"&{self.dimension}={self.key}" if self.dimension != "all" else ""

    @property
    def params(self) -> dict[str, str]:
        return {self.dimension: self.key} if self.dimension != "all" else {}


def _scope(request: AuthenticatedHttpRequest) -> Scope:
    """Return the scope of `?team=` / `?agent=`, refusing what the user may not see.

    Team leads see the teams they lead or belong to, managers and admins any team or agent, and
    every agent their own dashboard.
    """
    user = request.user
    if not user.is_agent:
        raise PermissionDenied("Dashboards are for support staff.")
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
        return Scope("team", str(team.pk), team.name)
    if agent_id:
        if not agent_id.isdigit():
            raise Http404("No such agent.")
        agent = User.objects.filter(pk=int(agent_id), role__in=STAFF_ROLES).first()
        if agent is None:
            raise Http404("No such agent.")
        if agent.pk != user.pk and user.role not in DASHBOARD_ROLES:
            raise PermissionDenied("Agents see their own dashboard.")
        return Scope("agent", str(agent.pk), agent.get_full_name(), is_own=agent.pk == user.pk)
    if user.role not in DASHBOARD_ROLES:
        raise PermissionDenied("The SLA dashboard is for team leads, managers and admins.")
    return Scope("all", "", "")


def _period(request: HttpRequest) -> str:
    period = request.GET.get("period", DEFAULT_PERIOD)
    return period if period in periods.PERIOD_DAYS else DEFAULT_PERIOD


def _sla_heading(scope: Scope) -> str:
    if scope.is_own:
        return "My SLA dashboard"
    return f"SLA dashboard: {scope.name}" if scope.name else "SLA dashboard"


@login_required
@require_safe
def sla_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """SLA compliance and its trend, breaches now and at risk, for a chosen period.

    The whole helpdesk (with a by-team table), one team (`?team=<id>`) or one agent
    (`?agent=<id>`; every agent may open their own).
    """
    scope = _scope(request)
    period = _period(request)
    board = dashboards.sla_dashboard(
        period=period, today=timezone.now(), dimension=scope.dimension, key=scope.key
    )
    context = {
        "board": board,
        "heading": _sla_heading(scope),
        "scope_query": scope.query,
        "queue_filter": {"team": f"&team={scope.key}", "agent": f"&assignee={scope.key}"}.get(
            scope.dimension, ""
        ),
        "periods": periods.PERIOD_LABELS,
        "period_span": periods.PERIOD_SPANS[period],
        "shows_heatmap_link": request.user.role in DASHBOARD_ROLES and scope.dimension != "agent",
        "response_chart": _chart(board, "response_sla", "Response SLA met, %", maximum=100, unit=" %"),
        "resolution_chart": _chart(board, "resolution_sla", "Resolution SLA met, %", maximum=100, unit=" %"),
        "breach_chart": _chart(board, "breaches", "Tickets breaching an SLA", maximum=1, unit=""),
    }
    return render(request, "metrics/sla_dashboard.html", context)


# The dashboard's tables, downloadable as /metrics/sla/<name>.csv with the page's parameters.
SLA_TABLES = {"figures": tables.sla_figures, "trend": tables.sla_trend, "teams": tables.sla_teams}


@login_required
@require_safe
def sla_dashboard_csv(request: AuthenticatedHttpRequest, table: str) -> HttpResponse:
    """Download one of the SLA dashboard's tables as CSV: the same scope, period and permissions.

    404 for an unknown table, and for the by-team table of a team's or an agent's dashboard
    (which has none).
    """
    if table not in SLA_TABLES:
        raise Http404("No such table.")
    scope = _scope(request)
    if table == "teams" and scope.dimension != "all":
        raise Http404("Only the whole helpdesk's dashboard has a by-team table.")
    period = _period(request)
    board = dashboards.sla_dashboard(
        period=period, today=timezone.now(), dimension=scope.dimension, key=scope.key
    )
    header, rows = SLA_TABLES[table](board)
    suffix = f"-{scope.dimension}-{scope.key}" if scope.key else ""
    filename = f"sla-dashboard{suffix}-{table}-{board.window.start}-{board.window.end}.csv"
    return csv_export.csv_response(filename, header, rows)


# --- the arrivals heatmap -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeatmapRequest:
    scope: Scope
    period: str
    time_zone: str
    error: str  # why the zone asked for was refused; "" when it was not


def _heatmap_request(request: AuthenticatedHttpRequest) -> HeatmapRequest:
    """Read scope, period and zone (`?tz=`, default the viewer's own) for the heatmap pages.

    Team leads, managers and admins only (a lead: the whole helpdesk or their own teams).
    """
    scope = _scope(request)
    if request.user.role not in DASHBOARD_ROLES:
        raise PermissionDenied("The arrivals heatmap is for team leads, managers and admins.")
    own_zone = request.user.time_zone if heatmap_view.is_time_zone(request.user.time_zone) else "UTC"
    asked = request.GET.get("tz", "").strip()
    if asked and not heatmap_view.is_time_zone(asked):
        return HeatmapRequest(scope, _period(request), own_zone, f"Unknown time zone “{asked}”.")
    return HeatmapRequest(scope, _period(request), asked or own_zone, "")


def _heatmap(asked: HeatmapRequest) -> heatmap_view.HeatmapPage:
    window = periods.window_for(asked.period, today=timezone.now().date())
    result = selectors.heatmap(
        window=window, dimension=asked.scope.dimension, key=asked.scope.key, time_zone=asked.time_zone
    )
    return heatmap_view.heatmap_page(result)


@login_required
@require_safe
def heatmap(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ticket arrivals by weekday × local hour over 1 week, 1 month or 6 months, in a chosen zone.

    With the busiest hours named and the shortest weekday window holding 80 % of weekday
    arrivals, to choose business hours from data. An unknown `?tz=` answers 400 with the form.
    """
    asked = _heatmap_request(request)
    if asked.error:
        context = {"asked": asked, "page": None, "time_zones": heatmap_view.time_zone_names()}
        context |= {"periods": periods.PERIOD_LABELS, "heading": _heatmap_heading(asked.scope)}
        return render(request, "metrics/heatmap.html", context, status=400)
    page = _heatmap(asked)
    context = {
        "asked": asked,
        "page": page,
        "heading": _heatmap_heading(asked.scope),
        "periods": periods.PERIOD_LABELS,
        "period_span": periods.PERIOD_SPANS[asked.period],
        "time_zones": heatmap_view.time_zone_names(),
        "hours": range(24),
        "csv_query": urlencode({"period": asked.period, "tz": asked.time_zone, **asked.scope.params}),
        "zone_query": urlencode({"tz": asked.time_zone}),
    }
    return render(request, "metrics/heatmap.html", context)


def _heatmap_heading(scope: Scope) -> str:
    return f"Ticket arrivals: {scope.name}" if scope.name else "Ticket arrivals"


@login_required
@require_safe
def heatmap_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Download the heatmap as CSV (a row per weekday, a column per local hour, with totals)."""
    asked = _heatmap_request(request)
    if asked.error:
        return csv_export.csv_errors({"tz": [asked.error]})
    page = _heatmap(asked)
    header, rows = tables.heatmap_cells(page)
    window = page.heatmap.window
    zone = asked.time_zone.replace("/", "-")
    suffix = f"-{asked.scope.dimension}-{asked.scope.key}" if asked.scope.key else ""
    return csv_export.csv_response(
        f"arrivals-heatmap{suffix}-{window.start}-{window.end}-{zone}.csv", header, rows
    )
