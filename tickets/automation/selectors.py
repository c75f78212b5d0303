"""Reads for routing and automation: ticket snapshots for the matcher, rules, macros, placeholders.

Snapshots load in batches (a dry run reads 100 tickets in a handful of queries) and only what
the rules at hand read: SLA clocks and "pending since" are loaded when a condition asks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from helpdesk.models import Team, User
from sla.models import ClockState, SlaClock
from sla.selectors import clock_chip
from tickets.automation.models import AutomationRule, Macro
from tickets.automation.snapshot import SLA_FIELDS, TicketSnapshot
from tickets.models import (
    AuthorKind,
    MessageVisibility,
    Priority,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketMessage,
    TicketStatus,
)

DRY_RUN_TICKETS = 100


def rule_list() -> QuerySet[AutomationRule]:
    """Return every rule in run order."""
    return AutomationRule.objects.select_related("updated_by").order_by("position", "id")


def rule_list_active(kind: str) -> list[AutomationRule]:
    """Return the active rules of a kind (event or time) in run order."""
    return list(AutomationRule.objects.filter(kind=kind, is_active=True).order_by("position", "id"))


def pending_since_subquery() -> Subquery:
    """The instant each ticket last moved to pending (annotate tickets with it; served by event_ticket_idx)."""
    return Subquery(
        TicketEvent.objects.filter(
            ticket_id=OuterRef("pk"), kind=TicketEventKind.STATUS_CHANGED, data__to=TicketStatus.PENDING
        )
        .order_by("-occurred_at", "-id")
        .values("occurred_at")[:1]
    )


SlaState = tuple[float | None, bool, datetime | None]


def _sla_state(ticket_ids: Collection[int], now: datetime) -> dict[int, SlaState]:
    """Return (highest percent of target used, any live clock breached, newest live clock's start)
    per ticket with live (running or paused) clocks."""
    found: dict[int, SlaState] = {}
    clocks = SlaClock.objects.filter(
        ticket_id__in=list(ticket_ids), state__in=(ClockState.RUNNING, ClockState.PAUSED)
    ).only(
        "ticket_id",
        "metric",
        "state",
        "pause_reason",
        "calendar_id",
        "target_seconds",
        "elapsed_seconds",
        "computed_at",
        "due_at",
        "breached_at",
        "started_at",
    )
    for clock in clocks:
        if clock.state == ClockState.RUNNING:
            percent = clock_chip(clock, now).percent
        else:
            percent = 100 * clock.elapsed_seconds / clock.target_seconds if clock.target_seconds else 0.0
        breached = clock.breached_at is not None or (
            clock.state == ClockState.RUNNING and clock.due_at is not None and clock.due_at <= now
        )
        old_percent, old_breached, old_start = found.get(clock.ticket_id, (None, False, None))
        best = percent if old_percent is None else max(old_percent, percent)
        start = clock.started_at if old_start is None else max(old_start, clock.started_at)
        found[clock.ticket_id] = (best, old_breached or breached, start)
    return found


def _latest_customer_messages(ticket_ids: Collection[int]) -> dict[int, TicketMessage]:
    rows = (
        TicketMessage.objects.filter(
            ticket_id__in=list(ticket_ids),
            author_kind=AuthorKind.CUSTOMER,
            visibility=MessageVisibility.PUBLIC,
        )
        .order_by("ticket_id", "-created_at", "-id")
        .distinct("ticket_id")
        .only("id", "ticket_id", "body", "author_kind", "visibility")
    )
    return {message.ticket_id: message for message in rows}


def snapshots_for(
    ticket_ids: Iterable[int],
    *,
    now: datetime,
    trigger: str,
    fields: Collection[str] = (),
    message_ids: Mapping[int, int] | None = None,
    changed_fields: Mapping[int, Collection[str]] | None = None,
) -> dict[int, TicketSnapshot]:
    """Return a snapshot per ticket as of `now`.

    `fields` lists the fields the rules at hand read; SLA state and the pending instant are
    loaded only when they are among them. `message_ids` names, per ticket, the message a write
    added (message.* fields); without one, a created ticket offers its description and a
    customer_replied dry run the customer's latest public message.
    """
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        return {}
    queryset = (
        Ticket.objects.filter(pk__in=ids)
        .select_related("requester", "organization", "category")
        .prefetch_related("tags")
    )
    if "hours_since_pending" in fields:
        queryset = queryset.annotate(pending_since=pending_since_subquery())
    tickets = {ticket.pk: ticket for ticket in queryset}
    messages: dict[int, TicketMessage] = {}
    if message_ids:
        by_id = TicketMessage.objects.in_bulk(list(message_ids.values()))
        messages = {ticket_id: by_id[pk] for ticket_id, pk in message_ids.items() if pk in by_id}
    elif trigger == "customer_replied" and any(name.startswith("message.") for name in fields):
        messages = _latest_customer_messages(tickets)
    sla = _sla_state(tickets, now) if SLA_FIELDS & set(fields) else {}
    result = {}
    for pk, ticket in tickets.items():
        result[pk] = _snapshot(
            ticket,
            now=now,
            trigger=trigger,
            message=messages.get(pk),
            changed=tuple((changed_fields or {}).get(pk, ())),
            sla=sla.get(pk, (None, False, None)),
        )
    return result


def _snapshot(
    ticket: Ticket,
    *,
    now: datetime,
    trigger: str,
    message: TicketMessage | None,
    changed: tuple[str, ...],
    sla: SlaState,
) -> TicketSnapshot:
    organization = ticket.organization
    category = ticket.category
    if message is not None:
        body, author_kind, visibility = message.body, message.author_kind, message.visibility
    elif trigger == "created":
        body, author_kind, visibility = ticket.description, AuthorKind.CUSTOMER, MessageVisibility.PUBLIC
    else:
        body, author_kind, visibility = "", None, None
    values: dict[str, Any] = {
        "ticket.subject": ticket.subject,
        "ticket.description": ticket.description,
        "ticket.text": f"{ticket.subject}\n{ticket.description}",
        "ticket.status": ticket.status,
        "ticket.priority": ticket.priority,
        "ticket.severity": ticket.severity,
        "ticket.channel": ticket.channel,
        "ticket.support_tier": ticket.support_tier,
        "ticket.category": tuple(
            pk for pk in (ticket.category_id, category.parent_id if category else None) if pk
        ),
        "ticket.product_area": ticket.product_area_id,
        "ticket.team": ticket.team_id,
        "ticket.assignee": ticket.assignee_id,
        "ticket.tags": tuple(sorted(tag.name for tag in ticket.tags.all())),
        "ticket.reopened_count": ticket.reopened_count,
        "requester.id": ticket.requester_id,
        "requester.email": ticket.requester.email,
        "requester.name": ticket.requester.get_full_name(),
        "organization.id": ticket.organization_id,
        "organization.name": organization.name if organization else "",
        "organization.tier": organization.tier if organization else None,
        "organization.segment": organization.segment if organization else None,
        "organization.is_vip": bool(organization and organization.is_vip),
        "message.body": body,
        "message.author_kind": author_kind,
        "message.visibility": visibility,
        "event.trigger": trigger,
        "event.changed_fields": changed,
        "sla.percent_elapsed": sla[0],
        "sla.breached": sla[1],
    }
    pending_since = getattr(ticket, "pending_since", None)
    instants = {
        "created": ticket.created_at,
        "updated": ticket.updated_at,
        "pending": pending_since if ticket.status == TicketStatus.PENDING else None,
        "customer": ticket.last_customer_message_at,
        "agent": ticket.last_agent_message_at,
        "sla": sla[2],
    }
    return TicketSnapshot(ticket_id=ticket.pk, now=now, values=values, instants=instants)


def dry_run_ticket_ids(limit: int = DRY_RUN_TICKETS) -> list[int]:
    """Return the ids of the latest `limit` tickets, newest first (ticket_created_idx)."""
    return list(Ticket.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[:limit])


# --- placeholders ---------------------------------------------------------------------------------


def _first_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.full_name.split(" ")[0] if user.full_name else ""


def placeholder_values(ticket: Ticket, *, agent: User | None) -> dict[str, str]:
    """Return the values {{ placeholders }} take for `ticket`, written by `agent` (None: a rule)."""
    requester = ticket.requester
    assignee = ticket.assignee
    writer = agent or assignee
    return {
        "ticket.id": str(ticket.pk),
        "ticket.subject": ticket.subject,
        "ticket.status": TicketStatus(ticket.status).label if ticket.status in TicketStatus.values else "",
        "ticket.priority": Priority(ticket.priority).label if ticket.priority in Priority.values else "",
        "ticket.url": settings.SITE_URL + reverse("portal:ticket", args=[ticket.pk]),
        "requester.name": requester.get_full_name(),
        "requester.first_name": _first_name(requester) or requester.get_full_name(),
        "requester.email": requester.email,
        "organization.name": ticket.organization.name if ticket.organization else "",
        "team.name": ticket.team.name if ticket.team else "",
        "assignee.name": assignee.get_full_name() if assignee else "",
        "assignee.first_name": _first_name(assignee),
        "agent.name": writer.get_full_name() if writer else "",
        "agent.first_name": _first_name(writer),
    }


# --- macros ---------------------------------------------------------------------------------------


def macro_list_visible_to(user: User) -> QuerySet[Macro]:
    """Return the active macros `user` may apply: their own, and shared ones for everyone or their teams."""
    if not user.is_agent:
        return Macro.objects.none()
    return (
        Macro.objects.filter(is_active=True)
        .filter(
            Q(owner=user)
            | Q(owner__isnull=True, team__isnull=True)
            | Q(owner__isnull=True, team__in=Team.objects.filter(members=user).values("pk"))
        )
        .order_by("name", "id")
    )


def macro_list_manageable_by(user: User) -> QuerySet[Macro]:
    """Return the macros `user` may edit: their own; shared ones too for leads, managers and admins."""
    if not user.is_agent:
        return Macro.objects.none()
    if user.role in ("team_lead", "manager", "admin"):
        return Macro.objects.filter(Q(owner=user) | Q(owner__isnull=True)).select_related("team", "owner")
    return Macro.objects.filter(owner=user).select_related("team", "owner")


def rule_firing_counts(*, since: datetime) -> dict[int, int]:
    """Return how many times each rule fired since `since`, from the event log (event_kind_idx)."""
    rows = (
        TicketEvent.objects.filter(kind=TicketEventKind.RULE_FIRED, occurred_at__gte=since)
        .values("data__rule_id")
        .annotate(total=Count("id"))
        .order_by()
    )
    return {row["data__rule_id"]: row["total"] for row in rows if isinstance(row["data__rule_id"], int)}
