"""Ticket list filters on SLA state: sla_state and sla_due_before (tickets/api/filters.py)."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from helpdesk.models import User
from sla import services as sla_services
from sla.models import SlaClock
from tests.sla.api.conftest import at, change_status, open_ticket
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(customer: User, agent: User) -> dict[str, Ticket]:
    """Tickets in every SLA state as of Monday 2 March 2026, 10:40 (enterprise P3: response 2 h).

    - breached: opened Monday 08:00 on a P1 (8 min response, 24/7): long breached;
    - at_risk: opened 09:00, 100 of its 120 minutes used, the sweeper recorded its 80 % warning;
    - paused: opened 10:00, put on hold at 10:10 (first response still running, 40 min in);
    - ok: opened 10:30.
    """
    tickets = {
        "breached": open_ticket(customer, when=at(8), priority="p1"),
        "at_risk": open_ticket(customer, when=at(9)),
        "paused": open_ticket(customer, when=at(10)),
        "ok": open_ticket(customer, when=at(10, 30)),
    }
    change_status(tickets["paused"], "on_hold", when=at(10, 10), actor=agent)
    with time_machine.travel(at(10, 40), tick=False):
        sla_services.clocks_sweep_due(now=at(10, 40))
    return tickets


def _ids(client: APIClient, query: dict) -> list[int]:
    with time_machine.travel(at(10, 40), tick=False):
        response = client.get("/api/v1/tickets/", {**query, "ordering": "id"})
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("breached", ["breached"]),
        ("at_risk", ["at_risk"]),
        ("paused", ["paused"]),
        ("ok", ["paused", "ok"]),  # a paused resolution clock, but a running, healthy first response
    ],
)
def test_sla_state_filter(
    agent_client: APIClient, queue: dict[str, Ticket], state: str, expected: list[str]
) -> None:
    assert _ids(agent_client, {"sla_state": state}) == [queue[name].pk for name in expected]


def test_a_ticket_with_several_matching_clocks_appears_once(
    agent_client: APIClient, queue: dict[str, Ticket]
) -> None:
    # The P1 has two breached clocks (response due 08:08, resolution due 10:00, both 24/7);
    # EXISTS never duplicates the ticket row.
    assert SlaClock.objects.filter(ticket=queue["breached"], breached_at__isnull=False).count() == 2
    assert _ids(agent_client, {"sla_state": "breached"}).count(queue["breached"].pk) == 1


def test_sla_due_before_filter(agent_client: APIClient, queue: dict[str, Ticket]) -> None:
    # Running clocks due before 11:05: the P1's (08:08, 10:00) and the 09:00 ticket's response (11:00).
    assert _ids(agent_client, {"sla_due_before": "2026-03-02T11:05:00Z"}) == [
        queue["breached"].pk,
        queue["at_risk"].pk,
    ]


@pytest.mark.parametrize(
    ("_case", "query"),
    [("unknown state", {"sla_state": "doomed"}), ("not a time", {"sla_due_before": "tomorrow-ish"})],
)
def test_bad_sla_filter_is_400(agent_client: APIClient, _case: str, query: dict) -> None:
    response = agent_client.get("/api/v1/tickets/", query)

    assert response.status_code == 400
    assert next(iter(query)) in response.json()


def test_customers_filter_only_their_own_tickets(
    outsider_client: APIClient, queue: dict[str, Ticket]
) -> None:
    assert _ids(outsider_client, {"sla_state": "breached"}) == []


def test_sla_filters_keep_the_query_count(
    django_assert_max_num_queries, agent_client: APIClient, queue: dict[str, Ticket]
) -> None:
    # The same ceiling as the unfiltered list (tests/tickets/api/test_ticket_list.py).
    with django_assert_max_num_queries(7), time_machine.travel(at(10, 40), tick=False):
        response = agent_client.get(
            "/api/v1/tickets/", {"sla_state": "ok", "sla_due_before": "2026-03-09T00:00:00Z"}
        )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
