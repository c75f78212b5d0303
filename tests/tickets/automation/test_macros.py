"""Macros: placeholders, all-or-nothing actions, visibility, and the API."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import Team, User
from tests.factories import AgentFactory, TagFactory
from tickets import services
from tickets.models import Macro, Ticket, TicketEvent, TicketEventKind, TicketStatus
from tickets.services.macros import macro_apply, macro_create


@pytest.fixture
def ticket(customer: User, agent: User) -> Ticket:
    return services.ticket_create(requester=customer, subject="Export fails", assignee=agent)


def test_placeholders_are_filled_for_the_ticket_and_agent(
    ticket: Ticket, agent: User, customer: User
) -> None:
    macro = macro_create(
        actor=agent, name="Hi", body="#{{ ticket.id }} {{ ticket.subject }} for {{ requester.email }}"
    )

    macro_apply(macro_id=macro.pk, ticket_id=ticket.pk, actor=agent)

    assert ticket.messages.get().body == f"#{ticket.pk} Export fails for {customer.email}"


def test_unknown_placeholders_are_refused_when_saved(agent: User) -> None:
    with pytest.raises(DomainError) as error:
        macro_create(actor=agent, name="Bad", body="{{ ticket.requester.password }}")

    assert "body" in error.value.field_errors


def test_a_refused_action_writes_nothing(ticket: Ticket, agent: User) -> None:
    macro = macro_create(
        actor=agent,
        name="To engineering",
        body="Sending this to engineering.",
        actions_json=[{"type": "set", "field": "status", "value": "engineering"}],  # not from assigned
    )

    with pytest.raises(DomainError):
        macro_apply(macro_id=macro.pk, ticket_id=ticket.pk, actor=agent)

    assert not ticket.messages.exists()
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.MACRO_APPLIED).exists()


def test_applying_records_one_event_with_the_actions(ticket: Ticket, agent: User) -> None:
    TagFactory(name="waiting")
    macro = macro_create(
        actor=agent,
        name="Wait",
        body="",
        actions_json=[
            {"type": "add_tags", "tags": ["waiting"]},
            {"type": "set", "field": "status", "value": "pending"},
        ],
    )

    result = macro_apply(macro_id=macro.pk, ticket_id=ticket.pk, actor=agent)

    assert result.status == TicketStatus.PENDING
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.MACRO_APPLIED)
    assert event.actor_id == agent.pk
    assert event.data["message_id"] is None
    assert [action["type"] for action in event.data["actions"]] == ["add_tags", "set"]


def test_personal_macros_are_private_and_team_macros_need_membership(
    ticket: Ticket, agent: User, manager: User, auth_team: Team
) -> None:
    mine = macro_create(actor=manager, name="Mine", body="x")
    for_auth = macro_create(actor=manager, name="Auth only", body="x", shared=True, team=auth_team)

    for macro_id in (mine.pk, for_auth.pk):
        with pytest.raises(Macro.DoesNotExist):
            macro_apply(macro_id=macro_id, ticket_id=ticket.pk, actor=agent)


def test_agents_cannot_share_macros(agent: User) -> None:
    with pytest.raises(PermissionDeniedError):
        macro_create(actor=agent, name="Shared", body="x", shared=True)


def test_api_lists_and_applies_with_an_idempotency_key(
    agent_client: Any, agent: User, ticket: Ticket, manager: User
) -> None:
    # given
    shared = macro_create(actor=manager, name="Shared", body="Hello {{ requester.first_name }}", shared=True)
    macro_create(actor=manager, name="Manager's own", body="x")
    # when
    listed = agent_client.get("/api/v1/macros/")
    first = agent_client.post(
        f"/api/v1/tickets/{ticket.pk}/apply-macro/",
        {"macro": shared.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    again = agent_client.post(
        f"/api/v1/tickets/{ticket.pk}/apply-macro/",
        {"macro": shared.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    # then
    assert [row["name"] for row in listed.data["results"]] == ["Shared"]
    assert first.status_code == 200, first.data
    assert first.data["id"] == ticket.pk
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert ticket.messages.count() == 1


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected"),
    [("customer may not", "customer_client", 403), ("unknown macro", "agent_client", 400)],
)
def test_api_refusals(
    request: pytest.FixtureRequest, ticket: Ticket, _case: str, client_fixture: str, expected: int
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.post(f"/api/v1/tickets/{ticket.pk}/apply-macro/", {"macro": 999999}, format="json")

    assert response.status_code == expected
    assert not ticket.messages.exists()


def test_api_hidden_ticket_is_404(agent_client: Any) -> None:
    other = AgentFactory()
    macro = macro_create(actor=other, name="x", body="x")

    response = agent_client.post("/api/v1/tickets/999999/apply-macro/", {"macro": macro.pk}, format="json")

    assert response.status_code == 404
