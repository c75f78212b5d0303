"""GET /tickets/{id}/sla/: exact clock values and timelines, and who sees what."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from helpdesk.models import User
from tests.sla.api.conftest import at, change_status, open_ticket
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

CALENDAR = "Business hours (Mon-Fri 09:00-17:00 UTC)"


@pytest.fixture
def paused_once(customer: User, agent: User) -> Ticket:
    """Enterprise P3 opened Monday 09:00; pending (waiting on the customer) 10:00-14:00."""
    ticket = open_ticket(customer)
    change_status(ticket, "pending", when=at(10), actor=agent)
    change_status(ticket, "in_progress", when=at(14), actor=agent)
    return ticket


def _get(client: APIClient, ticket: Ticket, now) -> dict:
    with time_machine.travel(now, tick=False):
        response = client.get(f"/api/v1/tickets/{ticket.pk}/sla/")
    assert response.status_code == 200
    return response.json()


def test_staff_see_every_clock_as_of_now_with_its_timeline(
    agent_client: APIClient, paused_once: Ticket
) -> None:
    # when: Monday 15:00
    body = _get(agent_client, paused_once, at(15))

    # then
    assert body["now"] == "2026-03-02T15:00:00Z"
    assert body["policy"] == {
        "id": body["policy"]["id"],
        "name": "Standard (catch-all)",
        "version": 1,
        "applied_at": "2026-03-02T09:00:00Z",
    }
    clocks = {clock["metric"]: clock for clock in body["clocks"]}
    assert set(clocks) == {"first_response", "resolution"}
    # Resolution: 12 business hours; ran 09-10 and 14-15, paused in between.
    assert clocks["resolution"] == {
        "metric": "resolution",
        "period": 1,
        "state": "running",
        "target_seconds": 12 * 3600,
        "target": "12 h",
        "calendar": CALENDAR,
        "started_at": "2026-03-02T09:00:00Z",
        "ended_at": None,
        "due_at": "2026-03-03T17:00:00Z",  # 10 h left: Monday 15-17, Tuesday 09-17
        "elapsed_seconds": 2 * 3600,
        "remaining_seconds": 10 * 3600,
        "percent": 16.7,
        "is_breached": False,
        "breached_at": None,
        "severely_breached_at": None,
        "warned_level": 0,
        "pause_reason": "",
        "policy_version": 1,
        "timeline": [
            {
                "kind": "running",
                "start": "2026-03-02T09:00:00Z",
                "end": "2026-03-02T10:00:00Z",
                "reason": "",
                "seconds": 3600,
            },
            {
                "kind": "paused",
                "start": "2026-03-02T10:00:00Z",
                "end": "2026-03-02T14:00:00Z",
                "reason": "pending",
                "seconds": 14400,
            },
            {
                "kind": "running",
                "start": "2026-03-02T14:00:00Z",
                "end": "2026-03-02T15:00:00Z",
                "reason": "",
                "seconds": 3600,
            },
        ],
    }
    # First response: 2 business hours, never paused (a pending status does not excuse a reply).
    first = clocks["first_response"]
    assert {
        key: first[key]
        for key in ("state", "target", "due_at", "elapsed_seconds", "remaining_seconds", "percent")
    } == {
        "state": "running",
        "target": "2 h",
        "due_at": "2026-03-02T11:00:00Z",
        "elapsed_seconds": 6 * 3600,
        "remaining_seconds": 0,
        "percent": 300.0,
    }
    assert (first["is_breached"], first["breached_at"], first["severely_breached_at"]) == (
        True,
        "2026-03-02T11:00:00Z",
        "2026-03-02T13:00:00Z",
    )
    assert [event["kind"] for event in body["events"]] == [
        "applied",
        "started",
        "started",
        "paused",
        "resumed",
    ]
    assert body["events"][3]["data"] == {"reason": "pending"}


def test_while_paused_the_clock_has_no_due_instant_and_says_why(
    agent_client: APIClient, customer: User, agent: User
) -> None:
    # given
    ticket = open_ticket(customer)
    change_status(ticket, "on_hold", when=at(10), actor=agent)

    # when: Monday 12:00, still on hold
    body = _get(agent_client, ticket, at(12))

    # then
    resolution = next(clock for clock in body["clocks"] if clock["metric"] == "resolution")
    assert {key: resolution[key] for key in ("state", "pause_reason", "due_at", "elapsed_seconds")} == {
        "state": "paused",
        "pause_reason": "on_hold",
        "due_at": None,
        "elapsed_seconds": 3600,
    }
    assert [segment["kind"] for segment in resolution["timeline"]] == ["running", "paused"]
    assert resolution["timeline"][-1]["end"] == "2026-03-02T12:00:00Z"


def test_nights_show_as_outside_business_hours(agent_client: APIClient, customer: User) -> None:
    # given: opened Monday 16:00
    ticket = open_ticket(customer, when=at(16))

    # when: Tuesday 10:00
    body = _get(agent_client, ticket, at(10, day=3))

    # then
    resolution = next(clock for clock in body["clocks"] if clock["metric"] == "resolution")
    assert [(s["kind"], s["start"], s["end"]) for s in resolution["timeline"]] == [
        ("running", "2026-03-02T16:00:00Z", "2026-03-02T17:00:00Z"),
        ("outside_business_hours", "2026-03-02T17:00:00Z", "2026-03-03T09:00:00Z"),
        ("running", "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z"),
    ]
    assert resolution["elapsed_seconds"] == 2 * 3600


def test_customer_sees_promised_targets_and_due_times_only(
    customer_client: APIClient, paused_once: Ticket
) -> None:
    body = _get(customer_client, paused_once, at(15))

    assert set(body) == {"now", "clocks", "events"}
    resolution = next(clock for clock in body["clocks"] if clock["metric"] == "resolution")
    assert resolution == {
        "metric": "resolution",
        "period": 1,
        "state": "running",
        "target_seconds": 12 * 3600,
        "target": "12 h",
        "started_at": "2026-03-02T09:00:00Z",
        "due_at": "2026-03-03T17:00:00Z",
    }
    # Clock lifecycle only: no policy application, no warnings, breaches or escalations.
    assert [event["kind"] for event in body["events"]] == ["started", "started", "paused", "resumed"]
    assert set(body["events"][0]) == {"kind", "at", "metric", "period"}


def test_alerts_are_hidden_from_customers(
    customer_client: APIClient, agent_client: APIClient, customer: User
) -> None:
    # given: the sweeper recorded warnings and the breach of the first response
    from sla import services as sla_services

    ticket = open_ticket(customer)
    with time_machine.travel(at(12), tick=False):
        sla_services.clocks_sweep_due(now=at(12))

    # when
    staff = _get(agent_client, ticket, at(12))
    own = _get(customer_client, ticket, at(12))

    # then
    assert {"warned", "breached"} <= {event["kind"] for event in staff["events"]}
    assert not {"warned", "breached", "severely_breached", "escalated"} & {
        event["kind"] for event in own["events"]
    }


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected"),
    [
        ("the requester", "customer_client", 200),
        ("a coworker when the organization does not share", "coworker_client", 404),
        ("a customer of another organization", "outsider_client", 404),
        ("an agent", "agent_client", 200),
        ("a manager", "manager_client", 200),
    ],
)
def test_ticket_sla_visibility(
    request, customer: User, _case: str, client_fixture: str, expected: int
) -> None:
    ticket = open_ticket(customer)
    client: APIClient = request.getfixturevalue(client_fixture)

    assert client.get(f"/api/v1/tickets/{ticket.pk}/sla/").status_code == expected


def test_missing_ticket_is_404(agent_client: APIClient) -> None:
    assert agent_client.get("/api/v1/tickets/999999/sla/").status_code == 404


def test_anonymous_is_401(api_client: APIClient, customer: User) -> None:
    ticket = open_ticket(customer)

    assert api_client.get(f"/api/v1/tickets/{ticket.pk}/sla/").status_code == 401
