"""The ticket status workflow as data: which moves are allowed. Pure, no database."""

from __future__ import annotations

from tickets.models import OPEN_STATUSES, TicketStatus

S = TicketStatus

# From the reference lifecycle: NEW → TRIAGED → ASSIGNED → IN PROGRESS → PENDING → RESOLVED, with
# ESCALATED → ENGINEERING as the escalation path and ON HOLD for third-party waits. Any open ticket
# may be resolved; CLOSED is terminal. Moving out of RESOLVED is a reopen.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset(
        {S.TRIAGED, S.ASSIGNED, S.IN_PROGRESS, S.PENDING, S.ON_HOLD, S.ESCALATED, S.RESOLVED, S.CLOSED}
    ),
    S.TRIAGED: frozenset(
        {S.ASSIGNED, S.IN_PROGRESS, S.PENDING, S.ON_HOLD, S.ESCALATED, S.RESOLVED, S.CLOSED}
    ),
    S.ASSIGNED: frozenset(
        {S.TRIAGED, S.IN_PROGRESS, S.PENDING, S.ON_HOLD, S.ESCALATED, S.RESOLVED, S.CLOSED}
    ),
    S.IN_PROGRESS: frozenset({S.ASSIGNED, S.PENDING, S.ON_HOLD, S.ESCALATED, S.ENGINEERING, S.RESOLVED}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.ASSIGNED, S.ON_HOLD, S.ESCALATED, S.RESOLVED, S.CLOSED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.ASSIGNED, S.PENDING, S.ESCALATED, S.ENGINEERING, S.RESOLVED}),
    # De-escalating an unowned ticket sends it back to triage.
    S.ESCALATED: frozenset(
        {S.TRIAGED, S.IN_PROGRESS, S.ASSIGNED, S.ENGINEERING, S.PENDING, S.ON_HOLD, S.RESOLVED}
    ),
    S.ENGINEERING: frozenset({S.IN_PROGRESS, S.ESCALATED, S.PENDING, S.ON_HOLD, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.TRIAGED, S.ASSIGNED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
}

# Statuses in which a ticket is waiting on someone other than the support team.
WAITING_STATUSES = frozenset({S.PENDING, S.ON_HOLD})


def allowed_targets(current: str) -> list[str]:
    """Return the statuses a ticket in `current` may move to, in lifecycle order."""
    targets = ALLOWED_TRANSITIONS.get(current, frozenset())
    return [status.value for status in TicketStatus if status in targets]


def is_allowed(current: str, target: str) -> bool:
    """Return whether the workflow allows moving from `current` to `target`."""
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def is_reopen(current: str, target: str) -> bool:
    """Return whether the move takes a resolved ticket back into work."""
    return current == S.RESOLVED and target in OPEN_STATUSES


def reopen_target(*, has_assignee: bool) -> str:
    """Return the status a reopened ticket lands in."""
    return S.IN_PROGRESS if has_assignee else S.TRIAGED


def customer_may_move(current: str, target: str) -> bool:
    """Return whether a customer may make this move on their own ticket: close it, or reopen it."""
    if target == S.CLOSED:
        return current in OPEN_STATUSES or current == S.RESOLVED
    return is_reopen(current, target)
