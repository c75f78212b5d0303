"""Every read that encodes who may see what (STYLE.md C5)."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from helpdesk.models import Organization, Team, User
from tickets.models import (
    OPEN_STATUS_Q,
    Attachment,
    Category,
    MessageVisibility,
    ProductArea,
    Tag,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketLink,
    TicketMessage,
    TicketStatus,
)

# What a customer may read in a ticket's history: nothing about notes, assignment or routing.
CUSTOMER_VISIBLE_EVENT_KINDS = (
    TicketEventKind.CREATED,
    TicketEventKind.STATUS_CHANGED,
    TicketEventKind.MESSAGE_ADDED,
    TicketEventKind.MERGED,
    TicketEventKind.MERGE_RECEIVED,
)


def ticket_visibility_q(user: User) -> Q | None:
    """Return the filter limiting tickets to what `user` may see, or None for no limit."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_agent:
        return None
    own = Q(requester_id=user.pk)
    organization = user.organization
    if organization is not None and organization.members_see_each_other:
        return own | Q(organization_id=organization.pk)
    return own


def ticket_list_visible_to(user: User) -> QuerySet[Ticket]:
    """Return the tickets `user` may see, with list-page relations loaded.

    Agents see all tickets; a customer sees their own, plus their organization's when it shares.
    """
    queryset = Ticket.objects.select_related(
        "requester", "organization", "team", "assignee", "category", "category__parent", "product_area"
    ).prefetch_related("tags")
    condition = ticket_visibility_q(user)
    return queryset if condition is None else queryset.filter(condition)


def ticket_count_by_status_visible_to(user: User, *, statuses: Collection[str]) -> dict[str, int]:
    """Return how many tickets `user` may see in each of `statuses`, in one query.

    A status with no tickets is absent from the result, not 0.
    """
    return dict(
        ticket_list_visible_to(user)
        .filter(status__in=statuses)
        .select_related(None)
        .prefetch_related(None)
        .order_by()
        .values_list("status")
        .annotate(total=Count("id"))
    )


def ticket_get_visible(user: User, ticket_id: int) -> Ticket:
    """Return one ticket `user` may see; raises Ticket.DoesNotExist otherwise (a 404, not a 403)."""
    return ticket_list_visible_to(user).get(pk=ticket_id)


def message_list_visible_to(user: User, ticket: Ticket) -> QuerySet[TicketMessage]:
    """Return a ticket's messages for `user`: customers never see internal notes."""
    queryset = (
        TicketMessage.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )
    if not user.is_agent:
        queryset = queryset.filter(visibility=MessageVisibility.PUBLIC)
    return queryset


def attachment_get_visible(user: User, attachment_id: int) -> Attachment:
    """Return an attachment whose ticket and message `user` may see; raises Attachment.DoesNotExist."""
    queryset = Attachment.objects.select_related("message", "message__ticket")
    condition = ticket_visibility_q(user)
    if condition is not None:
        visible = Ticket.objects.filter(condition).values("pk")
        queryset = queryset.filter(message__ticket__in=visible, message__visibility=MessageVisibility.PUBLIC)
    return queryset.get(pk=attachment_id)


def event_list_visible_to(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """Return a ticket's event log for `user`; customers see only customer-facing events."""
    queryset = TicketEvent.objects.filter(ticket=ticket).select_related("actor")
    if not user.is_agent:
        queryset = queryset.filter(kind__in=CUSTOMER_VISIBLE_EVENT_KINDS).exclude(
            kind=TicketEventKind.MESSAGE_ADDED, data__visibility=MessageVisibility.INTERNAL
        )
    return queryset


def link_list_for(ticket: Ticket) -> QuerySet[TicketLink]:
    """Return every link touching `ticket`, either direction."""
    return TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket)).select_related(
        "from_ticket", "to_ticket"
    )


def category_list_visible_to(user: User) -> QuerySet[Category]:
    """Return categories for `user`: staff see retired ones too, customers only active ones."""
    queryset = Category.objects.select_related("parent")
    return queryset if user.is_agent else queryset.filter(is_active=True)


def tag_list_visible_to(user: User) -> QuerySet[Tag]:
    """Return tags for `user`: staff see retired ones too, customers only active ones."""
    return Tag.objects.all() if user.is_agent else Tag.objects.filter(is_active=True)


def product_area_list_visible_to(user: User) -> QuerySet[ProductArea]:
    """Return product areas for `user`: staff see retired ones too, customers only active ones."""
    return ProductArea.objects.all() if user.is_agent else ProductArea.objects.filter(is_active=True)


def _in_model_order(model: Any, names: Collection[str]) -> tuple[str, ...]:
    # Model.from_db takes the loaded values in the model's field order.
    return tuple(field.attname for field in model._meta.concrete_fields if field.attname in names)


# What SLA matching and calendars read of a ticket and its organization, team and category.
_SLA_TICKET_FIELDS = _in_model_order(
    Ticket,
    {
        "id",
        "subject",
        "priority",
        "channel",
        "status",
        "source",
        "assignee_id",
        "requester_id",
        "organization_id",
        "team_id",
        "category_id",
        "sla_due_at",
    },
)
_SLA_RELATED = (
    (Organization, "organization", _in_model_order(Organization, {"id", "tier", "calendar_id"})),
    (Team, "team", _in_model_order(Team, {"id", "lead_id", "calendar_id"})),
    (Category, "category", _in_model_order(Category, {"id", "parent_id"})),
)


