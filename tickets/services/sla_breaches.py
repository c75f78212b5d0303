"""Escalating tickets whose SLA clocks breached, as each policy says, exactly once per breach."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from helpdesk import services as account_services
from helpdesk.exceptions import DomainError
from helpdesk.models import NotificationKind, Team
from sla import services as sla_services
from sla.models import SlaClock
from tickets.models import Priority, Ticket
from tickets.services.core import ticket_escalate, ticket_update
from tickets.services.messages import message_create

logger = logging.getLogger(__name__)

_HIGHER_PRIORITY = {
    Priority.P2: Priority.P1,
    Priority.P3: Priority.P2,
    Priority.P4: Priority.P3,
    Priority.P5: Priority.P4,
}


def _escalate_one(
    ticket_id: int, metrics: list[tuple[str, int]], escalation: dict[str, object], now: datetime
) -> None:
    ticket = Ticket.objects.select_related("team").get(pk=ticket_id)
    if not ticket.is_open:
        return
    breached = "; ".join(
        f"{metric.replace('_', ' ')} ({timedelta(seconds=seconds)})" for metric, seconds in metrics
    )
    summary = f"SLA breached: {breached}. Escalated automatically by the SLA policy."
    team = Team.objects.filter(pk=escalation.get("team")).first() if escalation.get("team") else None
    if escalation.get("raise_priority") and ticket.priority in _HIGHER_PRIORITY:
        ticket_update(
            ticket_id=ticket_id, actor=None, changes={"priority": _HIGHER_PRIORITY[ticket.priority]}, at=now
        )
    handoff = {
        "issue_summary": summary,
        "why_escalating": "SLA breach",
        "next_steps": "Respond to the customer now.",
    }
    try:
        with transaction.atomic():
            ticket_escalate(
                ticket_id=ticket_id,
                actor=None,
                handoff=handoff,
                up=True,
                at=now,
                to_tier=None if escalation.get("raise_tier", True) else ticket.support_tier,
                to_team=team,
            )
    except DomainError:
        # Already at the top tier in the right team: the breach is still written down for the team.
        message_create(
            ticket_id=ticket_id, author=None, body=f"**SLA breach.** {summary}", visibility="internal", at=now
        )
    if team is not None:
        account_services.notifications_create(
            recipient_ids=[team.lead_id, *team.members.values_list("pk", flat=True)],
            kind=NotificationKind.ESCALATED,
            source=f"sla.escalation:{ticket_id}:{now.isoformat()}",
            ticket_id=ticket_id,
            title=f"#{ticket_id} escalated to {team.name} after an SLA breach",
            now=now,
        )


def tickets_escalate_breached(*, now: datetime, batch_size: int = 100) -> int:
    """Escalate every ticket owed an escalation after an SLA breach; return how many were handled.

    Each batch claims its clocks and escalates their tickets in one transaction, so a crash rolls
    the claims back with the half-done work and the next run redoes it: once per breach.
    """
    handled = 0
    while True:
        with transaction.atomic():
            clocks = sla_services.breaches_claim_for_escalation(now=now, limit=batch_size)
            # Clocks of one ticket that breached together (first response and resolution, say)
            # escalate it once: two simultaneous breaches are one incident, not two tier jumps.
            by_ticket: dict[int, list[SlaClock]] = {}
            for clock in clocks:
                by_ticket.setdefault(clock.ticket_id, []).append(clock)
            for ticket_id, ticket_clocks in by_ticket.items():
                escalation = ticket_clocks[0].policy_version.snapshot.get("escalation", {})
                metrics = [(clock.metric, clock.target_seconds) for clock in ticket_clocks]
                # Escalating writes several changes and a note; re-plan the ticket once, after them.
                with sla_services.replans_deferred():
                    _escalate_one(ticket_id, metrics, escalation, now)
            handled += len(clocks)
        if len(clocks) < batch_size:
            return handled
