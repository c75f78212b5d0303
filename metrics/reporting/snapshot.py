"""The live figures (open tickets now): backlog and its ages, queue depth, breached, at risk.

Recomputed as a whole by every sweep in one statement over the open tickets and their open SLA
clocks, so a dashboard reads a few small rows instead of counting tickets per page view.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from metrics.reporting.models import MetricSnapshot
from sla import selectors as sla_selectors
from tickets import selectors as ticket_selectors

SNAPSHOT_TABLE = MetricSnapshot._meta.db_table
_TICKET_COLUMNS = (
    "id",
    "team_id",
    "assignee_id",
    "category_id",
    "priority",
    "channel",
    "organization_id",
    "created_at",
    "status",
    "organization__tier",
)
_SLICES = (
    ("team", "t.team_id::text"),
    ("agent", "t.assignee_id::text"),
    ("category", "t.category_id::text"),
    ("priority", "t.priority"),
    ("tier", "COALESCE(t.tier, 'free')"),
    ("channel", "t.channel"),
    ("organization", "t.organization_id::text"),
)
WAITING_STATUSES = ("pending", "on_hold")


def _statement() -> tuple[str, list[object]]:
    tickets = ticket_selectors.ticket_list_open_for_metrics().values_list(*_TICKET_COLUMNS).order_by()
    ticket_sql, ticket_params = tickets.query.sql_with_params()
    return ticket_sql, list(ticket_params)


def snapshot_refresh(*, now: datetime) -> int:
    """Replace the live figures with those of `now`; return how many slices were written.

    Ages count from creation: under 1 day, 1–3, 3–7, 7–30 and over 30 days. Breached and at
    risk follow the Breached and At-risk queues (sla.selectors.open_ticket_sla_flags).
    """
    ticket_sql, ticket_params = _statement()
    flags_sql, flags_params = sla_selectors.open_ticket_sla_flags(now=now).query.sql_with_params()
    grouping = ", ".join(f"({expression})" for _, expression in _SLICES)
    dimension = (
        "CASE "
        + " ".join(f"WHEN GROUPING({expression}) = 0 THEN '{name}'" for name, expression in _SLICES)
        + " ELSE 'all' END"
    )
    key = (
        "COALESCE(CASE "
        + " ".join(f"WHEN GROUPING({expression}) = 0 THEN {expression}" for _, expression in _SLICES)
        + " END, '')"
    )
    day = timedelta(days=1)
    age = {
        "under_1d": (now - day, None),
        "1_to_3d": (now - 3 * day, now - day),
        "3_to_7d": (now - 7 * day, now - 3 * day),
        "7_to_30d": (now - 30 * day, now - 7 * day),
        "over_30d": (None, now - 30 * day),
    }
    age_columns = []
    age_params: list[object] = []
    for low, high in age.values():
        conditions = []
        if low is not None:
            conditions.append("t.created_at > %s")
            age_params.append(low)
        if high is not None:
            conditions.append("t.created_at <= %s")
            age_params.append(high)
        age_columns.append(f"count(*) FILTER (WHERE {' AND '.join(conditions)})")
    statement = f"""
        WITH t ({", ".join(name.replace("organization__", "") for name in _TICKET_COLUMNS)}) AS ({ticket_sql}),
             f (ticket_id, breached, at_risk, severe) AS ({flags_sql})
        INSERT INTO {SNAPSHOT_TABLE} (dimension, key, open, unassigned, waiting, age_under_1d, age_1_to_3d,
                                      age_3_to_7d, age_7_to_30d, age_over_30d, breached, at_risk, severe,
                                      computed_at)
        SELECT {dimension}, {key}, count(*),
               count(*) FILTER (WHERE t.assignee_id IS NULL),
               count(*) FILTER (WHERE t.status IN %s),
               {", ".join(age_columns)},
               count(*) FILTER (WHERE f.breached),
               count(*) FILTER (WHERE f.at_risk AND NOT f.breached),
               count(*) FILTER (WHERE f.severe),
               %s
          FROM t LEFT JOIN f ON f.ticket_id = t.id
         GROUP BY GROUPING SETS ((), {grouping})
    """  # noqa: S608 - every name above is ours
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SNAPSHOT_TABLE}")  # noqa: S608
        cursor.execute(statement, [*ticket_params, *flags_params, WAITING_STATUSES, *age_params, now])
        return int(cursor.rowcount)