@functools.cache
def _sla_ticket_statement() -> str:
    columns = [
        f"t.{connection.ops.quote_name(Ticket._meta.get_field(name).column)}" for name in _SLA_TICKET_FIELDS
    ]
    joins = []
    for index, (model, name, fields) in enumerate(_SLA_RELATED):
        alias = f"r{index}"
        columns += [
            f"{alias}.{connection.ops.quote_name(model._meta.get_field(field).column)}" for field in fields
        ]
        fk = Ticket._meta.get_field(name).column
        joins.append(f'LEFT JOIN "{model._meta.db_table}" {alias} ON {alias}."id" = t."{fk}"')
    return (
        f'SELECT {", ".join(columns)} FROM "{Ticket._meta.db_table}" t {" ".join(joins)} '  # noqa: S608
        'WHERE t."id" = ANY(%s)'
    )


def tickets_get_for_sla(ticket_ids: Iterable[int]) -> dict[int, Ticket]:
    """Return tickets by id with what SLA policy matching and calendars need, in one statement.

    System use (no visibility rule). The ticket's organization, team and category come loaded
    with just the fields matching reads; other fields are deferred. The statement is assembled
    once, not compiled by the ORM per call: this runs after every ticket write.
    """
    with connection.cursor() as cursor:
        cursor.execute(_sla_ticket_statement(), [list(ticket_ids)])
        rows = cursor.fetchall()
    tickets = {}
    width = len(_SLA_TICKET_FIELDS)
    for row in rows:
        ticket = Ticket.from_db(connection.alias, _SLA_TICKET_FIELDS, row[:width])
        offset = width
        for model, name, fields in _SLA_RELATED:
            values = row[offset : offset + len(fields)]
            offset += len(fields)
            setattr(
                ticket, name, None if values[0] is None else model.from_db(connection.alias, fields, values)
            )
        tickets[ticket.pk] = ticket
    return tickets


def ticket_get_for_sla(ticket_id: int) -> Ticket:
    """Return one ticket as tickets_get_for_sla loads it; raises Ticket.DoesNotExist."""
    ticket = tickets_get_for_sla([ticket_id]).get(ticket_id)
    if ticket is None:
        raise Ticket.DoesNotExist(f"Ticket {ticket_id} does not exist.")
    return ticket


def ticket_event_rows(ticket_id: int) -> list[tuple[str, Any, dict[str, Any]]]:
    """Return (kind, occurred_at, data) of a ticket's events in replay order."""
    return ticket_event_rows_many([ticket_id]).get(ticket_id, [])


def ticket_event_rows_many(ticket_ids: Iterable[int]) -> dict[int, list[tuple[str, Any, dict[str, Any]]]]:
    """Return ticket_event_rows for several tickets in one statement, by ticket id (hot path)."""
    rows: dict[int, list[tuple[str, Any, dict[str, Any]]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT ticket_id, kind, occurred_at, data FROM "{TicketEvent._meta.db_table}" '  # noqa: S608
            "WHERE ticket_id = ANY(%s) ORDER BY ticket_id, occurred_at, id",
            [list(ticket_ids)],
        )
        for ticket_id, kind, occurred_at, data in cursor.fetchall():
            rows.setdefault(ticket_id, []).append(
                (kind, occurred_at, json.loads(data) if isinstance(data, str) else data)
            )
    return rows


def ticket_lock_for_sla(ticket_id: int) -> Ticket | None:
    """Lock a ticket row so an SLA re-plan sees no concurrent change; None when it is gone."""
    return Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()


def open_ticket_ids_after(*, after_id: int, limit: int, **filters: Any) -> list[int]:
    """Return ids of open tickets above `after_id`, ascending, narrowed by ORM `filters` (system use)."""
    return list(
        Ticket.objects.filter(OPEN_STATUS_Q, pk__gt=after_id, **filters)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )


def open_ticket_count(**filters: Any) -> int:
    """Return how many open tickets match ORM `filters` (system use)."""
    return Ticket.objects.filter(OPEN_STATUS_Q, **filters).values("pk").distinct().count()


# --- Satisfaction surveys (read by metrics; system use, no visibility rule) -----------------------

FINISHED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def tickets_resolved_between(*, after: datetime, until: datetime) -> QuerySet[Ticket]:
    """Return tickets whose standing resolution happened in (after, until], still resolved or closed.

    A reopen clears resolved_at and the next resolve sets a new one, so a resolution that was
    reopened is never returned. Tickets closed as spam, duplicates or merged are left out. The
    extra bound on COALESCE(closed_at, resolved_at), never earlier than resolved_at (closed is
    terminal), lets PostgreSQL read only the window from ticket_recently_resolved_idx.
    """
    return (
        Ticket.objects.filter(
            status__in=FINISHED_STATUSES,
            close_reason="",
            resolved_at__gt=after,
            resolved_at__lte=until,
        )
        .alias(finished_at=Coalesce("closed_at", "resolved_at"))
        .filter(finished_at__gt=after)
    )


def ticket_ids_with_tag(ticket_ids: Iterable[int], tag_name: str) -> set[int]:
    """Return which of `ticket_ids` carry the tag named `tag_name` (system use)."""
    return set(
        Ticket.tags.through.objects.filter(ticket_id__in=list(ticket_ids), tag__name=tag_name).values_list(
            "ticket_id", flat=True
        )
    )


def ticket_resolution_stands(ticket_id: int, resolved_at: datetime) -> bool:
    """Return whether the ticket is still resolved or closed from the resolution at `resolved_at`."""
    return Ticket.objects.filter(
        pk=ticket_id, status__in=FINISHED_STATUSES, close_reason="", resolved_at=resolved_at
    ).exists()
