"""The beat sweep that keeps facts and rollups current, and the state it keeps between runs.

Each run, under the lock of the single `MetricRefreshState` row (a second, overlapping run skips):

1. queues the tickets with ticket or SLA events it has not seen (read by id above a watermark),
   and tickets whose organization's tier changed;
2. recomputes the facts of up to `ticket_batch` queued tickets; each fact that changed marks
   its days, old and new, as touched, and so does each survey answer changed since the last run;
3. recomputes the touched days' rollup rows from the facts, then their weeks and months, then
   the rows of the named periods ending today (and on a new UTC day even when nothing changed);
4. replaces the live figures (snapshot.py).

Event ids come from a sequence when the row is inserted but become visible at commit, so a run
can see id 12 before 11. Ids below the watermark not seen yet are kept as gap ranges and looked
for again until they show up or are older than GAP_LIFETIME (no transaction that writes tickets
stays open that long); a gap that never fills was a rolled-back or conflicting insert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from helpdesk import selectors as account_selectors
from helpdesk.webhooks.feed import missing_runs
from metrics.reporting import snapshot, store
from metrics.reporting.models import MetricDirtyTicket, MetricRefreshState
from sla import selectors as sla_selectors
from tickets import selectors as ticket_selectors

logger = logging.getLogger(__name__)

STATE_ID = 1
GAP_LIFETIME = timedelta(minutes=5)
# Edits that write no ticket event (a survey answer, an organization's tier) are read again
# for this long after the run that first saw them, in case their transaction committed late.
REREAD = timedelta(minutes=2)
EVENT_BATCH = 20_000
TICKET_BATCH = 2_000
# Days recomputed per run (newest first, so today is always current); the rest wait for the next
# runs. About 0.5 s a day at 1M tickets keeps a run well inside its 50 s time limit.
DAYS_PER_RUN = 31
MAX_GAPS = 1_000  # gap ranges kept


@dataclass(frozen=True)
class RefreshReport:
    ran: bool  # False: another run held the lock
    queued: int = 0
    facts_changed: int = 0
    days: int = 0
    rows: int = 0
    live_slices: int = 0
    backlog: int = 0  # tickets still queued after this run
    days_pending: int = 0  # days left for the next runs


def state_claim(*, wait: bool = False) -> MetricRefreshState | None:
    """Lock the refresh state row (creating it at first use); None when another run holds it.

    Call inside a transaction; the lock lasts until it ends.
    """
    MetricRefreshState.objects.bulk_create([MetricRefreshState(pk=STATE_ID)], ignore_conflicts=True)
    queryset = MetricRefreshState.objects.select_for_update(skip_locked=not wait)
    return queryset.filter(pk=STATE_ID).first()


Gap = tuple[int, int, str]  # ids low..high (inclusive) not seen yet, first noticed at (ISO)


def advance(
    position: int,
    gaps: Sequence[Sequence[Any]],
    rows: Sequence[tuple[int, int, datetime]],
    *,
    now: datetime,
) -> tuple[int, list[Gap]]:
    """Return the watermark and the gaps after reading `rows` (id, ticket_id, recorded_at). Pure.

    Ids between the old and the new watermark that were not read become gaps (as ranges: SLA
    events are inserted with ON CONFLICT DO NOTHING, which uses up ids in runs), unless an event
    recorded more than GAP_LIFETIME ago sits above them (their transaction would be older still).
    A gap read since shrinks or closes; one older than GAP_LIFETIME is dropped.
    """
    seen = sorted({row[0] for row in rows})
    cutoff = now - GAP_LIFETIME
    kept: list[Gap] = []
    for low, high, first_seen in gaps:
        if datetime.fromisoformat(first_seen) > cutoff:
            kept.extend((start, end, first_seen) for start, end in missing_runs(int(low), int(high), seen))
    above = [row for row in sorted(rows) if row[0] > position]
    if not above:
        return position, kept
    new_position = above[-1][0]
    settled = max((row[0] for row in above if row[2] < cutoff), default=position)
    low = max(position, settled) + 1
    stamp = now.isoformat()
    kept.extend((start, end, stamp) for start, end in missing_runs(low, new_position - 1, seen))
    # Keep the newest gaps: an old one is the likeliest never to fill.
    return new_position, sorted(kept)[-MAX_GAPS:]


def _queue(ticket_ids: set[int], now: datetime) -> int:
    if not ticket_ids:
        return 0
    MetricDirtyTicket.objects.bulk_create(
        [MetricDirtyTicket(ticket_id=ticket_id, queued_at=now) for ticket_id in sorted(ticket_ids)],
        ignore_conflicts=True,
    )
    return len(ticket_ids)


def _read_feed(
    read: Callable[..., list[tuple[int, int, datetime]]], position: int, gaps: Any, now: datetime
) -> tuple[set[int], int, list[Gap]]:
    gaps = gaps or []  # rows written before gaps were ranges hold {}
    rows = read(after_id=position, limit=EVENT_BATCH, id_ranges=[(low, high) for low, high, _ in gaps])
    new_position, new_gaps = advance(position, gaps, rows, now=now)
    return {row[1] for row in rows}, new_position, new_gaps


def _queue_changes(state: MetricRefreshState, now: datetime) -> tuple[int, set[date]]:
    """Queue tickets with unseen events or a changed tier; return (queued, days of changed answers)."""
    tickets, state.ticket_event_id, state.ticket_event_gaps = _read_feed(
        ticket_selectors.ticket_event_ticket_ids_after, state.ticket_event_id, state.ticket_event_gaps, now
    )
    sla_tickets, state.sla_event_id, state.sla_event_gaps = _read_feed(
        sla_selectors.sla_event_ticket_ids_after, state.sla_event_id, state.sla_event_gaps, now
    )
    tickets |= sla_tickets
    since = None if state.organizations_until is None else state.organizations_until - REREAD
    tiers = account_selectors.organization_tiers_updated_since(since)
    if tiers:
        # One statement for every organization edited: facts still carrying another tier.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT f.ticket_id FROM {store.FACT_TABLE} f "  # noqa: S608 - our table name
                "JOIN unnest(%s::bigint[], %s::text[]) AS o(id, tier) "
                "ON f.organization_id = o.id AND f.tier <> o.tier",
                [list(tiers), list(tiers.values())],
            )
            tickets |= {row[0] for row in cursor.fetchall()}
    state.organizations_until = now
    days = answer_days_changed_since(None if state.surveys_until is None else state.surveys_until - REREAD)
    state.surveys_until = now
    return _queue(tickets, now), days


def answer_days_changed_since(since: datetime | None) -> set[date]:
    with connection.cursor() as cursor:
        condition = "" if since is None else " AND updated_at >= %s"
        cursor.execute(
            f"SELECT DISTINCT (answered_at AT TIME ZONE 'UTC')::date FROM {store.SURVEY_TABLE} "  # noqa: S608
            f"WHERE score IS NOT NULL AND updated_at IS NOT NULL{condition}",
            [] if since is None else [since],
        )
        return {row[0] for row in cursor.fetchall()}


def _take_queued(limit: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {MetricDirtyTicket._meta.db_table} WHERE ticket_id IN ("  # noqa: S608
            f"SELECT ticket_id FROM {MetricDirtyTicket._meta.db_table} ORDER BY queued_at, ticket_id "
            "LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING ticket_id",
            [limit],
        )
        return sorted(row[0] for row in cursor.fetchall())


def facts_refresh(ticket_ids: Sequence[int], *, now: datetime) -> tuple[int, set[date]]:
    """Recompute the tickets' facts; return how many changed and the days they touched (old and new)."""
    before = store.facts_read(ticket_ids)
    after = {fact.ticket_id: fact for fact in store.facts_compute(ticket_ids)}
    changed = [fact for ticket_id, fact in after.items() if before.get(ticket_id) != fact]
    gone = [ticket_id for ticket_id in before if ticket_id not in after]
    store.facts_write(changed, gone=gone, now=now)
    days = store.anchor_days(changed) | store.anchor_days(before[ticket_id] for ticket_id in gone)
    days |= store.anchor_days(before[fact.ticket_id] for fact in changed if fact.ticket_id in before)
    return len(changed) + len(gone), days


