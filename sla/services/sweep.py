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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from helpdesk import selectors as account_selectors
from helpdesk import services as account_services
from helpdesk.inserts import update_rows
from helpdesk.models import NotificationKind
from sla import calendars as pure_calendars
from sla.models import ClockState, SlaClock, SlaEvent, SlaEventKind, SlaMetric
from sla.services.calendars import calendars_load
from sla.services.clocks import alert_kind_for
from sla.services.policies import version_get

logger = logging.getLogger(__name__)

# A breach of these metrics escalates the ticket; missing a next reply or an update only alerts.
ESCALATING_METRICS = frozenset({SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION})


@dataclass
class _Fired:
    """A level a clock crossed, to record (once) and, unless silent, to alert people of."""

    clock: SlaClock
    kind: str
    level: int
    at: datetime
    data: dict[str, Any]


def _record_alerts(fired: list[_Fired]) -> set[tuple[int, int]]:
    """Insert the alert events in one statement; return (clock id, level) of those not already there.

    An existing row means another sweeper or a retried batch recorded it: the unique index on
    (clock, kind, level) makes the insert skip it, so it is alerted once.
    """
    if not fired:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SlaEvent._meta.db_table} (clock_id, ticket_id, kind, level, at, recorded_at, data) "  # noqa: S608
            "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, now(), %s::jsonb)"] * len(fired)) + " "
            "ON CONFLICT (clock_id, kind, level) WHERE kind IN ('warned', 'breached', 'severely_breached', 'escalated') "
            "DO NOTHING RETURNING clock_id, level",
            [
                value
                for item in fired
                for value in (
                    item.clock.pk,
                    item.clock.ticket_id,
                    item.kind,
                    item.level,
                    item.at,
                    json.dumps(item.data),
                )
            ],
        )
        return {(clock_id, level) for clock_id, level in cursor.fetchall()}


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
    clock: SlaClock, snapshot: dict[str, Any], now: datetime, calendar: pure_calendars.BusinessCalendar
) -> list[_Fired]:
    """Advance one locked clock to `now` in memory; return the levels it crossed. Writes nothing."""
    if clock.state != ClockState.RUNNING:
        clock.next_check_at = None
        return []
    levels = sorted(snapshot.get("warning_levels", [100]))
    since = clock.computed_at
    spent = timedelta(seconds=clock.elapsed_seconds) + pure_calendars.business_time_between(
        calendar, since, max(now, since)
    )
    target = timedelta(seconds=clock.target_seconds)
    fired = []
    for level in levels:
        if level <= clock.warned_level:
            continue
        goal = target * level / 100
        if goal > spent:
            clock.next_check_at = pure_calendars.add_business_time(calendar, now, goal - spent)
            break
        owed = goal - timedelta(seconds=clock.elapsed_seconds)
        crossed_at = pure_calendars.add_business_time(calendar, since, owed) if owed > timedelta(0) else since
        data: dict[str, Any] = {
            "metric": clock.metric,
            "period": clock.period,
            "target_seconds": clock.target_seconds,
        }
        # A level crossed before the clock existed here (an imported history) is recorded, not alerted.
        if crossed_at < clock.created_at:
            data["silent"] = True
        fired.append(_Fired(clock, alert_kind_for(level), level, crossed_at, data))
        clock.warned_level = level
        if level == 100:
            clock.breached_at = clock.breached_at or crossed_at
        if level == 200:
            clock.severely_breached_at = clock.severely_breached_at or crossed_at
    else:
        clock.next_check_at = None
    return fired


_SWEPT_FIELDS = ("next_check_at", "warned_level", "breached_at", "severely_breached_at", "escalate_pending")


def _sweep_batch(clocks: list[SlaClock], now: datetime, managers: list[int]) -> int:
    """Sweep locked clocks: one INSERT for their alert events, one for the notifications, one UPDATE."""
    calendars = calendars_load({clock.calendar_id for clock in clocks})
    fired: list[_Fired] = []
    for clock in clocks:
        fired.extend(
            _sweep_clock(
                clock, version_get(clock.policy_version_id).snapshot, now, calendars[clock.calendar_id]
            )
        )
    recorded = _record_alerts(fired)
    alerts = []
    for item in fired:
        clock = item.clock
        if (clock.pk, item.level) not in recorded or item.data.get("silent"):
            continue
        snapshot = version_get(clock.policy_version_id).snapshot
        notification_kind, recipients = _recipients(clock, item.level, managers, snapshot)
        alerts.append(
            account_services.Alert(
                recipient_ids=recipients,
                kind=notification_kind,
                source=f"sla.clock:{clock.pk}:{item.level}",
                title=f"SLA {clock.get_metric_display().lower()} {item.level}% on #{clock.ticket_id}: {clock.ticket.subject}",
                ticket_id=clock.ticket_id,
                data={"level": item.level, "metric": clock.metric},
            )
        )
        if item.level == 100 and clock.metric in ESCALATING_METRICS:
            clock.escalate_pending = True
    account_services.notifications_create_many(alerts, now=now)
    update_rows(clocks, _SWEPT_FIELDS)
    return len(recorded)


def _anything_due(now: datetime) -> bool:
    # Hand-written: the ORM would spend longer compiling this than the partial index takes to answer.
    with connection.cursor() as cursor:
        cursor.execute(_ANY_DUE, [now])
        return cursor.fetchone() is not None


_ANY_DUE = f'SELECT 1 FROM "{SlaClock._meta.db_table}" WHERE next_check_at <= %s LIMIT 1'  # noqa: S608


def clocks_sweep_due(*, now: datetime, batch_size: int = 200) -> int:
    """Fire every warning and breach due by `now`; return how many alerts were recorded.

    Works through due clocks in batches, one transaction per batch, until none are left.
    """
    if not _anything_due(now):
        return 0  # the common case, every few seconds: one index probe, no transaction, no locks
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
                .select_related("ticket", "ticket__team")
                .only(*_SWEEP_COLUMNS)
                .filter(ticket_id__in=ticket_ids, next_check_at__lte=now)
                .order_by("pk")
            )
            total += _sweep_batch(clocks, now, managers)
        if len(ticket_ids) < batch_size:
            return total


# What the sweep reads: the clock, and of its ticket only what alerts are addressed and titled with.
_SWEEP_COLUMNS = (
    *(field.attname for field in SlaClock._meta.concrete_fields),
    "ticket__id",
    "ticket__subject",
    "ticket__assignee_id",
    "ticket__team_id",
    "ticket__team__id",
    "ticket__team__lead_id",
)


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
        .filter(ticket_id__in=ticket_ids, escalate_pending=True)
        .order_by("pk")
    )
    for clock in clocks:
        clock.escalate_pending = False
        clock.escalated_at = now
    _record_alerts(
        [_Fired(clock, SlaEventKind.ESCALATED, 100, now, {"metric": clock.metric}) for clock in clocks]
    )
    update_rows(clocks, ["escalate_pending", "escalated_at"])
    return clocks
