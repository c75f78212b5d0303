"""Which webhook event a source row is, and the JSON payload it is sent as (docs/webhooks.md).

Payloads are built once per source row at fan-out, from the other apps' selectors, and stored on
each delivery: a retry or a redelivery sends the same bytes. The `ticket` object is the ticket as
it stood at fan-out (seconds after the change); the change itself is in the event's own section.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from helpdesk.models import User
from helpdesk.webhooks import selectors
from helpdesk.webhooks.models import WebhookEventType, WebhookSource
from sla.models import SlaEvent, SlaEventKind
from tickets import selectors as ticket_selectors
from tickets.models import MessageVisibility, Ticket, TicketEvent, TicketEventKind, TicketMessage

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = 1

# Every other ticket event kind (field, status and assignment changes, merges, links, escalations,
# and kinds added later) is a change to the ticket: ticket.updated.
TICKET_EVENT_TYPES = {
    TicketEventKind.CREATED: WebhookEventType.TICKET_CREATED,
    TicketEventKind.MESSAGE_ADDED: WebhookEventType.MESSAGE_CREATED,
    TicketEventKind.SATISFACTION_RATED: WebhookEventType.SURVEY_ANSWERED,
}
# SLA events not listed (applied, started, paused, resumed, stopped, escalated) send nothing; an
# escalation reaches subscribers as the ticket's own `escalated` event (ticket.updated).
SLA_EVENT_TYPES = {
    SlaEventKind.WARNED: WebhookEventType.SLA_WARNING,
    SlaEventKind.BREACHED: WebhookEventType.SLA_BREACH,
    SlaEventKind.SEVERELY_BREACHED: WebhookEventType.SLA_BREACH,
    SlaEventKind.FULFILLED: WebhookEventType.SLA_FULFILLED,
}


@dataclass(frozen=True, slots=True)
class OutboundEvent:
    """One source row as a webhook event; `is_internal` events go only to subscriptions opting in."""

    source: str
    source_id: int
    event_type: str
    ticket_id: int | None
    is_internal: bool
    payload: dict[str, Any]


def body_bytes(payload: dict[str, Any]) -> bytes:
    """Return the exact bytes sent (and signed) for a payload: compact JSON, keys sorted, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def ticket_event_type(kind: str) -> str:
    """Return the webhook event type of a ticket event kind."""
    return TICKET_EVENT_TYPES.get(kind, WebhookEventType.TICKET_UPDATED)  # type: ignore[call-overload]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.full_name or user.email, "email": user.email, "role": user.role}


def _ticket(ticket: Ticket) -> dict[str, Any]:
    site = settings.SITE_URL
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "severity": ticket.severity,
        "channel": ticket.channel,
        "support_tier": ticket.support_tier,
        "tags": sorted(tag.name for tag in ticket.tags.all()),
        "requester": _person(ticket.requester),
        "assignee": _person(ticket.assignee),
        "team": None if ticket.team is None else {"id": ticket.team.pk, "name": ticket.team.name},
        "organization": None
        if ticket.organization is None
        else {"id": ticket.organization.pk, "name": ticket.organization.name},
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "resolved_at": _iso(ticket.resolved_at),
        "sla_due_at": _iso(ticket.sla_due_at),
        "links": {
            "agent": site + reverse("tickets:detail", args=[ticket.pk]),
            "portal": site + reverse("portal:ticket", args=[ticket.pk]),
            "api": site + reverse("api-v1:ticket-detail", kwargs={"pk": ticket.pk}),
        },
    }


def _envelope(
    source: str,
    source_id: int,
    event_type: str,
    occurred_at: datetime,
    actor: User | None,
    ticket: Ticket | None,
) -> dict[str, Any]:
    return {
        "version": PAYLOAD_VERSION,
        "id": f"{source}:{source_id}",
        "type": event_type,
        "occurred_at": _iso(occurred_at),
        "actor": _person(actor),
        "ticket": None if ticket is None else _ticket(ticket),
    }


def _message(message: TicketMessage | None, message_id: Any) -> dict[str, Any]:
    if message is None:
        return {"id": message_id}
    return {
        "id": message.pk,
        "visibility": message.visibility,
        "author_kind": message.author_kind,
        "author": _person(message.author),
        "is_automatic": message.is_automatic,
        "channel": message.channel,
        "body": message.body,
        "created_at": _iso(message.created_at),
    }


# Internal text inside a change's data. An escalation's handoff is also written as an internal note,
# which subscriptions that include internal notes receive as message.created.
INTERNAL_CHANGE_KEYS = frozenset({"handoff"})


def _public_change_data(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in INTERNAL_CHANGE_KEYS}


