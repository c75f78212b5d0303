"""Event rules run at the end of the write that triggered them, inside its transaction.

The services that change a ticket on someone's behalf carry `@runs_event_rules`, placed under
`@transaction.atomic`. The outermost decorated call collects the ticket events its write
records (tickets.events.watched), then runs the event rules for each ticket it touched, still
in the same transaction: a rule's changes commit or roll back with the change that caused them,
and are visible as soon as the request returns (no sweep latency, nothing queued in Redis).

Loop prevention: while rules run (and while a rule's actions call services), the decorator
does nothing, so rule-made changes never trigger event rules: a rule fires at most once per
write. Imports replay history with rules suspended (`rules_suspended`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.utils import timezone

from tickets import events

P = ParamSpec("P")
R = TypeVar("R")

# None: no write is being watched; "write": inside a watched write; "rules": rules or routing are
# running; "off": suspended (imports, dry runs).
_mode: ContextVar[str | None] = ContextVar("automation_mode", default=None)


@contextmanager
def _watched_write(changed: set[int]) -> Iterator[None]:
    token = _mode.set("write")
    try:
        with events.watched() as recorded:
            yield
    finally:
        _mode.reset(token)
    if recorded:
        from tickets.automation import rules  # rules → services → this module

        token = _mode.set("rules")
        try:
            changed.update(rules.rules_run_after_write(recorded, now=timezone.now()))
        finally:
            _mode.reset(token)


def runs_event_rules(func: Callable[P, R]) -> Callable[P, R]:
    """Run the event rules for the tickets `func` wrote to, after it, in its transaction."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _mode.get() is not None:
            return func(*args, **kwargs)
        changed: set[int] = set()
        with _watched_write(changed):
            result = func(*args, **kwargs)
        _refresh(result, changed)
        return result

    return wrapper


@contextmanager
def one_write() -> Iterator[None]:
    """Treat the service calls in the block as one write: event rules run once, when it ends.

    For compound operations such as filing a ticket and then its attachments: the rules see one
    "created" write, not a creation followed by a customer reply. Use inside the transaction.
    """
    if _mode.get() is not None:
        yield
        return
    with _watched_write(set()):
        yield


def _refresh(result: Any, changed: set[int]) -> None:
    from tickets.models import Ticket, TicketMessage

    ticket = result if isinstance(result, Ticket) else None
    if isinstance(result, TicketMessage) and "ticket" in result._state.fields_cache:
        ticket = result.ticket
    if ticket is not None and ticket.pk in changed:
        ticket.refresh_from_db()


@contextmanager
def rules_running() -> Iterator[None]:
    """Mark the block as automation's own work: writes in it trigger no event rules."""
    token = _mode.set("rules")
    try:
        yield
    finally:
        _mode.reset(token)


@contextmanager
def rules_suspended() -> Iterator[None]:
    """Run the block without event rules (imports replaying history)."""
    token = _mode.set("off")
    try:
        yield
    finally:
        _mode.reset(token)


def is_watching() -> bool:
    """Return whether a write is being watched or automation is running (tests, diagnostics)."""
    return _mode.get() is not None
