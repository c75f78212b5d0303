"""Changing many tickets in one call, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import Conflict, DomainError, PermissionDeniedError
from helpdesk.models import User
from tickets.automation.hooks import runs_event_rules
from tickets.models import Tag, Ticket, TicketStatus
from tickets.services.core import _apply_changes, _save, lock_ticket, ticket_update
from tickets.services.links import ticket_merge

BULK_MAX_TICKETS = 500


@transaction.atomic
@runs_event_rules  # automation: event rules run after the write, in its transaction
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


def tickets_add_tags(*, ticket_ids: Sequence[int], tags: Sequence[Tag], actor: User) -> int:
    """Add `tags` to each ticket (keeping its others), all or nothing; return how many changed.

    ticket_bulk_update sets the same tag list on every ticket, which would drop each ticket's other
    tags, so this adds per ticket through ticket_update, each ticket locked before its tags are read.
    """
    changed = 0
    refused: list[str] = []
    with transaction.atomic():
        for ticket_id in sorted(ticket_ids):
            ticket = lock_ticket(ticket_id)
            current = list(ticket.tags.all())
            missing = [tag for tag in tags if tag.pk not in {tag_.pk for tag_ in current}]
            if not missing:
                continue
            try:
                ticket_update(ticket_id=ticket_id, actor=actor, changes={"tags": [*current, *missing]})
            except DomainError as error:
                messages_ = [m for ms in error.field_errors.values() for m in ms] or [error.message]
                refused.append(f"#{ticket_id}: {'; '.join(messages_)}")
                continue
            changed += 1
        if refused:
            transaction.set_rollback(True)
    if refused:
        raise DomainError(
            "Some tickets refused the change; nothing was changed.", field_errors={"tickets": refused}
        )
    return changed


def tickets_merge_into(*, ticket_ids: Sequence[int], original_id: int, actor: User) -> int:
    """Merge every selected ticket (but the target) into `original_id`, all or nothing.

    A ticket already merged into the target counts as done, so a repeated submit changes nothing.
    """
    duplicates = sorted(set(ticket_ids) - {original_id})
    if not duplicates:
        raise DomainError(
            "Nothing to merge.", field_errors={"merge_into": ["Select tickets other than the target."]}
        )
    merged = 0
    with transaction.atomic():
        for duplicate_id in duplicates:
            try:
                ticket_merge(duplicate_id=duplicate_id, original_id=original_id, actor=actor)
            except Conflict:
                if Ticket.objects.filter(pk=duplicate_id, merged_into_id=original_id).exists():
                    continue
                raise
            merged += 1
    return merged
