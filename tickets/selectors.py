"""Every read that encodes who may see what (STYLE.md C5)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from helpdesk.models import User
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


def _tickets_for_sla() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("organization", "team", "category").only(
        "id",
        "subject",
        "priority",
        "channel",
        "status",
        "source",
        "assignee_id",
        "requester_id",
        "organization__id",
        "organization__tier",
        "organization__calendar_id",
        "team__id",
        "team__lead_id",
        "team__calendar_id",
        "category__id",
        "category__parent_id",
        "sla_due_at",
    )


def ticket_get_for_sla(ticket_id: int) -> Ticket:
    """Return a ticket with what SLA policy matching and calendars need (no visibility rule: system use)."""
    return _tickets_for_sla().get(pk=ticket_id)


def tickets_get_for_sla(ticket_ids: Iterable[int]) -> dict[int, Ticket]:
    """Return tickets by id as ticket_get_for_sla loads them, in one query; missing ids are left out."""
    return {ticket.pk: ticket for ticket in _tickets_for_sla().filter(pk__in=list(ticket_ids))}


def ticket_event_rows(ticket_id: int) -> list[tuple[str, Any, dict[str, Any]]]:
    """Return (kind, occurred_at, data) of a ticket's events in replay order."""
    return list(
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .order_by("occurred_at", "id")
        .values_list("kind", "occurred_at", "data")
    )


def ticket_event_rows_many(ticket_ids: Iterable[int]) -> dict[int, list[tuple[str, Any, dict[str, Any]]]]:
    """Return ticket_event_rows for several tickets in one query, by ticket id."""
    rows: dict[int, list[tuple[str, Any, dict[str, Any]]]] = {}
    for ticket_id, kind, occurred_at, data in (
        TicketEvent.objects.filter(ticket_id__in=list(ticket_ids))
        .order_by("ticket_id", "occurred_at", "id")
        .values_list("ticket_id", "kind", "occurred_at", "data")
    ):
        rows.setdefault(ticket_id, []).append((kind, occurred_at, data))
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
