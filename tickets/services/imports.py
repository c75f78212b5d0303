"""Importing tickets from another helpdesk with their historical timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from sla import services as sla_services
from tickets.automation.hooks import rules_suspended
from tickets.models import MessageVisibility, Ticket
from tickets.services.core import _apply_status, _save, lock_ticket, ticket_create
from tickets.services.messages import message_create


@dataclass(frozen=True)
class ImportedMessage:
    author: User | None
    body: str
    created_at: datetime
    visibility: str = MessageVisibility.PUBLIC
    is_automatic: bool = False
    external_id: str = ""


@dataclass(frozen=True)
class ImportedStatus:
    status: str
    at: datetime
    actor: User | None = None


@dataclass(frozen=True)
class TicketImport:
    source: str
    external_id: str
    created_at: datetime
    fields: dict[str, Any]  # the same keyword arguments ticket_create takes, minus timestamps
    messages: Sequence[ImportedMessage] = field(default_factory=tuple)
    statuses: Sequence[ImportedStatus] = field(default_factory=tuple)


def _check_times(payload: TicketImport, now: datetime) -> None:
    # Naive times cannot be compared with aware ones (a TypeError) and would be guessed at on save.
    moments = [
        payload.created_at,
        *(message.created_at for message in payload.messages),
        *(status.at for status in payload.statuses),
    ]
    if any(timezone.is_naive(moment) for moment in moments):
        raise DomainError(
            "Invalid history.", field_errors={"created_at": ["Give every time with its UTC offset."]}
        )
    errors: dict[str, list[str]] = {}
    if payload.created_at > now:
        errors["created_at"] = ["An imported ticket cannot be created in the future."]
    for index, message in enumerate(payload.messages):
        if not payload.created_at <= message.created_at <= now:
            errors.setdefault("messages", []).append(
                f"Message {index}: time must lie between created_at and now."
            )
    for index, status in enumerate(payload.statuses):
        if not payload.created_at <= status.at <= now:
            errors.setdefault("statuses", []).append(
                f"Status {index}: time must lie between created_at and now."
            )
    if errors:
        raise DomainError("Invalid history.", field_errors=errors)


@transaction.atomic
def ticket_import(*, payload: TicketImport, actor: User, now: datetime | None = None) -> tuple[Ticket, bool]:
    """Create a ticket as if its history had happened live; return (ticket, created).

    Messages and status changes are replayed in time order through the live services, so the
    event log (and everything computed from it) matches a ticket that was worked here.
    Importing the same (source, external_id) again returns the existing ticket unchanged.
    Historical status moves are facts: they are recorded even where today's workflow differs.
    """
    if not payload.source.strip() or not payload.external_id.strip():
        raise DomainError(
            "Source and external id required.",
            field_errors={
                key: ["Required for imports."]
                for key in ("source", "external_id")
                if not getattr(payload, key).strip()
            },
        )
    existing = Ticket.objects.filter(source=payload.source, external_id=payload.external_id).first()
    if existing:
        return existing, False
    now = now or timezone.now()
    _check_times(payload, now)
    # History is replayed as it happened: automation rules do not fire on it (issue 7).
    with sla_services.replans_deferred(), rules_suspended():
        ticket = _replay(payload, actor)
    ticket.refresh_from_db()
    return ticket, True


def _replay(payload: TicketImport, actor: User) -> Ticket:
    ticket = ticket_create(
        **payload.fields,
        actor=actor,
        source=payload.source,
        external_id=payload.external_id,
        created_at=payload.created_at,
    )
    timeline: list[tuple[datetime, int, ImportedMessage | ImportedStatus]] = [
        *((message.created_at, 0, message) for message in payload.messages),
        *((status.at, 1, status) for status in payload.statuses),
    ]
    # Same instant: the message first, so "reply then set pending" replays in that order.
    for _at, _order, item in sorted(timeline, key=lambda entry: (entry[0], entry[1])):
        if isinstance(item, ImportedMessage):
            message_create(
                ticket_id=ticket.pk,
                author=item.author,
                body=item.body,
                visibility=item.visibility,
                is_automatic=item.is_automatic,
                external_id=item.external_id,
                channel=ticket.channel,
                at=item.created_at,
                send_email=False,  # history: the customer had these replies long ago
            )
        else:
            locked = lock_ticket(ticket.pk)
            if _apply_status(
                locked, item.status, actor=item.actor or actor, at=item.at, reason="imported", enforce=False
            ):
                _save(locked, item.at)
    return ticket
