"""ticket_import: replaying another helpdesk's history with its original timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from tickets import services
from tickets.models import Ticket, TicketEvent, TicketMessage, TicketStatus
from tickets.services import ImportedMessage, ImportedStatus, TicketImport

pytestmark = pytest.mark.django_db

S = TicketStatus
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CREATED = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)


def _at(hours: int) -> datetime:
    return CREATED + timedelta(hours=hours)


def _payload(customer: User, agent: User, **overrides: Any) -> TicketImport:
    values: dict[str, Any] = {
        "source": "zendesk",
        "external_id": "ZD-1001",
        "created_at": CREATED,
        "fields": {"requester": customer, "subject": "Cannot export", "channel": "email"},
        "messages": (
            ImportedMessage(author=customer, body="Export fails", created_at=_at(0)),
            ImportedMessage(author=agent, body="Which browser?", created_at=_at(2)),
            ImportedMessage(author=customer, body="Firefox", created_at=_at(30)),
            ImportedMessage(author=agent, body="Fixed.", created_at=_at(40)),
        ),
        "statuses": (
            ImportedStatus(status=S.PENDING, at=_at(2), actor=agent),
            ImportedStatus(status=S.RESOLVED, at=_at(40), actor=agent),
            ImportedStatus(status=S.CLOSED, at=_at(100)),
        ),
    }
    values.update(overrides)
    return TicketImport(**values)


def _state() -> dict[str, int]:
    return {
        "tickets": Ticket.objects.count(),
        "messages": TicketMessage.objects.count(),
        "events": TicketEvent.objects.count(),
    }


def test_import_keeps_historical_timestamps_everywhere(customer: User, agent: User) -> None:
    # when
    ticket, created = services.ticket_import(payload=_payload(customer, agent), actor=agent, now=NOW)

    # then
    assert created is True
    assert (ticket.source, ticket.external_id, ticket.created_at) == ("zendesk", "ZD-1001", CREATED)
    assert (ticket.status, ticket.resolved_at, ticket.closed_at) == (S.CLOSED, _at(40), _at(100))
    assert (ticket.first_response_at, ticket.last_customer_message_at, ticket.last_agent_message_at) == (
        _at(2),
        _at(30),
        _at(40),
    )
    assert (ticket.message_count, ticket.updated_at) == (4, _at(100))
    assert list(TicketMessage.objects.filter(ticket=ticket).values_list("created_at", "channel")) == [
        (_at(0), "email"),
        (_at(2), "email"),
        (_at(30), "email"),
        (_at(40), "email"),
    ]
    events = list(TicketEvent.objects.filter(ticket=ticket))
    assert {event.occurred_at for event in events} == {_at(0), _at(2), _at(30), _at(40), _at(100)}
    assert all(event.recorded_at > _at(100) for event in events)


def test_import_replays_messages_and_statuses_in_time_order(customer: User, agent: User) -> None:
    # when
    ticket, _created = services.ticket_import(payload=_payload(customer, agent), actor=agent, now=NOW)

    # then: the customer's reply at +30h resumes the pending ticket, as it would have live
    rows = [
        (event.occurred_at, event.kind, event.data.get("to"), event.data.get("reason"))
        for event in TicketEvent.objects.filter(ticket=ticket)
    ]
    assert rows == [
        (_at(0), "created", None, None),
        (_at(0), "message_added", None, None),
        (_at(2), "message_added", None, None),
        (_at(2), "status_changed", "pending", "imported"),
        (_at(30), "message_added", None, None),
        (_at(30), "status_changed", "in_progress", "customer_replied"),
        (_at(40), "message_added", None, None),
        (_at(40), "status_changed", "resolved", "imported"),
        (_at(100), "status_changed", "closed", "imported"),
    ]


def test_imported_status_without_actor_is_attributed_to_the_importer(customer: User, agent: User) -> None:
    # when
    ticket, _created = services.ticket_import(payload=_payload(customer, agent), actor=agent, now=NOW)

    # then
    assert TicketEvent.objects.filter(ticket=ticket).last().actor_id == agent.pk  # type: ignore[union-attr]


def test_import_records_historical_moves_the_workflow_would_refuse(customer: User, agent: User) -> None:
    # given: new → engineering is not allowed live
    payload = _payload(
        customer, agent, messages=(), statuses=(ImportedStatus(status=S.ENGINEERING, at=_at(1)),)
    )

    # when
    ticket, _created = services.ticket_import(payload=payload, actor=agent, now=NOW)

    # then
    assert ticket.status == S.ENGINEERING


def test_re_import_returns_the_existing_ticket_and_writes_nothing(customer: User, agent: User) -> None:
    # given
    first, _created = services.ticket_import(payload=_payload(customer, agent), actor=agent, now=NOW)
    before = _state()

    # when
    again, created = services.ticket_import(
        payload=_payload(customer, agent, fields={"requester": customer, "subject": "Changed"}),
        actor=agent,
        now=NOW,
    )

    # then
    assert (again.pk, created, again.subject) == (first.pk, False, "Cannot export")
    assert _state() == before


@pytest.mark.parametrize(
    ("_case", "overrides", "expected_errors"),
    [
        (
            "ticket created in the future",
            {"created_at": NOW + timedelta(seconds=1), "messages": (), "statuses": ()},
            {"created_at": ["An imported ticket cannot be created in the future."]},
        ),
        (
            "message in the future",
            {"messages": (ImportedMessage(author=None, body="x", created_at=NOW + timedelta(days=1)),)},
            {"messages": ["Message 0: time must lie between created_at and now."]},
        ),
        (
            "message before the ticket",
            {
                "messages": (
                    ImportedMessage(author=None, body="x", created_at=CREATED - timedelta(minutes=1)),
                )
            },
            {"messages": ["Message 0: time must lie between created_at and now."]},
        ),
        (
            "status in the future",
            {"statuses": (ImportedStatus(status=S.RESOLVED, at=NOW + timedelta(days=1)),)},
            {"statuses": ["Status 0: time must lie between created_at and now."]},
        ),
        (
            "missing external id",
            {"external_id": "  "},
            {"external_id": ["Required for imports."]},
        ),
    ],
)
def test_import_refuses_impossible_history(
    customer: User, agent: User, _case: str, overrides: dict[str, Any], expected_errors: dict[str, list[str]]
) -> None:
    # given
    payload = _payload(customer, agent, **overrides)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_import(payload=payload, actor=agent, now=NOW)

    # then
    assert raised.value.field_errors == expected_errors
    assert _state() == {"tickets": 0, "messages": 0, "events": 0}


@pytest.mark.parametrize(
    ("_case", "overrides"),
    [
        ("naive created_at", {"created_at": datetime(2025, 1, 10, 8, 0), "messages": (), "statuses": ()}),
        (
            "naive message time",
            {"messages": (ImportedMessage(author=None, body="x", created_at=datetime(2025, 1, 11)),)},
        ),
        ("naive status time", {"statuses": (ImportedStatus(status=S.RESOLVED, at=datetime(2025, 1, 11)),)}),
    ],
)
def test_import_refuses_times_without_an_offset(
    customer: User, agent: User, _case: str, overrides: dict[str, Any]
) -> None:
    # given
    payload = _payload(customer, agent, **overrides)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_import(payload=payload, actor=agent, now=NOW)

    # then
    assert raised.value.field_errors == {"created_at": ["Give every time with its UTC offset."]}
    assert _state() == {"tickets": 0, "messages": 0, "events": 0}


def test_import_with_an_unknown_status_writes_nothing(customer: User, agent: User) -> None:
    # given
    payload = _payload(customer, agent, statuses=(ImportedStatus(status="archived", at=_at(5)),))

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_import(payload=payload, actor=agent, now=NOW)

    # then
    assert raised.value.field_errors == {"status": ["'archived' is not a status."]}
    assert _state() == {"tickets": 0, "messages": 0, "events": 0}


def test_import_keeps_message_order_at_the_same_instant(customer: User, agent: User) -> None:
    # given
    payload = _payload(
        customer,
        agent,
        messages=(
            ImportedMessage(author=customer, body="first", created_at=_at(1)),
            ImportedMessage(author=customer, body="second", created_at=_at(1)),
        ),
        statuses=(),
    )

    # when
    ticket, _created = services.ticket_import(payload=payload, actor=agent, now=NOW)

    # then
    assert list(TicketMessage.objects.filter(ticket=ticket).values_list("body", flat=True)) == [
        "first",
        "second",
    ]
