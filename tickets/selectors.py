"""Every read that encodes who may see what (STYLE.md C5)."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate

from helpdesk.models import Organization, Team, User
from tickets.models import (
    OPEN_STATUS_Q,
    Attachment,
    AuthorKind,
    Category,
    CloseReason,
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


# --- Capacity planning and the voice-of-customer report (read by metrics; system use) -------------


def ticket_daily_created_counts(*, since: datetime, until: datetime) -> dict[date, int]:
    """Return how many tickets were created on each UTC day in [since, until); empty days are absent.

    Every arrival counts, spam and merged duplicates included (each was looked at). Reads the
    range from ticket_created_idx (an index-only scan when the table is vacuumed).
    """
    rows = (
        Ticket.objects.filter(created_at__gte=since, created_at__lt=until)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(total=Count("*"))
        .order_by()
        .values_list("day", "total")
    )
    return dict(rows)


def ticket_timelines_recently_resolved(
    *, since: datetime, until: datetime, limit: int = 500
) -> list[list[tuple[datetime, bool]]]:
    """Return the event timelines of the `limit` tickets last finished in (since, until].

    Finished: resolved or closed with a resolution, not as spam, duplicate or merged. A timeline
    is each event up to the resolution in (occurred_at, id) order as (occurred_at, is an
    agent-written message: a public reply or internal note that is not automatic). Reads the
    newest finishes from ticket_recently_resolved_idx, then their events from event_ticket_idx.
    """
    ticket_ids = list(
        Ticket.objects.filter(status__in=FINISHED_STATUSES, close_reason="", resolved_at__isnull=False)
        .alias(finished_at=Coalesce("closed_at", "resolved_at"))
        .filter(finished_at__gt=since, finished_at__lte=until)
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .values_list("id", flat=True)[:limit]
    )
    agent_message = Q(
        kind=TicketEventKind.MESSAGE_ADDED, data__author_kind=AuthorKind.AGENT, data__is_automatic=False
    )
    rows = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids, occurred_at__lte=F("ticket__resolved_at"))
        .annotate(is_agent_message=ExpressionWrapper(agent_message, output_field=BooleanField()))
        .order_by("ticket_id", "occurred_at", "id")
        .values_list("ticket_id", "occurred_at", "is_agent_message")
    )
    timelines: dict[int, list[tuple[datetime, bool]]] = {}
    for ticket_id, occurred_at, is_agent_message in rows:
        timelines.setdefault(ticket_id, []).append((occurred_at, bool(is_agent_message)))
    return list(timelines.values())


def _created_between(since: datetime, until: datetime) -> QuerySet[Ticket]:
    # Spam is no customer's voice; merged duplicates are (the same problem reported again).
    return Ticket.objects.filter(created_at__gte=since, created_at__lt=until).exclude(
        close_reason=CloseReason.SPAM
    )


def ticket_counts_by_category_created_between(*, since: datetime, until: datetime) -> dict[int | None, int]:
    """Return how many tickets created in [since, until) carry each category (None: none), spam aside."""
    return dict(
        _created_between(since, until)
        .values("category_id")
        .annotate(total=Count("id"))
        .order_by()
        .values_list("category_id", "total")
    )


def ticket_counts_by_tag_created_between(*, since: datetime, until: datetime) -> dict[str, int]:
    """Return how many tickets created in [since, until) carry each tag, by tag name, spam aside.

    The tags are the tickets' current ones (triage usually adds them after creation).
    """
    through = Ticket.tags.through
    return dict(
        through.objects.filter(ticket__in=_created_between(since, until))
        .values("tag__name")
        .annotate(total=Count("id"))
        .order_by()
        .values_list("tag__name", "total")
    )


def ticket_count_created_between_tagged(
    *, since: datetime, until: datetime, tag_names: Collection[str], category_slugs: Collection[str]
) -> int:
    """Return how many tickets created in [since, until) carry any of `tag_names` or sit in a
    category whose slug is in `category_slugs` (each ticket once), spam aside."""
    tagged = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag__name__in=list(tag_names))
    return (
        _created_between(since, until)
        .filter(Q(Exists(tagged)) | Q(category__slug__in=list(category_slugs)))
        .count()
    )


def category_paths(category_ids: Iterable[int]) -> dict[int, str]:
    """Return "Parent / Child" (or the top name) of each category, by id."""
    return {
        category.pk: category.path
        for category in Category.objects.filter(pk__in=list(category_ids)).select_related("parent")
    }


def escalation_counts_by_organization(*, since: datetime, until: datetime) -> dict[int, int]:
    """Return how many escalations (events, not tickets) each organization's tickets had in
    [since, until); tickets without an organization are left out. Reads event_kind_idx."""
    return dict(
        TicketEvent.objects.filter(
            kind=TicketEventKind.ESCALATED,
            occurred_at__gte=since,
            occurred_at__lt=until,
            ticket__organization_id__isnull=False,
        )
        .values("ticket__organization_id")
        .annotate(total=Count("id"))
        .order_by()
        .values_list("ticket__organization_id", "total")
    )


def customer_public_messages_matching(
    *, since: datetime, until: datetime, pattern: str
) -> list[tuple[int | None, int, int, str]]:
    """Return (organization id, ticket id, message id, body) of customers' public messages written
    in [since, until) whose body matches the PostgreSQL regular expression `pattern`, ignoring case.

    Internal notes and agents' and automatic messages are never read. The week's customer
    messages are found through their message_added events (event_kind_idx), so the cost follows
    the messages of the window, not the whole table; only those bodies are matched.
    """
    written = TicketEvent.objects.filter(
        kind=TicketEventKind.MESSAGE_ADDED,
        occurred_at__gte=since,
        occurred_at__lt=until,
        data__author_kind=AuthorKind.CUSTOMER,
        data__visibility=MessageVisibility.PUBLIC,
    ).values(message_id=Cast(KT("data__message_id"), BigIntegerField()))
    return list(
        TicketMessage.objects.filter(
            pk__in=written,
            author_kind=AuthorKind.CUSTOMER,
            visibility=MessageVisibility.PUBLIC,
            is_automatic=False,
            created_at__gte=since,
            created_at__lt=until,
            body__iregex=pattern,
        )
        .order_by("created_at", "id")
        .values_list("ticket__organization_id", "ticket_id", "id", "body")
    )


# --- The webhook feed (read by helpdesk.webhooks; system use, no visibility rule) -----------------

_FEED_EVENT_COLUMNS = ("id", "ticket_id", "kind", "actor_id", "occurred_at", "recorded_at", "data")


def ticket_event_last_id() -> int:
    """Return the highest ticket event id visible now (0 when there is none): where a new feed starts."""
    return TicketEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def ticket_events_for_feed(
    *, after_id: int, limit: int, id_ranges: Collection[tuple[int, int]] = ()
) -> list[TicketEvent]:
    """Return the first `limit` events above `after_id`, and every event inside `id_ranges`, by id.

    The ranges are inclusive and lie below `after_id`: ids a feed has not seen commit yet (see
    helpdesk/webhooks/feed.py). Both reads walk the primary key.
    """
    queryset = TicketEvent.objects.only(*_FEED_EVENT_COLUMNS).order_by("pk")
    rows = list(queryset.filter(pk__gt=after_id)[:limit])
    if id_ranges:
        within = Q()
        for low, high in id_ranges:
            within |= Q(pk__gte=low, pk__lte=high)
        rows = list(queryset.filter(within)) + rows
    return rows


def tickets_get_for_webhooks(ticket_ids: Iterable[int]) -> dict[int, Ticket]:
    """Return tickets by id with the requester, assignee, team, organization and tags a payload names."""
    return (
        Ticket.objects.select_related("requester", "assignee", "team", "organization")
        .prefetch_related("tags")
        .defer("description", "description_html")
        .in_bulk(list(ticket_ids))
    )


def messages_get_for_webhooks(message_ids: Iterable[int]) -> dict[int, TicketMessage]:
    """Return messages by id with their author."""
    return TicketMessage.objects.select_related("author").defer("body_html").in_bulk(list(message_ids))


# --- Metrics (read by metrics.reporting; system use, no visibility rule) ---------------------------

METRIC_TICKET_FIELDS = (
    "id",
    "created_at",
    "status",
    "close_reason",
    "merged_into_id",
    "team_id",
    "assignee_id",
    "category_id",
    "organization_id",
    "priority",
    "channel",
    "organization__tier",
    "organization__calendar_id",
    "team__calendar_id",
)


def ticket_rows_for_metrics(ticket_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Return what metric facts read of tickets, as plain values (tickets that are gone are absent).

    With the organization's tier and calendar and the team's calendar, in one statement.
    """
    return list(Ticket.objects.filter(pk__in=list(ticket_ids)).values(*METRIC_TICKET_FIELDS).order_by("id"))


