"""The ticket event log: append-only, ordered, and complete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import DatabaseError, transaction

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from tests.factories import CategoryFactory, TagFactory, TeamFactory
from tickets import events, services
from tickets.models import LinkKind, Ticket, TicketEvent, TicketEventKind, TicketStatus

pytestmark = pytest.mark.django_db

S = TicketStatus
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _ticket(requester: User, **fields: Any) -> Ticket:
    return services.ticket_create(requester=requester, subject="Sync stalls", created_at=T0, **fields)


def test_updating_an_event_row_is_refused_by_the_database(customer: User) -> None:
    # given
    ticket = _ticket(customer)
    event = TicketEvent.objects.get(ticket=ticket)

    # when
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(data={"forged": True})

    # then
    event.refresh_from_db()
    assert event.data["status"] == "new"
    assert "forged" not in event.data


def test_saving_a_changed_event_is_refused_by_the_database(customer: User) -> None:
    # given
    ticket = _ticket(customer)
    event = TicketEvent.objects.get(ticket=ticket)
    event.kind = TicketEventKind.MERGED

    # when
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.save()

    # then
    assert TicketEvent.objects.get(pk=event.pk).kind == TicketEventKind.CREATED


@pytest.mark.django_db(transaction=True)
def test_the_append_only_trigger_holds_outside_a_test_transaction(customer: User) -> None:
    # given
    ticket = _ticket(customer)

    # when
    with pytest.raises(DatabaseError, match="append-only"):
        TicketEvent.objects.filter(ticket=ticket).update(actor=None)

    # then
    assert TicketEvent.objects.get(ticket=ticket).actor_id == customer.pk


def test_events_are_ordered_by_occurrence_then_id(customer: User, agent: User) -> None:
    # given: written out of time order, as an import or a late webhook would
    ticket = _ticket(customer)
    late = events.field_changed(
        ticket, actor=agent, at=T0 + timedelta(hours=2), field="priority", old="p3", new="p2"
    )
    early = events.field_changed(
        ticket, actor=agent, at=T0 + timedelta(hours=1), field="priority", old="p4", new="p3"
    )
    same_a = events.field_changed(
        ticket, actor=agent, at=T0 + timedelta(hours=3), field="severity", old="a", new="b"
    )
    same_b = events.field_changed(
        ticket, actor=agent, at=T0 + timedelta(hours=3), field="severity", old="b", new="c"
    )

    # when
    ordered = list(TicketEvent.objects.filter(ticket=ticket).exclude(kind=TicketEventKind.CREATED))

    # then
    assert [event.pk for event in ordered] == [early.pk, late.pk, same_a.pk, same_b.pk]
    assert same_a.pk < same_b.pk


# Which ticket columns each kind of event accounts for.
EXPLAINED_BY_KIND = {
    TicketEventKind.STATUS_CHANGED: {"status", "resolved_at", "closed_at", "reopened_count"},
    TicketEventKind.ASSIGNED: {"assignee_id"},
    TicketEventKind.MESSAGE_ADDED: {
        "message_count",
        "first_response_at",
        "last_customer_message_at",
        "last_agent_message_at",
    },
    TicketEventKind.MERGED: {"merged_into_id", "close_reason"},
    TicketEventKind.MERGE_RECEIVED: set(),
    TicketEventKind.LINKED: set(),
    TicketEventKind.UNLINKED: set(),
    TicketEventKind.ESCALATED: {"support_tier", "team_id"},
    TicketEventKind.DE_ESCALATED: {"support_tier", "team_id"},
}
FIELD_COLUMNS = {"category": "category_id", "product_area": "product_area_id", "team": "team_id"}


def _row(ticket_id: int) -> dict[str, Any]:
    ticket = Ticket.objects.get(pk=ticket_id)
    values = {field.attname: getattr(ticket, field.attname) for field in Ticket._meta.concrete_fields}
    values["tags"] = sorted(ticket.tags.values_list("name", flat=True))
    return values


def _explained(new_events: list[TicketEvent]) -> set[str]:
    explained = set()
    for event in new_events:
        if event.kind == TicketEventKind.FIELD_CHANGED:
            field = event.data["field"]
            explained.add(FIELD_COLUMNS.get(field, field))
            if field == "description":
                explained.add("description_html")
        else:
            explained |= EXPLAINED_BY_KIND[event.kind]
    if new_events:
        # Any event can move the SLA clocks, and with them the ticket's soonest due instant.
        explained |= {"updated_at", "sla_due_at"}
    return explained


Operation = Callable[[Ticket, Ticket, User, User], None]

OPERATIONS: list[tuple[str, Operation]] = [
    (
        "update several fields",
        lambda t, o, c, a: services.ticket_update(
            ticket_id=t.pk,
            actor=a,
            changes={
                "priority": "p1",
                "description": "more",
                "category": CategoryFactory(),
                "tags": [TagFactory()],
                "team": TeamFactory(),
            },
        ),
    ),
    ("assign", lambda t, o, c, a: services.ticket_assign(ticket_id=t.pk, assignee=a, actor=a)),
    ("resolve", lambda t, o, c, a: services.ticket_change_status(ticket_id=t.pk, to=S.RESOLVED, actor=a)),
    (
        "customer closes",
        lambda t, o, c, a: services.ticket_change_status(ticket_id=t.pk, to=S.CLOSED, actor=c),
    ),
    ("agent replies", lambda t, o, c, a: services.message_create(ticket_id=t.pk, author=a, body="hi")),
    ("customer replies", lambda t, o, c, a: services.message_create(ticket_id=t.pk, author=c, body="hi")),
    (
        "internal note",
        lambda t, o, c, a: services.message_create(ticket_id=t.pk, author=a, body="n", visibility="internal"),
    ),
    (
        "escalate",
        lambda t, o, c, a: services.ticket_escalate(
            ticket_id=t.pk, actor=a, handoff={"issue_summary": "x"}, to_team=TeamFactory()
        ),
    ),
    ("merge away", lambda t, o, c, a: services.ticket_merge(duplicate_id=t.pk, original_id=o.pk, actor=a)),
    (
        "receive a merge",
        lambda t, o, c, a: services.ticket_merge(duplicate_id=o.pk, original_id=t.pk, actor=a),
    ),
    (
        "link",
        lambda t, o, c, a: services.ticket_link(from_id=t.pk, to_id=o.pk, kind=LinkKind.PARENT_OF, actor=a),
    ),
    (
        "bulk update",
        lambda t, o, c, a: services.ticket_bulk_update(
            ticket_ids=[t.pk, o.pk], changes={"severity": "sev1"}, actor=a
        ),
    ),
]


@pytest.mark.parametrize(("_case", "operation"), OPERATIONS)
@pytest.mark.parametrize("start", [S.ASSIGNED, S.PENDING, S.RESOLVED])
def test_no_service_changes_a_ticket_without_an_event(
    customer: User, agent: User, _case: str, operation: Operation, start: str
) -> None:
    # given
    ticket, other = _ticket(customer, assignee=agent), _ticket(customer)
    if start != ticket.status:
        services.ticket_change_status(ticket_id=ticket.pk, to=start, actor=agent)
    rows_before = {pk: _row(pk) for pk in (ticket.pk, other.pk)}
    last_event_id = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first()

    # when
    try:
        operation(ticket, other, customer, agent)
    except DomainError:  # a refused call must leave no trace, checked below
        refused = True
    else:
        refused = False

    # then
    for pk, before in rows_before.items():
        after = _row(pk)
        changed = {key for key in before if before[key] != after[key]}
        new_events = list(TicketEvent.objects.filter(ticket_id=pk, id__gt=last_event_id))
        if refused:
            assert (changed, new_events) == (set(), [])
        else:
            assert changed <= _explained(new_events), f"unexplained change on #{pk}: {changed}"
