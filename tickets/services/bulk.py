"""Changing many tickets in one call, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import User
from tickets.models import Ticket, TicketStatus
from tickets.services.core import _apply_changes, _save

BULK_MAX_TICKETS = 500


@transaction.atomic
def ticket_bulk_update(
    *, ticket_ids: Sequence[int], changes: Mapping[str, Any], actor: User, at: datetime | None = None
) -> list[Ticket]:
    """Apply the same changes to every ticket, each change recorded per ticket.

    All or nothing: if any ticket refuses a change (a forbidden transition, a closed ticket),
    nothing is written and DomainError lists every refusing ticket by id.
    """
    if actor.is_customer:
        raise PermissionDeniedError("Customers cannot bulk-update tickets.")
    ids = sorted(set(ticket_ids))
    if not ids:
        raise DomainError("No tickets.", field_errors={"ticket_ids": ["Select at least one ticket."]})
    if len(ids) > BULK_MAX_TICKETS:
        raise DomainError(
            "Too many.", field_errors={"ticket_ids": [f"At most {BULK_MAX_TICKETS} tickets at once."]}
        )
    if not changes:
        raise DomainError("No changes.", field_errors={"changes": ["Say what to change."]})
    at = at or timezone.now()
    tickets = list(Ticket.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {ticket.pk for ticket in tickets})
    if missing:
        raise DomainError(
            "Unknown tickets.",
            field_errors={"ticket_ids": [f"Ticket {pk} does not exist." for pk in missing]},
        )
    refused: dict[str, list[str]] = {}
    for ticket in tickets:
        if ticket.status == TicketStatus.CLOSED and set(changes) - {"tags"}:
            refused[str(ticket.pk)] = ["A closed ticket can only be re-tagged."]
            continue
        try:
            with transaction.atomic():
                if _apply_changes(ticket, changes, actor=actor, at=at):
                    _save(ticket, at)
        except DomainError as error:
            refused[str(ticket.pk)] = [
                message for messages in error.field_errors.values() for message in messages
            ] or [error.message]
    if refused:
        transaction.set_rollback(True)
        raise DomainError(
            "Some tickets refused the change; nothing was changed.",
            field_errors={"tickets": [f"#{pk}: {'; '.join(messages)}" for pk, messages in refused.items()]},
        )
    return tickets
