"""Reading fact inputs through other apps' selectors, and writing facts and rollup rows.

Every write here recomputes rows from their sources (never adds or subtracts deltas), so running
it twice, or after a crash half-way, leaves the same rows. Callers hold the refresh lock
(refresh.py) so two writers never recompute the same day at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection

from helpdesk import selectors as account_selectors
from metrics.models import Survey
from metrics.reporting import aggregate, histogram, periods
from metrics.reporting.aggregate import ARRAYS, HISTOGRAMS, MEASURES, QUANTILES, SCALARS, SurveyAnswer
from metrics.reporting.facts import FACT_FIELDS, ClockRow, Fact, TicketRow, ticket_fact
from metrics.reporting.models import MetricRollup, TicketFact
from sla import selectors as sla_selectors
from tickets import selectors as ticket_selectors

FACT_TABLE = TicketFact._meta.db_table
ROLLUP_TABLE = MetricRollup._meta.db_table
SURVEY_TABLE = Survey._meta.db_table
_FACT_COLUMNS = FACT_FIELDS  # the dataclass fields are the column names
_ANCHORS = (
    "created_at",
    "first_response_at",
    "resolved_at",
    "first_resolved_at",
    "response_sla_at",
    "resolution_sla_at",
    "breached_at",
    "severely_breached_at",
)
FREE_TIER = "free"


# --- facts ------------------------------------------------------------------------------------------


def facts_compute(ticket_ids: Sequence[int]) -> list[Fact]:
    """Return the facts of the tickets that still exist, from their events and stored clocks."""
    rows = ticket_selectors.ticket_rows_for_metrics(ticket_ids)
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    events = ticket_selectors.ticket_event_rows_many(ids)
    clocks = sla_selectors.clock_rows_for_metrics(ids)
    tickets = [
        TicketRow(
            id=row["id"],
            created_at=row["created_at"],
            status=row["status"],
            close_reason=row["close_reason"],
            merged_into_id=row["merged_into_id"],
            team_id=row["team_id"],
            assignee_id=row["assignee_id"],
            category_id=row["category_id"],
            organization_id=row["organization_id"],
            priority=row["priority"],
            channel=row["channel"],
            # Tickets without an organization count as Free, as the SLA treats them.
            tier=row["organization__tier"] or FREE_TIER,
            calendar_id=sla_selectors.business_calendar_id(
                organization_calendar_id=row["organization__calendar_id"],
                team_calendar_id=row["team__calendar_id"],
            ),
        )
        for row in rows
    ]
    clock_rows = {
        ticket_id: [
            ClockRow(**{k: v for k, v in clock.items() if k != "ticket_id"}) for clock in ticket_clocks
        ]
        for ticket_id, ticket_clocks in clocks.items()
    }
    calendar_ids = {ticket.calendar_id for ticket in tickets} | {
        clock.calendar_id for ticket_clocks in clock_rows.values() for clock in ticket_clocks
    }
    calendars = sla_selectors.calendars_get(calendar_ids)
    return [
        ticket_fact(ticket, events.get(ticket.id, []), clock_rows.get(ticket.id, []), calendars)
        for ticket in tickets
    ]


def _fact_from_row(row: Sequence[Any]) -> Fact:
    return Fact(*row)


def facts_read(ticket_ids: Iterable[int]) -> dict[int, Fact]:
    """Return the stored facts of the tickets, by ticket id."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_FACT_COLUMNS)} FROM {FACT_TABLE} WHERE ticket_id = ANY(%s)",  # noqa: S608
            [ids],
        )
        return {row[0]: _fact_from_row(row) for row in cursor.fetchall()}


def facts_write(facts: Sequence[Fact], *, gone: Iterable[int] = (), now: datetime) -> None:
    """Store facts (replacing the tickets' earlier ones) and delete those of tickets in `gone`."""
    with connection.cursor() as cursor:
        gone_ids = list(gone)
        if gone_ids:
            cursor.execute(f"DELETE FROM {FACT_TABLE} WHERE ticket_id = ANY(%s)", [gone_ids])  # noqa: S608
        for start in range(0, len(facts), 1000):
            chunk = facts[start : start + 1000]
            columns = (*_FACT_COLUMNS, "computed_at")
            row = "(" + ", ".join(["%s"] * len(columns)) + ")"
            updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
            values: list[Any] = []
            for fact in chunk:
                values.extend(getattr(fact, name) for name in FACT_FIELDS)
                values.append(now)
            cursor.execute(
                f"INSERT INTO {FACT_TABLE} ({', '.join(columns)}) VALUES "  # noqa: S608
                + ", ".join([row] * len(chunk))
                + f" ON CONFLICT (ticket_id) DO UPDATE SET {updates}",
                values,
            )


