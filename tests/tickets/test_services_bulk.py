"""ticket_bulk_update: the same change on many tickets, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import User
from tests.factories import TagFactory
from tickets import services
from tickets.models import Ticket, TicketEvent, TicketStatus

pytestmark = pytest.mark.django_db

S = TicketStatus
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def _tickets(requester: User, *statuses: str) -> list[Ticket]:
    created = []
    for status in statuses:
        ticket = services.ticket_create(requester=requester, subject=f"Ticket in {status}", created_at=T0)
        Ticket.objects.filter(pk=ticket.pk).update(status=status)
        ticket.refresh_from_db()
        created.append(ticket)
    return created


def _state() -> dict[str, Any]:
    return {
        "tickets": list(Ticket.objects.order_by("pk").values("pk", "status", "priority", "updated_at")),
        "tags": sorted(Ticket.tags.through.objects.values_list("ticket_id", "tag_id")),
        "events": TicketEvent.objects.count(),
    }


def test_bulk_update_changes_every_ticket_and_records_each(customer: User, agent: User) -> None:
    # given
    first, second = _tickets(customer, S.NEW, S.TRIAGED)

    # when
    result = services.ticket_bulk_update(
        ticket_ids=[second.pk, first.pk, first.pk], changes={"priority": "p1"}, actor=agent, at=T1
    )

    # then
    assert [ticket.pk for ticket in result] == [first.pk, second.pk]
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert (ticket.priority, ticket.updated_at) == ("p1", T1)
        last = TicketEvent.objects.filter(ticket=ticket).last()
        assert last is not None
        assert (last.kind, last.data, last.actor_id) == (
            "field_changed",
            {"field": "priority", "from": "p3", "to": "p1"},
            agent.pk,
        )


def test_bulk_update_is_all_or_nothing_when_one_ticket_refuses(customer: User, agent: User) -> None:
    # given: engineering is reachable from in_progress, but not from new or triaged
    movable, stuck_new, stuck_triaged = _tickets(customer, S.IN_PROGRESS, S.NEW, S.TRIAGED)
    tag = TagFactory(name="outage")
    before = _state()

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_bulk_update(
            ticket_ids=[movable.pk, stuck_new.pk, stuck_triaged.pk],
            changes={"priority": "p1", "tags": [tag], "status": S.ENGINEERING},
            actor=agent,
        )

    # then
    assert raised.value.message == "Some tickets refused the change; nothing was changed."
    assert raised.value.field_errors == {
        "tickets": [
            f"#{stuck_new.pk}: '{S.NEW}' → '{S.ENGINEERING}' is not an allowed transition.",
            f"#{stuck_triaged.pk}: '{S.TRIAGED}' → '{S.ENGINEERING}' is not an allowed transition.",
        ]
    }
    assert _state() == before


def test_bulk_update_refuses_closed_tickets_except_for_tags(customer: User, agent: User) -> None:
    # given
    open_ticket, closed_ticket = _tickets(customer, S.IN_PROGRESS, S.CLOSED)
    before = _state()

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_bulk_update(
            ticket_ids=[open_ticket.pk, closed_ticket.pk], changes={"priority": "p2"}, actor=agent
        )

    # then
    assert raised.value.field_errors == {
        "tickets": [f"#{closed_ticket.pk}: A closed ticket can only be re-tagged."]
    }
    assert _state() == before


def test_bulk_re_tagging_includes_closed_tickets(customer: User, agent: User) -> None:
    # given
    open_ticket, closed_ticket = _tickets(customer, S.IN_PROGRESS, S.CLOSED)
    tag = TagFactory(name="q3-incident")

    # when
    services.ticket_bulk_update(
        ticket_ids=[open_ticket.pk, closed_ticket.pk], changes={"tags": [tag]}, actor=agent
    )

    # then
    assert sorted(Ticket.tags.through.objects.values_list("ticket_id", flat=True)) == [
        open_ticket.pk,
        closed_ticket.pk,
    ]


@pytest.mark.parametrize(
    ("_case", "ticket_count", "changes", "expected_errors"),
    [
        ("no tickets", 0, {"priority": "p1"}, {"ticket_ids": ["Select at least one ticket."]}),
        ("more than 500", 501, {"priority": "p1"}, {"ticket_ids": ["At most 500 tickets at once."]}),
        ("no changes", 1, {}, {"changes": ["Say what to change."]}),
    ],
)
def test_bulk_update_limits(
    customer: User,
    agent: User,
    _case: str,
    ticket_count: int,
    changes: dict[str, Any],
    expected_errors: dict[str, list[str]],
) -> None:
    # given
    (ticket,) = _tickets(customer, S.NEW)
    ids = [ticket.pk + offset for offset in range(ticket_count)]
    before = _state()

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_bulk_update(ticket_ids=ids, changes=changes, actor=agent)

    # then
    assert raised.value.field_errors == expected_errors
    assert _state() == before


def test_bulk_update_of_exactly_500_tickets_is_allowed_by_the_limit(customer: User, agent: User) -> None:
    # given: 500 distinct ids, most of which do not exist, so the limit passes and existence fails
    (ticket,) = _tickets(customer, S.NEW)
    ids = [ticket.pk + offset for offset in range(500)]

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_bulk_update(ticket_ids=ids, changes={"priority": "p1"}, actor=agent)

    # then
    assert len(raised.value.field_errors["ticket_ids"]) == 499


def test_bulk_update_refuses_unknown_ids(customer: User, agent: User) -> None:
    # given
    (ticket,) = _tickets(customer, S.NEW)
    before = _state()

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_bulk_update(
            ticket_ids=[ticket.pk, 99_999_999], changes={"priority": "p1"}, actor=agent
        )

    # then
    assert raised.value.field_errors == {"ticket_ids": ["Ticket 99999999 does not exist."]}
    assert _state() == before


def test_bulk_update_refuses_customers(customer: User) -> None:
    # given
    (ticket,) = _tickets(customer, S.NEW)
    before = _state()

    # when
    with pytest.raises(PermissionDeniedError):
        services.ticket_bulk_update(ticket_ids=[ticket.pk], changes={"priority": "p1"}, actor=customer)

    # then
    assert _state() == before


def test_bulk_update_queries_grow_linearly_not_worse(
    customer: User, agent: User, django_assert_max_num_queries: Any
) -> None:
    # given
    tickets = _tickets(customer, *([S.NEW] * 20))

    # when / then: savepoint, event, save and the SLA re-plan (which re-matches the policy
    # on a priority change) per ticket, plus the lock
    with django_assert_max_num_queries(5 + 13 * len(tickets)):
        services.ticket_bulk_update(
            ticket_ids=[ticket.pk for ticket in tickets], changes={"priority": "p2"}, actor=agent
        )
