"""Recomputing every fact and rollup from the event logs, and checking the live ones against that.

`metrics_rebuild` replaces facts, rollups and live figures in one transaction (readers keep
seeing the old rows until it commits) and moves the sweep's watermarks to where it stopped.
`metrics_check` runs the same rebuild inside a transaction it rolls back, and reports every fact
and rollup row that differs from what the sweep had kept.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from metrics.reporting import refresh, snapshot, store
from metrics.reporting.aggregate import ARRAYS, MEASURES
from metrics.reporting.models import MetricDirtyTicket
from sla import selectors as sla_selectors
from tickets import selectors as ticket_selectors

BATCH = 2_000


@dataclass(frozen=True)
class RebuildReport:
    tickets: int
    days: int
    rows: int
    seconds: float


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def metrics_rebuild(
    *, now: datetime, batch: int = BATCH, progress: Callable[[str], None] | None = None
) -> RebuildReport:
    """Recompute every ticket's fact, every rollup row and the live figures from scratch.

    Waits for a running sweep to finish, and holds the sweep off until it commits. The sweep
    then reads again the events recorded since shortly before `now` (refresh.GAP_LIFETIME), so
    nothing written while the rebuild ran is missed.
    """
    started = time.monotonic()
    with transaction.atomic():
        state = refresh.state_claim(wait=True)
        assert state is not None  # waited for the lock
        MetricDirtyTicket.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {store.FACT_TABLE}")  # noqa: S608
            cursor.execute(f"DELETE FROM {store.ROLLUP_TABLE}")  # noqa: S608
        after, tickets, days = 0, 0, set()
        while ids := ticket_selectors.ticket_ids_after(after_id=after, limit=batch):
            facts = store.facts_compute(ids)
            store.facts_insert(facts, now=now)
            days |= store.anchor_days(facts)
            after, tickets = ids[-1], tickets + len(facts)
            _say(progress, f"facts: {tickets} tickets")
        days |= refresh.answer_days_changed_since(None)
        _say(progress, f"rollups: {len(days)} days")
        rows = store.days_recompute(days)
        state.windows_on = now.astimezone(UTC).date()
        rows += store.windows_recompute(state.windows_on)
        snapshot.snapshot_refresh(now=now)
        mark = now - refresh.GAP_LIFETIME
        state.ticket_event_id = ticket_selectors.ticket_event_last_id_before(mark)
        state.sla_event_id = sla_selectors.sla_event_last_id_before(mark)
        state.ticket_event_gaps, state.sla_event_gaps, state.pending_days = [], [], []
        state.surveys_until = state.organizations_until = mark
        state.refreshed_at = state.snapshot_at = state.rebuilt_at = now
        state.save()
    return RebuildReport(tickets, len(days), rows, time.monotonic() - started)


@dataclass(frozen=True)
class CheckReport:
    facts_differing: int
    rows_differing: int
    lines: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not (self.facts_differing or self.rows_differing)


def _decoded(value: Any) -> dict[str, Any] | None:
    # Django leaves jsonb as text on its connections.
    return json.loads(value) if isinstance(value, str) else value


def _describe(label: str, live_value: Any, rebuilt_value: Any) -> str:
    live, rebuilt = _decoded(live_value), _decoded(rebuilt_value)
    if live is None:
        return f"{label}: missing from the live rows"
    if rebuilt is None:
        return f"{label}: live row that a rebuild does not produce"
    parts = []
    for name in sorted(set(live) | set(rebuilt)):
        before, after = live.get(name), rebuilt.get(name)
        if before == after:
            continue
        if name in ARRAYS and isinstance(before, list) and isinstance(after, list):
            cells = [
                f"[{i}] {b} != {a}" for i, (b, a) in enumerate(zip(before, after, strict=False)) if b != a
            ]
            parts.append(f"{name} " + ", ".join(cells[:5]))
        else:
            parts.append(f"{name} live {before!r} != rebuilt {after!r}")
    return f"{label}: " + "; ".join(parts)


def _differences(statement: str, limit: int) -> tuple[int, list[tuple[Any, Any, Any]]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({statement}) d")  # noqa: S608
        total = int(cursor.fetchone()[0])
        cursor.execute(f"{statement} LIMIT %s", [limit])
        return total, list(cursor.fetchall())


def metrics_check(*, now: datetime, refresh_first: bool = True, limit: int = 50) -> CheckReport:
    """Compare the live facts and rollups with a full recomputation; nothing is written.

    With `refresh_first`, the sweep first works off what changed since its last run (it would
    within seconds anyway), so only real disagreements are reported, at most `limit` lines each.
    """
    if refresh_first:
        report = refresh.metrics_refresh(now=now)
        while report.backlog or report.days_pending:
            report = refresh.metrics_refresh(now=now)
    with transaction.atomic():
        refresh.state_claim(wait=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE metrics_live_fact ON COMMIT DROP AS SELECT * FROM {store.FACT_TABLE}"  # noqa: S608
            )
            cursor.execute(
                f"CREATE TEMP TABLE metrics_live_rollup ON COMMIT DROP AS SELECT * FROM {store.ROLLUP_TABLE}"  # noqa: S608
            )
        metrics_rebuild(now=now)
        fact_total, fact_rows = _differences(
            "SELECT COALESCE(l.ticket_id, f.ticket_id), to_jsonb(l) - 'computed_at', to_jsonb(f) - 'computed_at' "  # noqa: S608
            f"FROM metrics_live_fact l FULL JOIN {store.FACT_TABLE} f ON f.ticket_id = l.ticket_id "
            "WHERE (to_jsonb(l) - 'computed_at') IS DISTINCT FROM (to_jsonb(f) - 'computed_at') "
            "ORDER BY 1",
            limit,
        )
        keys = "grain, period_start, dimension, key"
        measures = ", ".join((*MEASURES, "quantiles"))
        row_total, rollup_rows = _differences(
            f"SELECT COALESCE(l.label, f.label), l.measures, f.measures FROM "  # noqa: S608
            f"(SELECT concat_ws(' ', {keys}) AS label, to_jsonb(r) AS measures FROM "
            f"(SELECT {keys}, {measures} FROM metrics_live_rollup) r) l FULL JOIN "
            f"(SELECT concat_ws(' ', {keys}) AS label, to_jsonb(r) AS measures FROM "
            f"(SELECT {keys}, {measures} FROM {store.ROLLUP_TABLE}) r) f ON f.label = l.label "
            "WHERE l.measures IS DISTINCT FROM f.measures ORDER BY 1",
            limit,
        )
        transaction.set_rollback(True)
    lines = [
        _describe(f"fact of ticket #{ticket_id}", live, rebuilt) for ticket_id, live, rebuilt in fact_rows
    ]
    lines += [_describe(f"rollup {label}", live, rebuilt) for label, live, rebuilt in rollup_rows]
    return CheckReport(fact_total, row_total, lines)