def ticket_ids_after(*, after_id: int, limit: int) -> list[int]:
    """Return the ids of every ticket above `after_id`, ascending (batches of a full rebuild)."""
    return list(Ticket.objects.filter(pk__gt=after_id).order_by("pk").values_list("pk", flat=True)[:limit])


def ticket_event_ticket_ids_after(
    *, after_id: int, limit: int, id_ranges: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int, datetime]]:
    """Return (id, ticket_id, recorded_at) of the first `limit` ticket events above `after_id`, by id.

    Events inside `id_ranges` (inclusive, below `after_id`: ids not yet committed when last
    read) are returned too, whatever their number. Both reads walk the primary key.
    """
    columns = ("pk", "ticket_id", "recorded_at")
    rows = list(TicketEvent.objects.filter(pk__gt=after_id).order_by("pk").values_list(*columns)[:limit])
    if id_ranges:
        within = Q()
        for low, high in id_ranges:
            within |= Q(pk__gte=low, pk__lte=high)
        rows = list(TicketEvent.objects.filter(within).values_list(*columns)) + rows
    return rows


def ticket_event_last_id_before(instant: datetime) -> int:
    """Return the highest ticket event id recorded before `instant` (0 for none)."""
    return (
        TicketEvent.objects.filter(recorded_at__lt=instant)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )


def ticket_list_open_for_metrics() -> QuerySet[Ticket]:
    """Return every open ticket (system use): the live backlog the metrics count."""
    return Ticket.objects.filter(OPEN_STATUS_Q)


def ticket_last_event_at(ticket_ids: Iterable[int]) -> dict[int, datetime]:
    """Return when each ticket's latest event happened (its event log's last `occurred_at`)."""
    return dict(
        TicketEvent.objects.filter(ticket_id__in=list(ticket_ids))
        .values("ticket_id")
        .annotate(last=Max("occurred_at"))
        .values_list("ticket_id", "last")
    )