def ticket_events_outbound(rows: Sequence[TicketEvent], wanted: Collection[str]) -> list[OutboundEvent]:
    """Return the webhook events of ticket event rows, for the event types in `wanted` only.

    Reads the tickets, messages and actors of the batch in one query each. A row whose ticket is
    gone is skipped.
    """
    rows = [row for row in rows if ticket_event_type(row.kind) in wanted]
    if not rows:
        return []
    tickets = ticket_selectors.tickets_get_for_webhooks({row.ticket_id for row in rows})
    message_ids = {
        int(row.data["message_id"])
        for row in rows
        if row.kind == TicketEventKind.MESSAGE_ADDED and str(row.data.get("message_id", "")).isdigit()
    }
    messages = ticket_selectors.messages_get_for_webhooks(message_ids) if message_ids else {}
    actors = selectors.users_get(row.actor_id for row in rows if row.actor_id is not None)
    result = []
    for row in rows:
        ticket = tickets.get(row.ticket_id)
        if ticket is None:
            logger.info("webhooks.ticket_gone", extra={"ticket_event_id": row.pk})
            continue
        event_type = ticket_event_type(row.kind)
        payload = _envelope(
            WebhookSource.TICKET_EVENT,
            row.pk,
            event_type,
            row.occurred_at,
            actors.get(row.actor_id) if row.actor_id else None,
            ticket,
        )
        is_internal = False
        if event_type == WebhookEventType.MESSAGE_CREATED:
            message_id = row.data.get("message_id")
            message = messages.get(int(message_id)) if str(message_id).isdigit() else None
            payload["message"] = _message(message, message_id)
            is_internal = row.data.get("visibility") == MessageVisibility.INTERNAL
        elif event_type == WebhookEventType.SURVEY_ANSWERED:
            payload["survey"] = {
                key: row.data.get(key) for key in ("survey_id", "kind", "score", "scale_max", "previous")
            }
        elif event_type == WebhookEventType.TICKET_UPDATED:
            payload["change"] = {"kind": row.kind, "data": _public_change_data(row.data)}
        result.append(
            OutboundEvent(WebhookSource.TICKET_EVENT, row.pk, event_type, ticket.pk, is_internal, payload)
        )
    return result


def sla_events_outbound(rows: Sequence[SlaEvent], wanted: Collection[str]) -> list[OutboundEvent]:
    """Return the webhook events of SLA event rows (warnings, breaches, fulfilments) in `wanted`.

    Levels recorded silently (crossed before the clock existed here: imported history) send
    nothing, as they page nobody.
    """
    rows = [
        row
        for row in rows
        if SLA_EVENT_TYPES.get(row.kind) in wanted  # type: ignore[call-overload]
        and not row.data.get("silent")
        and row.clock is not None
    ]
    if not rows:
        return []
    tickets = ticket_selectors.tickets_get_for_webhooks({row.ticket_id for row in rows})
    result = []
    for row in rows:
        ticket = tickets.get(row.ticket_id)
        clock = row.clock
        if ticket is None or clock is None:
            continue
        event_type = SLA_EVENT_TYPES[row.kind]  # type: ignore[index]
        payload = _envelope(WebhookSource.SLA_EVENT, row.pk, event_type, row.at, None, ticket)
        payload["sla"] = {
            "clock_id": clock.pk,
            "metric": clock.metric,
            "period": clock.period,
            "level": row.level,
            "severe": row.kind == SlaEventKind.SEVERELY_BREACHED,
            "target_seconds": clock.target_seconds,
            "state": clock.state,
            "due_at": _iso(clock.due_at),
            "breached_at": _iso(clock.breached_at),
        }
        result.append(OutboundEvent(WebhookSource.SLA_EVENT, row.pk, event_type, ticket.pk, False, payload))
    return result


def automation_payload(
    *,
    event_type: str,
    dedupe_key: str,
    ticket: Ticket,
    actor: User | None,
    occurred_at: datetime,
    automation: Mapping[str, Any],
) -> dict[str, Any]:
    """Return the body of a rule's or macro's webhook call: the envelope plus `automation`.

    `ticket` is the ticket as the action found it (after the rule's or macro's earlier actions);
    `automation` names the rule or macro and what set it off (docs/webhooks.md).
    """
    payload = _envelope("automation", 0, event_type, occurred_at, actor, ticket)
    payload["id"] = dedupe_key  # names the occurrence, the same on every retry
    payload["automation"] = dict(automation)
    return payload


def survey_payload(
    *,
    dedupe_key: str,
    ticket: Ticket | None,
    actor: User | None,
    occurred_at: datetime,
    survey: Mapping[str, Any],
) -> dict[str, Any]:
    """Return the body of a survey.answered sent at the answer (NPS and CES; CSAT comes from the feed).

    `ticket` is None for NPS, which asks about the relationship, not a ticket.
    """
    payload = _envelope("survey", 0, WebhookEventType.SURVEY_ANSWERED, occurred_at, actor, ticket)
    payload["id"] = dedupe_key  # the same for every subscription and every retry
    payload["survey"] = {
        key: survey.get(key) for key in ("survey_id", "kind", "score", "scale_max", "previous")
    }
    return payload