def facts_insert(facts: Sequence[Fact], *, now: datetime) -> None:
    """Store facts of tickets that have none (a rebuild after emptying the table), with COPY."""
    copy_rows(
        FACT_TABLE,
        (*_FACT_COLUMNS, "computed_at"),
        ((*(getattr(fact, name) for name in FACT_FIELDS), now) for fact in facts),
    )


def anchor_days(facts: Iterable[Fact]) -> set[date]:
    """Return the UTC days the facts count on."""
    return {aggregate.day_of(instant) for fact in facts for instant in fact.anchors()}


# --- day rows ---------------------------------------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _facts_on(day: date) -> list[Fact]:
    low, high = _day_bounds(day)
    condition = " OR ".join(f"({anchor} >= %(low)s AND {anchor} < %(high)s)" for anchor in _ANCHORS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_FACT_COLUMNS)} FROM {FACT_TABLE} "  # noqa: S608
            f"WHERE NOT is_excluded AND ({condition})",
            {"low": low, "high": high},
        )
        return [_fact_from_row(row) for row in cursor.fetchall()]


def _answers_on(day: date) -> list[SurveyAnswer]:
    low, high = _day_bounds(day)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kind, score, effort_score, answered_at, ticket_id, agent_id, team_id, requester_id "  # noqa: S608
            f"FROM {SURVEY_TABLE} WHERE score IS NOT NULL AND answered_at >= %s AND answered_at < %s",
            [low, high],
        )
        rows = cursor.fetchall()
    nps_requesters = {row[7] for row in rows if row[0] == "nps"}
    organizations = account_selectors.user_organizations(nps_requesters) if nps_requesters else {}
    answers = []
    for kind, score, effort, answered_at, ticket_id, agent_id, team_id, requester_id in rows:
        organization_id, tier = organizations.get(requester_id, (None, FREE_TIER))
        answers.append(
            SurveyAnswer(
                kind, score, effort, answered_at, ticket_id, agent_id, team_id, organization_id, tier
            )
        )
    return answers


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, list):
        return "{" + ",".join(str(item) for item in value) + "}"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write rows with COPY (an INSERT of 600 rows × 250 numbers spends its time being parsed)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(value) for value in row))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _insert_rows(grain: str, start: date, rows: dict[tuple[str, str], dict[str, Any]]) -> None:
    # Rollup rows are ~250 numbers each; formatting them is the cost, so it is done in bulk. The
    # text fields are ours (grain, dimension names, ids and choice values): nothing to escape.
    lines = []
    for (dimension, key), measures in sorted(rows.items()):
        scalars = "\t".join(map(str, (measures[name] for name in SCALARS)))
        arrays = "\t".join("{" + ",".join(map(str, measures[name])) + "}" for name in ARRAYS)
        lines.append(f"{grain}\t{start.isoformat()}\t{dimension}\t{key}\t{scalars}\t{arrays}\n")
    buffer = io.StringIO("".join(lines))
    columns = ", ".join(("grain", "period_start", "dimension", "key", *MEASURES))
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {ROLLUP_TABLE} ({columns}) FROM STDIN", buffer)


def day_rows_compute(day: date) -> dict[tuple[str, str], dict[str, Any]]:
    """Return the rollup rows `day` should hold, from the stored facts and survey answers."""
    facts = _facts_on(day)
    answers = _answers_on(day)
    by_ticket = {fact.ticket_id: fact for fact in facts}
    missing = {
        answer.ticket_id for answer in answers if answer.ticket_id and answer.ticket_id not in by_ticket
    }
    by_ticket.update(facts_read(missing))
    return aggregate.day_totals(day, facts, answers, by_ticket)


def days_recompute(days: Iterable[date]) -> int:
    """Recompute the day rows of `days`, then the week and month rows holding them; return rows written."""
    touched = sorted(set(days))
    written = 0
    with connection.cursor() as cursor:
        for day in touched:
            rows = day_rows_compute(day)
            cursor.execute(
                f"DELETE FROM {ROLLUP_TABLE} WHERE grain = 'day' AND period_start = %s",  # noqa: S608
                [day],
            )
            _insert_rows("day", day, rows)
            written += len(rows)
    weeks, months = periods.touched_rows(set(touched))
    for grain, starts in (("week", weeks), ("month", months)):
        for start in sorted(starts):
            written += grain_recompute(grain, start)
    return written


