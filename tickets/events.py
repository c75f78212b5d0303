"""One creator per ticket event kind, so every payload has one shape (STYLE.md C7)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.utils import timezone

from helpdesk.inserts import insert_rows
from helpdesk.models import User
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketMessage

_buffer: ContextVar[list[TicketEvent] | None] = ContextVar("ticket_events_buffer", default=None)
# Events recorded while tickets.automation.hooks watches a write, so the rules that run after it
# know what happened (created, updated, customer replied).
_watched: ContextVar[list[TicketEvent] | None] = ContextVar("ticket_events_watched", default=None)


@contextmanager
def watched() -> Iterator[list[TicketEvent]]:
    """Collect every event recorded in the block into the list it yields (nested blocks share it)."""
    outer = _watched.get()
    if outer is not None:
        yield outer
        return
    seen: list[TicketEvent] = []
    token = _watched.set(seen)
    try:
        yield seen
    finally:
        _watched.reset(token)


@contextmanager
def written_together() -> Iterator[None]:
    """Insert the events recorded in the block with one statement, on leaving it.

    For batch writers (the SLA escalator) inside one transaction: events recorded in the block
    have no primary key until it ends, and nothing in it may read them back. Leave the block
    before anything replays the event log (re-planning SLA clocks). Nested blocks defer to the
    outermost; on an exception nothing is written (the transaction is rolling back anyway).
    """
    if _buffer.get() is not None:
        yield
        return
    pending: list[TicketEvent] = []
    token = _buffer.set(pending)
    try:
        yield
    finally:
        _buffer.reset(token)
    insert_rows(pending)


def _record(ticket: Ticket, kind: str, actor: User | None, at: datetime, data: dict[str, Any]) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket, kind=kind, actor=actor, occurred_at=at, recorded_at=timezone.now(), data=data
    )
    seen = _watched.get()
    if seen is not None:
        seen.append(event)
    pending = _buffer.get()
    if pending is not None:
        pending.append(event)
    else:
        insert_rows([event])  # every ticket write records at least one event: keep it cheap
    return event


def created(ticket: Ticket, *, actor: User | None, at: datetime, data: dict[str, Any]) -> TicketEvent:
    return _record(ticket, TicketEventKind.CREATED, actor, at, data)


def field_changed(
    ticket: Ticket, *, actor: User | None, at: datetime, field: str, old: Any, new: Any
) -> TicketEvent:
    return _record(ticket, TicketEventKind.FIELD_CHANGED, actor, at, {"field": field, "from": old, "to": new})


def status_changed(
    ticket: Ticket,
    *,
    actor: User | None,
    at: datetime,
    old: str,
    new: str,
    reason: str = "",
    reopened: bool = False,
) -> TicketEvent:
    data: dict[str, Any] = {"from": old, "to": new}
    if reason:
        data["reason"] = reason
    if reopened:
        data["reopened"] = True
    return _record(ticket, TicketEventKind.STATUS_CHANGED, actor, at, data)


def assigned(
    ticket: Ticket, *, actor: User | None, at: datetime, old: int | None, new: int | None
) -> TicketEvent:
    return _record(ticket, TicketEventKind.ASSIGNED, actor, at, {"from": old, "to": new})


def message_added(ticket: Ticket, *, actor: User | None, at: datetime, message: TicketMessage) -> TicketEvent:
    return _record(
        ticket,
        TicketEventKind.MESSAGE_ADDED,
        actor,
        at,
        {
            "message_id": message.pk,
            "visibility": message.visibility,
            "author_kind": message.author_kind,
            "is_automatic": message.is_automatic,
        },
    )


def merged(ticket: Ticket, *, actor: User | None, at: datetime, into: int) -> TicketEvent:
    return _record(ticket, TicketEventKind.MERGED, actor, at, {"into": into})


def merge_received(ticket: Ticket, *, actor: User | None, at: datetime, duplicate: int) -> TicketEvent:
    return _record(ticket, TicketEventKind.MERGE_RECEIVED, actor, at, {"duplicate": duplicate})


def linked(
    ticket: Ticket, *, actor: User | None, at: datetime, kind: str, other: int, direction: str
) -> TicketEvent:
    return _record(
        ticket, TicketEventKind.LINKED, actor, at, {"kind": kind, "other": other, "direction": direction}
    )


def unlinked(
    ticket: Ticket, *, actor: User | None, at: datetime, kind: str, other: int, direction: str
) -> TicketEvent:
    return _record(
        ticket, TicketEventKind.UNLINKED, actor, at, {"kind": kind, "other": other, "direction": direction}
    )


def escalated(
    ticket: Ticket, *, actor: User | None, at: datetime, data: dict[str, Any], up: bool
) -> TicketEvent:
    kind = TicketEventKind.ESCALATED if up else TicketEventKind.DE_ESCALATED
    return _record(ticket, kind, actor, at, data)


# --- routing and automation (tickets/automation) ----------------------------------------------------


def rule_fired(ticket: Ticket, *, at: datetime, data: dict[str, Any]) -> TicketEvent:
    """data: rule_id, rule_name, trigger, actions (each {"type", "result"}), and "error" when it failed."""
    return _record(ticket, TicketEventKind.RULE_FIRED, None, at, data)


def macro_applied(ticket: Ticket, *, actor: User | None, at: datetime, data: dict[str, Any]) -> TicketEvent:
    """data: macro_id, macro_name, message_id (or None), actions (each {"type", "result"})."""
    return _record(ticket, TicketEventKind.MACRO_APPLIED, actor, at, data)


def routed(ticket: Ticket, *, at: datetime, data: dict[str, Any]) -> TicketEvent:
    """data: team, strategy, assignee (or None), reason, skipped ({agent id: why})."""
    return _record(ticket, TicketEventKind.ROUTED, None, at, data)