def metrics_refresh(*, now: datetime, ticket_batch: int = TICKET_BATCH) -> RefreshReport:
    """Bring facts, rollups and live figures up to date with what changed since the last run.

    Idempotent and safe to overlap: a run that finds the state row locked does nothing. A
    backlog larger than `ticket_batch` tickets (an import, the first run) is worked off over
    the following runs, oldest queued first.
    """
    with transaction.atomic():
        state = state_claim()
        if state is None:
            return RefreshReport(ran=False)
        queued, days = _queue_changes(state, now)
        taken = _take_queued(ticket_batch)
        changed, fact_days = facts_refresh(taken, now=now)
        days |= fact_days | {date.fromisoformat(day) for day in state.pending_days}
        ordered = sorted(days, reverse=True)
        days, later = set(ordered[:DAYS_PER_RUN]), ordered[DAYS_PER_RUN:]
        state.pending_days = [day.isoformat() for day in later]
        rows = store.days_recompute(days)
        today = now.astimezone(UTC).date()
        if days or state.windows_on != today:
            rows += store.windows_recompute(today)
            state.windows_on = today
        live = snapshot.snapshot_refresh(now=now)
        state.refreshed_at = state.snapshot_at = now
        state.save()
        backlog = MetricDirtyTicket.objects.count() if len(taken) >= ticket_batch else 0
    if changed or days:
        logger.info(
            "metrics.refreshed",
            extra={"queued": queued, "facts_changed": changed, "days": len(days), "rows": rows},
        )
    return RefreshReport(True, queued, changed, len(days), rows, live, backlog, len(later))


__all__ = ["RefreshReport", "advance", "facts_refresh", "metrics_refresh", "state_claim"]
