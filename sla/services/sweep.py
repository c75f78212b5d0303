"""The due-clock sweep: warnings and breaches, each exactly once per clock and level.

Clocks carry `next_check_at`, the next instant one of their warning levels is reached (NULL
while paused or ended). The sweep reads only clocks whose instant has come, through a partial
index, locks them with SKIP LOCKED so parallel sweepers share the work, and records each level
as an SlaEvent under a unique (clock, kind, level) index, in the same transaction as the
clock's new `warned_level` and the alerts. A sweeper killed mid-batch rolls back whole; the next
sweep redoes exactly what was lost.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from helpdesk import selectors as account_selectors
from helpdesk import services as account_services
from helpdesk.models import NotificationKind
from sla import calendars as pure_calendars
from sla.models import ClockState, SlaClock, SlaEvent, SlaEventKind, SlaMetric
from sla.services.calendars import calendars_load
from sla.services.clocks import alert_kind_for

logger = logging.getLogger(__name__)

# A breach of these metrics escalates the ticket; missing a next reply or an update only alerts.
ESCALATING_METRICS = frozenset({SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION})


def _record_alert(clock: SlaClock, kind: str, level: int, at: datetime, data: dict[str, Any]) -> bool:
    """Insert the alert event; False when it already exists (another sweeper, a retried batch)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SlaEvent._meta.db_table} (clock_id, ticket_id, kind, level, at, recorded_at, data) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, now(), %s::jsonb) "
            "ON CONFLICT (clock_id, kind, level) WHERE kind IN ('warned', 'breached', 'severely_breached', 'escalated') "
            "DO NOTHING RETURNING id",
            [clock.pk, clock.ticket_id, kind, level, at, json.dumps(data)],
        )
        return cursor.fetchone() is not None


def _recipients(
    clock: SlaClock, level: int, managers: list[int], snapshot: dict[str, Any]
) -> tuple[str, list[int | None]]:
    ticket = clock.ticket
    lead = ticket.team.lead_id if ticket.team_id and ticket.team else None
    if level >= 200:
        director = snapshot.get("escalation", {}).get("director")
        return NotificationKind.SLA_SEVERE_BREACH, [director] if director else list(managers)
    if level >= 100:
        return NotificationKind.SLA_BREACH, [*managers, ticket.assignee_id]
    if level >= 90:
        return NotificationKind.SLA_WARNING, [lead, ticket.assignee_id]
    if level >= 80:
        return NotificationKind.SLA_WARNING, [ticket.assignee_id or lead]
    return NotificationKind.SLA_WARNING, []  # below 80%: a colour in the queue, no alert


def _sweep_clock(
    clock: SlaClock, now: datetime, calendar: pure_calendars.BusinessCalendar, managers: list[int]
) -> int:
    snapshot = clock.policy_version.snapshot
    levels = sorted(snapshot.get("warning_levels", [100]))
    if clock.state != ClockState.RUNNING:
        clock.next_check_at = None
        clock.save(update_fields=["next_check_at"])
        return 0
    since = clock.computed_at
    spent = timedelta(seconds=clock.elapsed_seconds) + pure_calendars.business_time_between(
        calendar, since, max(now, since)
    )
    target = timedelta(seconds=clock.target_seconds)
    fired = 0
    for level in levels:
        if level <= clock.warned_level:
            continue
        goal = target * level / 100
        if goal > spent:
            clock.next_check_at = pure_calendars.add_business_time(calendar, now, goal - spent)
            break
        owed = goal - timedelta(seconds=clock.elapsed_seconds)
        crossed_at = pure_calendars.add_business_time(calendar, since, owed) if owed > timedelta(0) else since
        # A level crossed before the clock existed here (an imported history) is recorded, not alerted.
        silent = crossed_at < clock.created_at
        kind = alert_kind_for(level)
        data = {"metric": clock.metric, "period": clock.period, "target_seconds": clock.target_seconds}
        if silent:
            data["silent"] = True
        if _record_alert(clock, kind, level, crossed_at, data):
            fired += 1
            if not silent:
                notification_kind, recipients = _recipients(clock, level, managers, snapshot)
                title = f"SLA {clock.get_metric_display().lower()} {level}% on #{clock.ticket_id}: {clock.ticket.subject}"
                account_services.notifications_create(
                    recipient_ids=recipients,
                    kind=notification_kind,
                    source=f"sla.clock:{clock.pk}:{level}",
                    title=title,
                    ticket_id=clock.ticket_id,
                    data={"level": level, "metric": clock.metric},
                    now=now,
                )
                if level == 100 and clock.metric in ESCALATING_METRICS:
                    clock.escalate_pending = True
        clock.warned_level = level
        if level == 100:
            clock.breached_at = clock.breached_at or crossed_at
        if level == 200:
            clock.severely_breached_at = clock.severely_breached_at or crossed_at
    else:
        clock.next_check_at = None
    clock.save(
        update_fields=[
            "next_check_at",
            "warned_level",
            "breached_at",
            "severely_breached_at",
            "escalate_pending",
        ]
    )
    return fired


