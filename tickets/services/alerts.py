"""Who hears about a ticket change: the new assignee, people @mentioned, the team escalated to."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from helpdesk import services as account_services
from helpdesk.models import STAFF_ROLES, NotificationKind, Team, User
from tickets.models import Ticket

# "@ana@example.com" or "@ana" (the part of an agent's email before the @), not inside a word or an
# email address ("bob@example.com" mentions nobody).
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def mentioned_agent_ids(body: str) -> set[int]:
    """Return the active agents a message @mentions, by full email or by the part before the @.

    A short name shared by two agents' emails mentions neither (it would be a guess).
    """
    handles = {handle.rstrip(".").lower() for handle in _MENTION.findall(body)}
    if not handles:
        return set()
    emails = {handle for handle in handles if "@" in handle}
    locals_ = handles - emails
    found: set[int] = set()
    agents = User.objects.filter(role__in=STAFF_ROLES, is_active=True)
    if emails:
        found |= set(agents.filter(email__in=emails).values_list("pk", flat=True))
    by_local: dict[str, list[int]] = {}
    if locals_:
        for pk, email in agents.filter(
            email__iregex=r"^(" + "|".join(map(re.escape, locals_)) + r")@"
        ).values_list("pk", "email"):
            by_local.setdefault(email.split("@", 1)[0].lower(), []).append(pk)
    found |= {ids[0] for ids in by_local.values() if len(ids) == 1}
    return found


def notify_assigned(ticket: Ticket, *, assignee_id: int | None, actor: User | None, at: datetime) -> None:
    """Tell the new assignee, unless they assigned the ticket to themself."""
    if assignee_id is None or (actor is not None and actor.pk == assignee_id):
        return
    account_services.notifications_create(
        recipient_ids=[assignee_id],
        kind=NotificationKind.ASSIGNED,
        source=f"ticket.assigned:{ticket.pk}:{at.isoformat()}",
        title=f"#{ticket.pk} assigned to you: {ticket.subject}",
        ticket_id=ticket.pk,
        now=at,
    )


def notify_mentioned(
    ticket: Ticket,
    *,
    message_id: int,
    body: str,
    author: User | None,
    visible_to: Iterable[int] | None = None,
) -> None:
    """Tell each agent @mentioned in a message (never its author)."""
    recipients = mentioned_agent_ids(body) - {author.pk if author else None}
    if visible_to is not None:
        recipients &= set(visible_to)
    if not recipients:
        return
    who = author.get_full_name() if author else "Someone"
    account_services.notifications_create(
        recipient_ids=sorted(recipients),
        kind=NotificationKind.MENTIONED,
        source=f"ticket.message:{message_id}",
        title=f"{who} mentioned you on #{ticket.pk}: {ticket.subject}",
        ticket_id=ticket.pk,
    )


def notify_escalated_to_team(ticket: Ticket, *, team: Team, actor: User | None, at: datetime) -> None:
    """Tell the receiving team's lead and members (not whoever escalated)."""
    recipients = {team.lead_id, *team.members.values_list("pk", flat=True)} - {actor.pk if actor else None}
    account_services.notifications_create(
        recipient_ids=list(recipients),
        kind=NotificationKind.ESCALATED,
        source=f"ticket.escalated:{ticket.pk}:{at.isoformat()}",
        title=f"#{ticket.pk} escalated to {team.name}: {ticket.subject}",
        ticket_id=ticket.pk,
        now=at,
    )