def _sum_expressions() -> str:
    parts = [f"sum(r.{name})" for name in SCALARS]
    for name, size in ARRAYS.items():
        parts.append("ARRAY[" + ", ".join(f"sum(r.{name}[{i}])" for i in range(1, size + 1)) + "]::integer[]")
    return ", ".join(parts)


def windows_recompute(today: date) -> int:
    """Replace the trailing-window rows with the sums of the rows making up `today`'s windows.

    Call after any change to day, week or month rows (in the same transaction), and once a day:
    a reader takes a window's own row whenever it exists (selectors.rollup_sums), so one must
    never outlive the rows it sums.
    """
    grains = tuple(periods.SPAN_GRAINS.values())
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ROLLUP_TABLE} WHERE grain = ANY(%s)", [list(grains)])  # noqa: S608
        for grain, window in periods.trailing_windows(today):
            parts = periods.decompose(window)
            cursor.execute(
                f"INSERT INTO {ROLLUP_TABLE} (grain, period_start, dimension, key, {', '.join(MEASURES)}) "  # noqa: S608
                f"SELECT %s, %s, r.dimension, r.key, {_sum_expressions()} FROM {ROLLUP_TABLE} r "
                "JOIN unnest(%s::text[], %s::date[]) AS p(grain, start) "
                "ON r.grain = p.grain AND r.period_start = p.start GROUP BY r.dimension, r.key",
                [grain, window.start, [part[0] for part in parts], [part[1] for part in parts]],
            )
            written += int(cursor.rowcount)
            # An empty window still gets its (all-zero) "all" row: readers take a window's rows
            # only when it has one (selectors.rollup_sums), and nothing is cheaper to sum.
            cursor.execute(
                f"INSERT INTO {ROLLUP_TABLE} (grain, period_start, dimension, key, {', '.join(MEASURES)}) "  # noqa: S608
                f"SELECT %s, %s, 'all', '', {_zero_expressions()} WHERE NOT EXISTS (SELECT 1 FROM {ROLLUP_TABLE} "
                "WHERE grain = %s AND period_start = %s AND dimension = 'all')",
                [grain, window.start, grain, window.start],
            )
            written += int(cursor.rowcount)
        _quantiles_fill(cursor, grains)
    return written


def _quantiles_fill(cursor: Any, grains: Sequence[str]) -> None:
    """Work out the percentiles of the named periods' rows from their summed histograms."""
    cursor.execute(
        f"SELECT id, {', '.join(HISTOGRAMS)} FROM {ROLLUP_TABLE} WHERE grain = ANY(%s)",  # noqa: S608
        [list(grains)],
    )
    ids, values = [], []
    for row in cursor.fetchall():
        counts = dict(zip(HISTOGRAMS, row[1:], strict=True))
        ids.append(row[0])
        quantiles = (histogram.percentile(counts[name], fraction) for name, fraction in QUANTILES)
        values.append("{" + ",".join("NULL" if value is None else repr(value) for value in quantiles) + "}")
    cursor.execute(
        f"UPDATE {ROLLUP_TABLE} r SET quantiles = q.value::float8[] "  # noqa: S608
        "FROM unnest(%s::bigint[], %s::text[]) AS q(id, value) WHERE r.id = q.id",
        [ids, values],
    )


def _zero_expressions() -> str:
    return ", ".join(["0"] * len(SCALARS) + [f"array_fill(0, ARRAY[{size}])" for size in ARRAYS.values()])


def grain_recompute(grain: str, start: date) -> int:
    """Replace the week or month row set starting on `start` with the sums of its day rows."""
    end = periods.grain_end(grain, start)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {ROLLUP_TABLE} WHERE grain = %s AND period_start = %s",  # noqa: S608
            [grain, start],
        )
        cursor.execute(
            f"INSERT INTO {ROLLUP_TABLE} (grain, period_start, dimension, key, {', '.join(MEASURES)}) "  # noqa: S608
            f"SELECT %s, %s, dimension, key, {_sum_expressions()} FROM {ROLLUP_TABLE} r "
            "WHERE grain = 'day' AND period_start >= %s AND period_start <= %s GROUP BY dimension, key",
            [grain, start, start, end],
        )
        return int(cursor.rowcount)
