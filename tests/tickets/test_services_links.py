"""ticket_merge, ticket_link and ticket_unlink."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from helpdesk.exceptions import Conflict, DomainError
from helpdesk.models import User
from tickets import services
from tickets.models import LinkKind, Ticket, TicketEvent, TicketLink, TicketStatus

pytestmark = pytest.mark.django_db

S = TicketStatus
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
T2 = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)


def _ticket(requester: User, *, status: str = S.NEW, subject: str = "Login fails") -> Ticket:
    ticket = services.ticket_create(requester=requester, subject=subject, created_at=T0)
    if status != ticket.status:
        Ticket.objects.filter(pk=ticket.pk).update(status=status)
        ticket.refresh_from_db()
    return ticket


def _events_after_creation(ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    return [(event.kind, event.data) for event in TicketEvent.objects.filter(ticket=ticket)][1:]


def _state(*tickets: Ticket) -> dict[str, Any]:
    ids = [ticket.pk for ticket in tickets]
    return {
        "tickets": list(
            Ticket.objects.filter(pk__in=ids)
            .order_by("pk")
            .values("pk", "status", "close_reason", "merged_into_id", "closed_at", "updated_at")
        ),
        "links": list(
            TicketLink.objects.order_by("pk").values_list("from_ticket_id", "to_ticket_id", "kind")
        ),
        "events": TicketEvent.objects.filter(ticket_id__in=ids).count(),
    }


# --- ticket_merge ----------------------------------------------------------------------------------


def test_merge_closes_the_duplicate_and_records_it_on_both(customer: User, agent: User) -> None:
    # given
    original = _ticket(customer, status=S.IN_PROGRESS)
    duplicate = _ticket(customer, status=S.PENDING)

    # when
    result = services.ticket_merge(duplicate_id=duplicate.pk, original_id=original.pk, actor=agent, at=T1)

    # then
    assert result.pk == original.pk
    duplicate.refresh_from_db()
    original.refresh_from_db()
    assert (duplicate.status, duplicate.close_reason, duplicate.merged_into_id, duplicate.closed_at) == (
        S.CLOSED,
        "merged",
        original.pk,
        T1,
    )
    assert (original.status, original.merged_into_id, original.updated_at) == (S.IN_PROGRESS, None, T1)
    assert list(
        TicketLink.objects.values_list("from_ticket_id", "to_ticket_id", "kind", "created_by_id")
    ) == [(duplicate.pk, original.pk, "duplicate_of", agent.pk)]
    assert _events_after_creation(duplicate) == [
        ("status_changed", {"from": "pending", "to": "closed", "reason": "merged"}),
        ("merged", {"into": original.pk}),
    ]
    assert _events_after_creation(original) == [("merge_received", {"duplicate": duplicate.pk})]


def test_a_resolved_ticket_may_receive_a_merge(customer: User, agent: User) -> None:
    # given
    original = _ticket(customer, status=S.RESOLVED)
    duplicate = _ticket(customer)

    # when
    services.ticket_merge(duplicate_id=duplicate.pk, original_id=original.pk, actor=agent)

    # then
    original.refresh_from_db()
    assert original.status == S.RESOLVED
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == original.pk


def test_merge_into_itself_is_refused(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)
    before = _state(ticket)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_merge(duplicate_id=ticket.pk, original_id=ticket.pk, actor=agent)

    # then
    assert raised.value.field_errors == {"original": ["Pick a different ticket."]}
    assert _state(ticket) == before


@pytest.mark.parametrize(
    ("_case", "duplicate_status", "original_status", "expected_errors"),
    [
        (
            "closed duplicate",
            S.CLOSED,
            S.NEW,
            {"duplicate": ["A closed ticket cannot be merged."]},
        ),
        (
            "closed original",
            S.NEW,
            S.CLOSED,
            {"original": ["Merge into an open or resolved ticket."]},
        ),
    ],
)
def test_merge_with_a_closed_ticket_is_refused(
    customer: User,
    agent: User,
    _case: str,
    duplicate_status: str,
    original_status: str,
    expected_errors: dict[str, list[str]],
) -> None:
    # given
    duplicate = _ticket(customer, status=duplicate_status)
    original = _ticket(customer, status=original_status)
    before = _state(duplicate, original)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_merge(duplicate_id=duplicate.pk, original_id=original.pk, actor=agent)

    # then
    assert not isinstance(raised.value, Conflict)
    assert raised.value.field_errors == expected_errors
    assert _state(duplicate, original) == before


def test_merge_into_a_merged_ticket_is_refused(customer: User, agent: User) -> None:
    # given
    first, second, third = _ticket(customer), _ticket(customer), _ticket(customer)
    services.ticket_merge(duplicate_id=second.pk, original_id=first.pk, actor=agent)
    before = _state(first, second, third)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_merge(duplicate_id=third.pk, original_id=second.pk, actor=agent)

    # then
    assert raised.value.field_errors == {"original": ["Merge into an open or resolved ticket."]}
    assert _state(first, second, third) == before


def test_merging_twice_is_a_conflict(customer: User, agent: User) -> None:
    # given
    original, duplicate, other = _ticket(customer), _ticket(customer), _ticket(customer)
    services.ticket_merge(duplicate_id=duplicate.pk, original_id=original.pk, actor=agent)
    before = _state(original, duplicate, other)

    # when
    with pytest.raises(Conflict) as raised:
        services.ticket_merge(duplicate_id=duplicate.pk, original_id=other.pk, actor=agent)

    # then
    assert raised.value.field_errors == {"duplicate": [f"Already merged into #{original.pk}."]}
    assert raised.value.status_code == 409
    assert _state(original, duplicate, other) == before


def test_merge_of_a_missing_ticket_raises_does_not_exist(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)

    # when / then
    with pytest.raises(Ticket.DoesNotExist):
        services.ticket_merge(duplicate_id=ticket.pk, original_id=ticket.pk + 999, actor=agent)
    assert Ticket.objects.get(pk=ticket.pk).status == S.NEW


def test_merge_link_cannot_be_unlinked(customer: User, agent: User) -> None:
    # given
    original, duplicate = _ticket(customer), _ticket(customer)
    services.ticket_merge(duplicate_id=duplicate.pk, original_id=original.pk, actor=agent)
    link = TicketLink.objects.get()
    before = _state(original, duplicate)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_unlink(link_id=link.pk, actor=agent)

    # then
    assert raised.value.field_errors == {"link": ["A merge cannot be undone by unlinking."]}
    assert _state(original, duplicate) == before


# --- ticket_link / ticket_unlink -------------------------------------------------------------------


def test_related_link_is_stored_once_lower_id_first(customer: User, agent: User) -> None:
    # given
    low, high = _ticket(customer), _ticket(customer)

    # when
    first = services.ticket_link(from_id=high.pk, to_id=low.pk, kind=LinkKind.RELATED, actor=agent, at=T1)
    second = services.ticket_link(from_id=low.pk, to_id=high.pk, kind=LinkKind.RELATED, actor=agent, at=T2)

    # then
    assert first.pk == second.pk
    assert (first.from_ticket_id, first.to_ticket_id, first.created_at) == (low.pk, high.pk, T1)
    assert TicketLink.objects.count() == 1
    assert _events_after_creation(low) == [
        ("linked", {"kind": "related", "other": high.pk, "direction": "out"})
    ]
    assert _events_after_creation(high) == [
        ("linked", {"kind": "related", "other": low.pk, "direction": "in"})
    ]


def test_linking_twice_returns_the_same_link_and_records_nothing_new(customer: User, agent: User) -> None:
    # given
    parent, child = _ticket(customer), _ticket(customer)
    link = services.ticket_link(from_id=parent.pk, to_id=child.pk, kind=LinkKind.PARENT_OF, actor=agent)
    before = _state(parent, child)

    # when
    again = services.ticket_link(from_id=parent.pk, to_id=child.pk, kind=LinkKind.PARENT_OF, actor=agent)

    # then
    assert again.pk == link.pk
    assert _state(parent, child) == before


def test_self_link_is_refused(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)
    before = _state(ticket)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_link(from_id=ticket.pk, to_id=ticket.pk, kind=LinkKind.RELATED, actor=agent)

    # then
    assert raised.value.field_errors == {"to_ticket": ["Pick a different ticket."]}
    assert _state(ticket) == before


def test_unknown_link_kind_is_refused(customer: User, agent: User) -> None:
    # given
    first, second = _ticket(customer), _ticket(customer)
    before = _state(first, second)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_link(from_id=first.pk, to_id=second.pk, kind="blocks", actor=agent)

    # then
    assert raised.value.field_errors == {"kind": ["Choose one of parent_of, related, duplicate_of."]}
    assert _state(first, second) == before


def test_direct_parent_cycle_is_refused(customer: User, agent: User) -> None:
    # given
    parent, child = _ticket(customer), _ticket(customer)
    services.ticket_link(from_id=parent.pk, to_id=child.pk, kind=LinkKind.PARENT_OF, actor=agent)
    before = _state(parent, child)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_link(from_id=child.pk, to_id=parent.pk, kind=LinkKind.PARENT_OF, actor=agent)

    # then
    assert raised.value.field_errors == {"to_ticket": ["That ticket is already the parent of this one."]}
    assert _state(parent, child) == before


def test_longer_parent_cycle_is_refused(customer: User, agent: User) -> None:
    # given: a parent of b, b parent of c
    a, b, c = _ticket(customer), _ticket(customer), _ticket(customer)
    services.ticket_link(from_id=a.pk, to_id=b.pk, kind=LinkKind.PARENT_OF, actor=agent)
    services.ticket_link(from_id=b.pk, to_id=c.pk, kind=LinkKind.PARENT_OF, actor=agent)
    before = _state(a, b, c)

    # when: c parent of a would close the loop
    with pytest.raises(DomainError) as raised:
        services.ticket_link(from_id=c.pk, to_id=a.pk, kind=LinkKind.PARENT_OF, actor=agent)

    # then
    assert raised.value.field_errors == {"to_ticket": ["That ticket is already the parent of this one."]}
    assert _state(a, b, c) == before


def test_a_parent_may_have_several_children(customer: User, agent: User) -> None:
    # given
    parent, first, second = _ticket(customer), _ticket(customer), _ticket(customer)
    services.ticket_link(from_id=parent.pk, to_id=first.pk, kind=LinkKind.PARENT_OF, actor=agent)

    # when
    services.ticket_link(from_id=parent.pk, to_id=second.pk, kind=LinkKind.PARENT_OF, actor=agent)

    # then
    assert sorted(TicketLink.objects.values_list("from_ticket_id", "to_ticket_id")) == [
        (parent.pk, first.pk),
        (parent.pk, second.pk),
    ]


def test_unlink_removes_the_link_and_records_it_on_both_tickets(customer: User, agent: User) -> None:
    # given
    low, high = _ticket(customer), _ticket(customer)
    link = services.ticket_link(from_id=low.pk, to_id=high.pk, kind=LinkKind.RELATED, actor=agent, at=T1)

    # when
    services.ticket_unlink(link_id=link.pk, actor=agent, at=T2)

    # then
    assert TicketLink.objects.count() == 0
    assert _events_after_creation(low)[-1] == (
        "unlinked",
        {"kind": "related", "other": high.pk, "direction": "out"},
    )
    assert _events_after_creation(high)[-1] == (
        "unlinked",
        {"kind": "related", "other": low.pk, "direction": "in"},
    )
    assert Ticket.objects.get(pk=low.pk).updated_at == T2


def test_a_manual_duplicate_link_may_be_unlinked(customer: User, agent: User) -> None:
    # given
    first, second = _ticket(customer), _ticket(customer)
    link = services.ticket_link(from_id=first.pk, to_id=second.pk, kind=LinkKind.DUPLICATE_OF, actor=agent)

    # when
    services.ticket_unlink(link_id=link.pk, actor=agent)

    # then
    assert TicketLink.objects.count() == 0


def test_unlink_of_a_missing_link_raises_does_not_exist(agent: User) -> None:
    with pytest.raises(TicketLink.DoesNotExist):
        services.ticket_unlink(link_id=987654, actor=agent)