def clocks_sweep_due(*, now: datetime, batch_size: int = 200) -> int:
    """Fire every warning and breach due by `now`; return how many alerts were recorded.

    Works through due clocks in batches, one transaction per batch, until none are left.
    """
    managers = list(account_selectors.manager_ids())
    total = 0
    while True:
        with transaction.atomic():
            ticket_ids = _lock_tickets_of(
                SlaClock.objects.filter(next_check_at__lte=now), "next_check_at", batch_size
            )
            if not ticket_ids:
                return total
            clocks = list(
                SlaClock.objects.select_for_update(of=("self",))
                .select_related("policy_version", "ticket", "ticket__team")
                .filter(ticket_id__in=ticket_ids, next_check_at__lte=now)
                .order_by("pk")
            )
            calendars = calendars_load({clock.calendar_id for clock in clocks})
            for clock in clocks:
                total += _sweep_clock(clock, now, calendars[clock.calendar_id], managers)
        if len(ticket_ids) < batch_size:
            return total


def _lock_tickets_of(due: QuerySet[SlaClock], order: str, limit: int) -> list[int]:
    """Lock the tickets of the first `limit` clocks in `due`, skipping tickets locked by others.

    Returns one ticket id per clock row found (a ticket with two due clocks comes twice).

    A ticket's lock guards its clocks: every writer locks the ticket, then re-plans (updates) its
    clocks. Taking clock rows first, or both in one SKIP LOCKED join (which keeps a clock row
    locked even when its ticket is skipped), deadlocks against those writers and against other
    sweepers. Only ticket rows are locked here; the caller then re-reads and locks the clocks,
    fresh, in a new statement, so nothing committed meanwhile is missed.
    """
    rows = (
        due.select_for_update(skip_locked=True, of=("ticket",))
        .select_related("ticket")
        .only("ticket_id", "ticket__id")
        .order_by(order)[:limit]
    )
    return [row.ticket_id for row in rows]


def breaches_claim_for_escalation(*, now: datetime, limit: int = 100) -> list[SlaClock]:
    """Claim breached clocks that still owe their escalation; call inside the escalating transaction.

    Each claim is a compare-and-swap under a row lock (SKIP LOCKED), so a clock escalates once
    however many workers run; if the caller's transaction rolls back, the claim does too.
    """
    # Tickets first, then their clocks, as every writer does (escalating re-plans all of them).
    ticket_ids = _lock_tickets_of(SlaClock.objects.filter(escalate_pending=True), "breached_at", limit)
    clocks = list(
        SlaClock.objects.select_for_update(of=("self",))
        .select_related("policy_version")
        .filter(ticket_id__in=ticket_ids, escalate_pending=True)
        .order_by("pk")
    )
    for clock in clocks:
        clock.escalate_pending = False
        clock.escalated_at = now
        _record_alert(clock, SlaEventKind.ESCALATED, 100, now, {"metric": clock.metric})
    SlaClock.objects.bulk_update(clocks, ["escalate_pending", "escalated_at"])
    return clocks
