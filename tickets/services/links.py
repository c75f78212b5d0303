"""Merging duplicates and linking related tickets."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.exceptions import Conflict, DomainError
from helpdesk.models import User
from tickets import events
from tickets.models import CloseReason, LinkKind, Ticket, TicketLink, TicketStatus
from tickets.services.core import _save


def _lock_pair(first_id: int, second_id: int) -> dict[int, Ticket]:
    # Lock in primary-key order so two merges of the same pair cannot deadlock.
    rows = Ticket.objects.select_for_update(of=("self",)).filter(pk__in=[first_id, second_id]).order_by("pk")
    found = {ticket.pk: ticket for ticket in rows}
    missing = [pk for pk in (first_id, second_id) if pk not in found]
    if missing:
        raise Ticket.DoesNotExist(f"Ticket {missing[0]} does not exist.")
    return found


def _is_parent_descendant(*, ancestor_id: int, ticket_id: int) -> bool:
    """Return whether `ticket_id` lies below `ancestor_id` in the parent_of hierarchy."""
    frontier, seen = {ancestor_id}, {ancestor_id}
    while frontier:
        children = set(
            TicketLink.objects.filter(from_ticket_id__in=frontier, kind=LinkKind.PARENT_OF).values_list(
                "to_ticket_id", flat=True
            )
        )
        if ticket_id in children:
            return True
        frontier = children - seen
        seen |= children
    return False


@transaction.atomic
def ticket_merge(
    *, duplicate_id: int, original_id: int, actor: User | None, at: datetime | None = None
) -> Ticket:
    """Close `duplicate` as merged into `original` and return the original.

    The duplicate keeps its conversation (reachable through `merged_into`); the original keeps
    its own SLA. Raises DomainError for self-merges, closed or already merged tickets.
    """
    if duplicate_id == original_id:
        raise DomainError(
            "Cannot merge into itself.", field_errors={"original": ["Pick a different ticket."]}
        )
    at = at or timezone.now()
    tickets = _lock_pair(duplicate_id, original_id)
    duplicate, original = tickets[duplicate_id], tickets[original_id]
    if duplicate.merged_into_id is not None:
        raise Conflict(
            "Already merged.",
            field_errors={"duplicate": [f"Already merged into #{duplicate.merged_into_id}."]},
        )
    if duplicate.status == TicketStatus.CLOSED:
        raise DomainError(
            "Duplicate closed.", field_errors={"duplicate": ["A closed ticket cannot be merged."]}
        )
    if original.status == TicketStatus.CLOSED or original.merged_into_id is not None:
        raise DomainError(
            "Original closed.", field_errors={"original": ["Merge into an open or resolved ticket."]}
        )
    previous_status = duplicate.status
    duplicate.status = TicketStatus.CLOSED
    duplicate.close_reason = CloseReason.MERGED
    duplicate.closed_at = at
    duplicate.merged_into = original
    events.status_changed(
        duplicate, actor=actor, at=at, old=previous_status, new=TicketStatus.CLOSED, reason="merged"
    )
    events.merged(duplicate, actor=actor, at=at, into=original.pk)
    events.merge_received(original, actor=actor, at=at, duplicate=duplicate.pk)
    TicketLink.objects.get_or_create(
        from_ticket=duplicate,
        to_ticket=original,
        kind=LinkKind.DUPLICATE_OF,
        defaults={"created_by": actor, "created_at": at},
    )
    _save(duplicate, at)
    _save(original, at)
    return original


@transaction.atomic
def ticket_link(
    *, from_id: int, to_id: int, kind: str, actor: User | None, at: datetime | None = None
) -> TicketLink:
    """Link two tickets; linking twice returns the existing link.

    `related` links are symmetric and stored once (lower id first).
    """
    if from_id == to_id:
        raise DomainError("Cannot link to itself.", field_errors={"to_ticket": ["Pick a different ticket."]})
    if kind not in LinkKind.values:
        raise DomainError(
            "Unknown link kind.", field_errors={"kind": [f"Choose one of {', '.join(LinkKind.values)}."]}
        )
    if kind == LinkKind.RELATED and from_id > to_id:
        from_id, to_id = to_id, from_id
    at = at or timezone.now()
    tickets = _lock_pair(from_id, to_id)
    existing = TicketLink.objects.filter(from_ticket_id=from_id, to_ticket_id=to_id, kind=kind).first()
    if existing:
        return existing
    if kind == LinkKind.PARENT_OF and _is_parent_descendant(ancestor_id=to_id, ticket_id=from_id):
        raise DomainError(
            "Cycle.", field_errors={"to_ticket": ["That ticket is already the parent of this one."]}
        )
    try:
        with transaction.atomic():
            link = TicketLink.objects.create(
                from_ticket_id=from_id, to_ticket_id=to_id, kind=kind, created_by=actor, created_at=at
            )
    except IntegrityError as error:
        raise Conflict("Link exists.") from error
    events.linked(tickets[from_id], actor=actor, at=at, kind=kind, other=to_id, direction="out")
    events.linked(tickets[to_id], actor=actor, at=at, kind=kind, other=from_id, direction="in")
    _save(tickets[from_id], at)
    _save(tickets[to_id], at)
    return link


@transaction.atomic
def ticket_unlink(*, link_id: int, actor: User | None, at: datetime | None = None) -> None:
    """Remove a link and record it on both tickets; a missing link raises TicketLink.DoesNotExist."""
    at = at or timezone.now()
    found = TicketLink.objects.get(pk=link_id)
    # Tickets first, then the link: the same order as ticket_link and ticket_merge take locks.
    tickets = _lock_pair(found.from_ticket_id, found.to_ticket_id)
    link = TicketLink.objects.select_for_update().get(pk=link_id)
    if (
        link.kind == LinkKind.DUPLICATE_OF
        and tickets[link.from_ticket_id].merged_into_id == link.to_ticket_id
    ):
        raise DomainError("Merge link.", field_errors={"link": ["A merge cannot be undone by unlinking."]})
    events.unlinked(
        tickets[link.from_ticket_id],
        actor=actor,
        at=at,
        kind=link.kind,
        other=link.to_ticket_id,
        direction="out",
    )
    events.unlinked(
        tickets[link.to_ticket_id],
        actor=actor,
        at=at,
        kind=link.kind,
        other=link.from_ticket_id,
        direction="in",
    )
    link.delete()
    _save(tickets[link.from_ticket_id], at)
    _save(tickets[link.to_ticket_id], at)
