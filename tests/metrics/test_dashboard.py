"""The manager SLA dashboard page: who sees it, what it shows, and what it costs."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from helpdesk.models import Role, User
from metrics.reporting.refresh import metrics_refresh
from tests.factories import AgentFactory, CustomerFactory, TeamFactory, UserFactory
from tests.metrics.history import NOW, History, build_history

URL = "/metrics/sla/"


@pytest.fixture
def history(db: None) -> History:
    built = build_history()
    metrics_refresh(now=NOW)
    return built


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, **params: str) -> Any:
    with time_machine.travel(NOW, tick=False):
        return client.get(URL, params)


@pytest.mark.parametrize(
    ("_case", "role", "expected_status"),
    [
        ("a customer may not", Role.CUSTOMER, 403),
        ("an agent may not", Role.AGENT, 403),
        ("a team lead may", Role.TEAM_LEAD, 200),
        ("a manager may", Role.MANAGER, 200),
        ("an admin may", Role.ADMIN, 200),
    ],
)
def test_the_dashboard_is_for_leads_managers_and_admins(
    history: History, _case: str, role: str, expected_status: int
) -> None:
    user = CustomerFactory() if role == Role.CUSTOMER else UserFactory(role=role)

    response = _get(_client(user))

    assert response.status_code == expected_status


def test_signed_out_visitors_are_sent_to_sign_in(history: History) -> None:
    response = _get(Client())

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_the_dashboard_shows_breaches_now_with_links_to_the_queues(history: History) -> None:
    manager = UserFactory(role=Role.MANAGER)

    response = _get(_client(manager))

    board = response.context["board"]
    assert board.now.breached == 1  # D
    assert board.now.severe == 1
    assert board.compliance["response_sla"].value == 50.0
    assert [(team.slice.label, team.figures["breaches"].value) for team in board.teams] == [("Support", 2.0)]
    html = response.content.decode()
    assert 'href="/tickets/?view=breached"' in html
    assert 'href="/tickets/?view=at-risk"' in html
    assert "Below warning" in html  # the tone in words, not only in colour
    assert "<svg" in html


@pytest.mark.parametrize(
    ("period", "interval", "points"), [("1w", "day", 7), ("1m", "day", 30), ("6m", "week", 27)]
)
def test_the_period_switch_picks_the_window_and_the_trend_interval(
    history: History, period: str, interval: str, points: int
) -> None:
    response = _get(_client(UserFactory(role=Role.MANAGER)), period=period)

    board = response.context["board"]
    assert (board.period, board.trend_interval, len(board.trend)) == (period, interval, points)


def test_an_unknown_period_falls_back_to_a_week(history: History) -> None:
    response = _get(_client(UserFactory(role=Role.MANAGER)), period="forever")

    assert response.context["board"].period == "1w"


def test_the_dashboard_reads_rollups_in_few_queries(
    history: History, django_assert_max_num_queries: Any
) -> None:
    # session, user, targets, three rollup sums, live figures, team names, the nav's unread count
    client = _client(UserFactory(role=Role.MANAGER))

    with django_assert_max_num_queries(10):
        response = _get(client, period="6m")

    assert response.status_code == 200


def test_the_nav_links_to_the_dashboard_for_managers_only(history: History) -> None:
    manager_page = _get(_client(UserFactory(role=Role.MANAGER))).content.decode()
    with time_machine.travel(NOW, tick=False):
        agent_page = _client(UserFactory(role=Role.AGENT)).get("/").content.decode()

    assert 'href="/metrics/sla/" aria-current="page">SLA dashboard' in manager_page
    assert "SLA dashboard" not in agent_page


# --- team and personal dashboards ------------------------------------------------------------


@pytest.fixture
def scoped_world(db: None) -> dict[str, object]:
    lead = UserFactory(role=Role.TEAM_LEAD, email="scope.lead@helpdesk.test")
    agent = AgentFactory(email="scope.agent@helpdesk.test", full_name="Sam Scope")
    other_agent = AgentFactory(email="scope.other@helpdesk.test")
    team = TeamFactory(name="Scoped team", lead=lead)
    other_team = TeamFactory(name="Other team")
    return {"lead": lead, "agent": agent, "other_agent": other_agent, "team": team, "other_team": other_team}


@pytest.mark.parametrize(
    ("who", "query", "status", "heading"),
    [
        ("lead", "team={team}", 200, "SLA dashboard: Scoped team"),
        ("lead", "team={other_team}", 403, None),
        ("agent", "agent={agent}", 200, "My SLA dashboard"),
        ("agent", "agent={other_agent}", 403, None),
        ("agent", "", 403, None),
        ("agent", "team={team}", 403, None),
        ("lead", "agent={agent}", 200, "SLA dashboard: Sam Scope"),
        ("lead", "team=nope", 404, None),
        ("lead", "agent=999999", 404, None),
    ],
)
def test_team_and_personal_dashboards_show_only_what_the_viewer_may_see(
    client: Client, scoped_world: dict[str, object], who: str, query: str, status: int, heading: str | None
) -> None:
    # given
    ids = {name: getattr(value, "pk", None) for name, value in scoped_world.items()}
    client.force_login(scoped_world[who])
    # when
    response = client.get(f"/metrics/sla/?{query.format(**ids)}")
    # then
    assert response.status_code == status
    if heading is not None:
        body = response.content.decode()
        assert f"<h1>{heading}</h1>" in body
        assert "By team" not in body
