"""Escalating tickets whose SLA clocks breached, as each policy says, exactly once per breach."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from helpdesk import services as account_services
from helpdesk.exceptions import DomainError
from helpdesk.models import NotificationKind, Team
from sla import services as sla_services
from sla.models import SlaClock
from tickets import events
from tickets.models import Priority, Ticket
from tickets.services.core import ticket_escalate_locked, ticket_note_locked

logger = logging.getLogger(__name__)

_HIGHER_PRIORITY = {
    Priority.P2: Priority.P1,
    Priority.P3: Priority.P2,
    Priority.P4: Priority.P3,
    Priority.P5: Priority.P4,
}


def _escalate_one(
    ticket: Ticket,
    metrics: list[tuple[str, int]],
    escalation: dict[str, Any],
    team: Team | None,
    now: datetime,
) -> None:
    """Escalate one locked, open ticket as its policy says."""
    breached = "; ".join(
        f"{metric.replace('_', ' ')} ({timedelta(seconds=seconds)})" for metric, seconds in metrics
    )
    summary = f"SLA breached: {breached}. Escalated automatically by the SLA policy."
    also = (
        {"priority": _HIGHER_PRIORITY[ticket.priority]}
        if escalation.get("raise_priority") and ticket.priority in _HIGHER_PRIORITY
        else {}
    )
    handoff = {
        "issue_summary": summary,
        "why_escalating": "SLA breach",
        "next_steps": "Respond to the customer now.",
    }
    try:
        ticket_escalate_locked(
            ticket,
            actor=None,
            handoff=handoff,
            up=True,
            at=now,
            to_tier=None if escalation.get("raise_tier", True) else ticket.support_tier,
            to_team=team,
            also=also,
        )
    except DomainError:
        # Already at the top tier in the right team (it refuses before writing anything): the
        # breach is still written down for the team, and the priority still raised.
        ticket_note_locked(ticket, body=f"**SLA breach.** {summary}", at=now, also=also)


def _escalate_batch(clocks: list[SlaClock], now: datetime) -> None:
    # Clocks of one ticket that breached together (first response and resolution, say)
    # escalate it once: two simultaneous breaches are one incident, not two tier jumps.
    by_ticket: dict[int, list[SlaClock]] = {}
    for clock in clocks:
        by_ticket.setdefault(clock.ticket_id, []).append(clock)
    # The claim has locked these tickets already; this re-reads them whole, without waiting.
    tickets = Ticket.objects.select_for_update(of=("self",)).in_bulk(list(by_ticket))
    escalations = {
        clock.ticket_id: sla_services.version_get(clock.policy_version_id).snapshot.get("escalation", {})
        for clock in reversed(clocks)  # the ticket's first clock decides, as it is claimed in pk order
    }
    team_ids = {escalation.get("team") for escalation in escalations.values()} - {None}
    teams = Team.objects.in_bulk(list(team_ids)) if team_ids else {}
    members = {
        team_id: [team.lead_id, *team.members.values_list("pk", flat=True)] for team_id, team in teams.items()
    }
    alerts = []
    # Every ticket's changes and note are written first, their events in one statement, then
    # all the tickets' clocks are re-planned together.
    with sla_services.replans_deferred(), events.written_together():
        for ticket_id, ticket_clocks in sorted(by_ticket.items()):
            ticket = tickets.get(ticket_id)
            if ticket is None or not ticket.is_open:
                continue
            escalation = escalations[ticket_id]
            metrics = [(clock.metric, clock.target_seconds) for clock in ticket_clocks]
            team = teams.get(escalation.get("team"))
            _escalate_one(ticket, metrics, escalation, team, now)
            if team is not None:
                alerts.append(
                    account_services.Alert(
                        recipient_ids=members[team.pk],
                        kind=NotificationKind.ESCALATED,
                        source=f"sla.escalation:{ticket_id}:{now.isoformat()}",
                        ticket_id=ticket_id,
                        title=f"#{ticket_id} escalated to {team.name} after an SLA breach",
                    )
                )
    account_services.notifications_create_many(alerts, now=now)


def tickets_escalate_breached(*, now: datetime, batch_size: int = 100) -> int:
    """Escalate every ticket owed an escalation after an SLA breach; return how many were handled.

    Each batch claims its clocks and escalates their tickets in one transaction, so a crash rolls
    the claims back with the half-done work and the next run redoes it: once per breach.
    """
    handled = 0
    while True:
        with transaction.atomic():
            clocks = sla_services.breaches_claim_for_escalation(now=now, limit=batch_size)
            _escalate_batch(clocks, now)
            handled += len(clocks)
        if len(clocks) < batch_size:
            return handled
