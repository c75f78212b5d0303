"""Bulk-load N realistic tickets (default 1,000,000) into a benchmark database, fast.

Everything is generated inside PostgreSQL with INSERT ... SELECT over generate_series, in one
transaction: reference rows (organizations, customers, agents, ~10 teams, tags, categories),
then tickets spread over 180 days (~20% open, recent ones more often), one CREATED event each
and tag rows for ~30%, and SLA pins and clocks for open tickets (SLA_SQL). Secondary indexes are dropped and rebuilt around the load and foreign-key
triggers are skipped (the rows are valid by construction), then VACUUM ANALYZE.

This bypasses the services on purpose: it builds a read-load fixture, not a history. Never point
it at a database you care about.

    .venv/bin/python bench/load_tickets.py --database-url postgres://postgres@127.0.0.1:5432/helpdesk_bench
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
TICKET_TABLES = (
    "metrics_survey",
    "sla_slaevent",
    "sla_slaclock",
    "sla_ticketsla",
    "tickets_attachment",
    "tickets_ticketmessage",
    "tickets_ticketlink",
    "tickets_ticket_tags",
    "tickets_ticketevent",
    "tickets_ticket",
    "helpdesk_idempotencykey",
)
OPEN = "('new','triaged','assigned','in_progress','pending','on_hold','escalated','engineering')"

REFERENCE_SQL = """
INSERT INTO helpdesk_organization (name, tier, segment, is_vip, notes, members_see_each_other, created_at,
                                   updated_at)
SELECT 'Bench organization ' || i,
       (ARRAY['enterprise','business','professional','starter','free'])[1 + i %% 5],
       (ARRAY['high_touch','blended','scaled'])[1 + i %% 3], i %% 17 = 0, '', i %% 4 = 0, now(), now()
FROM generate_series(1, %(organizations)s) i
ON CONFLICT DO NOTHING;

INSERT INTO helpdesk_user (password, email, full_name, role, support_tier, time_zone, max_open_tickets,
                           availability, is_active, date_joined, organization_id)
SELECT '!', 'customer' || i || '@bench.example', 'Bench customer ' || i, 'customer', '', 'UTC', 25,
       'active', true, now(), o.id
FROM generate_series(1, %(customers)s) i
JOIN helpdesk_organization o ON o.name = 'Bench organization ' || (1 + i %% %(organizations)s)
ON CONFLICT DO NOTHING;

INSERT INTO helpdesk_team (name, slug, default_tier, is_escalation_team, created_at)
SELECT 'Bench team ' || t, 'bench-team-' || t, (ARRAY['l1','l1','l1','l2','l2','l1','l1','l2','l3','l1'])[t],
       t = 9, now()
FROM generate_series(1, %(teams)s) t
ON CONFLICT DO NOTHING;

INSERT INTO helpdesk_user (password, email, full_name, role, support_tier, time_zone, max_open_tickets,
                           availability, is_active, date_joined)
SELECT '!', 'agent' || t || '.' || a || '@bench.example', 'Bench agent ' || t || '.' || a,
       CASE WHEN a = 1 THEN 'team_lead' ELSE 'agent' END, 'l1', 'UTC', 40, 'active', true, now()
FROM generate_series(1, %(teams)s) t, generate_series(1, %(agents_per_team)s) a
ON CONFLICT DO NOTHING;

INSERT INTO helpdesk_team_members (team_id, user_id)
SELECT tm.id, u.id FROM helpdesk_team tm
JOIN helpdesk_user u ON u.email LIKE 'agent' || substr(tm.slug, 12) || '.%%@bench.example'
WHERE tm.slug LIKE 'bench-team-%%'
ON CONFLICT DO NOTHING;

INSERT INTO tickets_tag (name, description, is_active)
SELECT unnest(ARRAY['bug','how-to','feature-request','user-error','product-bug','documentation',
                    'known-issue','no-survey','outage','churn-risk']), '', true
ON CONFLICT DO NOTHING;

INSERT INTO tickets_category (name, slug, is_active)
SELECT n, lower(n), true FROM unnest(ARRAY['Authentication','Billing','API','Integrations','Account',
                                           'Product']) n
ON CONFLICT DO NOTHING;

INSERT INTO tickets_productarea (name, slug, is_active)
SELECT n, lower(replace(n, ' ', '-')), true
FROM unnest(ARRAY['Web app','Mobile app','Public API','Admin console','Billing portal','Integrations']) n
ON CONFLICT DO NOTHING;

DROP TABLE IF EXISTS bench_customer, bench_agent, bench_team;
CREATE TEMP TABLE bench_customer AS
  SELECT row_number() OVER (ORDER BY id) AS idx, id, organization_id FROM helpdesk_user
  WHERE email LIKE 'customer%%@bench.example';
CREATE TEMP TABLE bench_team AS
  SELECT substr(slug, 12)::int AS idx, id, default_tier FROM helpdesk_team WHERE slug LIKE 'bench-team-%%';
CREATE TEMP TABLE bench_agent AS
  SELECT substr(split_part(email, '.', 1), 6)::int AS team_idx,
         split_part(split_part(email, '@', 1), '.', 2)::int AS idx, id
  FROM helpdesk_user WHERE email LIKE 'agent%%@bench.example';
ANALYZE bench_customer; ANALYZE bench_team; ANALYZE bench_agent;
"""

# Random draws per row happen in the inner SELECT (volatile functions run once per row there).
# Team 1 is the busiest (~24% of tickets, Zipf-like), which is the team the API benchmark lists.
TICKETS_SQL = """
INSERT INTO tickets_ticket (subject, description, description_html, priority, severity, channel, support_tier,
    status, close_reason, external_id, source, first_response_at, last_customer_message_at,
    last_agent_message_at, resolved_at, closed_at, reopened_count, message_count, created_at, updated_at,
    assignee_id, category_id, merged_into_id, organization_id, product_area_id, requester_id, team_id)
SELECT
    (ARRAY['Cannot sign in with SSO','Invoice shows the wrong VAT number','API returns 500 on orders',
           'Webhooks arrive late','Export is missing columns','How do I add a read-only user?',
           'Mobile app crashes on startup','Charged twice this month','Slack notifications stopped',
           'Feature request: dark mode'])[1 + (g %% 10)] || ' (#' || g || ')',
    'Customer report ' || g || E'.\\n\\nSteps to reproduce, expected and actual behaviour are below.',
    '<p>Customer report ' || g || '.</p><p>Steps to reproduce, expected and actual behaviour are below.</p>',
    p.priority, 'sev' || substr(p.priority, 2, 1),
    (ARRAY['portal','portal','email','email','api','chat','phone'])[1 + floor(r_channel * 7)::int],
    t.default_tier, st.status, '', '', '',
    CASE WHEN st.status <> 'new' THEN created + interval '1 minute' * (5 + r_time * 600) END,
    created + interval '1 minute' * (r_time * 60),
    CASE WHEN st.status <> 'new' THEN created + interval '1 minute' * (5 + r_time * 600) END,
    CASE WHEN st.status IN ('resolved','closed') THEN created + interval '1 hour' * (2 + r_time * 70) END,
    CASE WHEN st.status = 'closed' THEN created + interval '1 hour' * (74 + r_time * 70) END,
    (r_time < 0.04)::int, 1 + floor(r_time * 8)::int,
    created, LEAST(now(), created + interval '1 hour' * (r_time * 150)),
    CASE WHEN st.status NOT IN ('new','triaged') THEN ag.id END,
    cat.id, NULL, c.organization_id, pa.id, c.id, t.id
FROM (
    SELECT g, random() AS r_team, random() AS r_customer, random() AS r_open, random() AS r_status,
           random() AS r_priority, random() AS r_channel, random() AS r_time, random() AS r_agent,
           now() - interval '180 days' * (1 - (g - random()) / %(tickets)s) AS created
    FROM generate_series(1, %(tickets)s) g
) s
JOIN bench_team t ON t.idx = 1 + floor(%(teams)s * power(r_team, 1.6))::int
JOIN bench_customer c ON c.idx = 1 + floor(r_customer * %(customers)s)::int
JOIN bench_agent ag ON ag.team_idx = t.idx AND ag.idx = 1 + floor(r_agent * %(agents_per_team)s)::int
CROSS JOIN LATERAL (SELECT CASE WHEN r_priority < 0.03 THEN 'p1' WHEN r_priority < 0.18 THEN 'p2'
                                 WHEN r_priority < 0.60 THEN 'p3' WHEN r_priority < 0.87 THEN 'p4'
                                 ELSE 'p5' END AS priority) p
CROSS JOIN LATERAL (
    SELECT CASE
        -- most of the last 30 days of tickets are still open, about one in eight older ones (aging backlog)
        WHEN r_open < CASE WHEN created > now() - interval '30 days' THEN 0.6 ELSE 0.12 END THEN
            (ARRAY['new','triaged','assigned','in_progress','in_progress','in_progress','pending','pending',
                   'on_hold','escalated','engineering'])[1 + floor(r_status * 11)::int]
        WHEN r_status < 0.12 THEN 'resolved' ELSE 'closed' END AS status
) st
LEFT JOIN tickets_category cat ON cat.slug = (ARRAY['authentication','billing','api','integrations',
                                                     'account','product'])[1 + (g %% 6)]
          AND cat.parent_id IS NULL
LEFT JOIN tickets_productarea pa ON pa.slug = (ARRAY['web-app','mobile-app','public-api','admin-console',
                                                     'billing-portal','integrations'])[1 + (g %% 6)]
ORDER BY g;
"""

EVENTS_SQL = """
INSERT INTO tickets_ticketevent (kind, occurred_at, recorded_at, data, actor_id, ticket_id)
SELECT 'created', created_at, created_at,
       jsonb_build_object('status', 'new', 'priority', priority, 'severity', severity, 'channel', channel,
                          'requester', requester_id, 'organization', organization_id, 'team', team_id,
                          'assignee', NULL, 'category', category_id, 'product_area', product_area_id,
                          'support_tier', support_tier, 'tags', '[]'::jsonb),
       requester_id, id
FROM tickets_ticket ORDER BY id;

INSERT INTO tickets_ticket_tags (ticket_id, tag_id)
SELECT tk.id, tg.id FROM tickets_ticket tk
JOIN tickets_tag tg ON tg.name = (ARRAY['bug','how-to','feature-request','user-error','product-bug',
                                        'documentation','known-issue','no-survey','outage','churn-risk'])
                                 [1 + (tk.id %% 10)]
WHERE tk.id %% 10 < 3;
"""


# With --metrics-history: what metric facts read, consistent with the ticket columns above. A
# public agent reply event at first_response_at; resolved (and closed) status events; fulfilled
# first-response and resolution clocks for finished tickets (24/7, the targets of SLA_SQL, with
# breach instants where the target was passed); answered CSAT surveys for a quarter of the
# resolutions and some NPS answers. What the generator dates in the future (recent tickets
# "resolved" tomorrow) has not happened yet: no event, clock or survey for it. Open clocks past
# their target breached when the target was reached (SLA_SQL dates it minutes ago).
METRICS_SQL = """
INSERT INTO tickets_ticketevent (kind, occurred_at, recorded_at, data, actor_id, ticket_id)
SELECT 'message_added', first_response_at, first_response_at,
       jsonb_build_object('message_id', NULL, 'visibility', 'public', 'author_kind', 'agent',
                          'is_automatic', false),
       assignee_id, id
FROM tickets_ticket WHERE first_response_at < now() ORDER BY id;

INSERT INTO tickets_ticketevent (kind, occurred_at, recorded_at, data, actor_id, ticket_id)
SELECT 'status_changed', resolved_at, resolved_at,
       jsonb_build_object('from', 'in_progress', 'to', 'resolved'), assignee_id, id
FROM tickets_ticket WHERE status IN ('resolved', 'closed') AND resolved_at < now() ORDER BY id;

INSERT INTO tickets_ticketevent (kind, occurred_at, recorded_at, data, actor_id, ticket_id)
SELECT 'status_changed', closed_at, closed_at,
       jsonb_build_object('from', 'resolved', 'to', 'closed'), assignee_id, id
FROM tickets_ticket WHERE status = 'closed' AND closed_at < now() ORDER BY id;

-- Open tickets' fulfilled first-response clocks ended at the first reply (SLA_SQL: an hour ago).
UPDATE sla_slaclock c
SET ended_at = LEAST(t.first_response_at, now()),
    elapsed_seconds = extract(epoch FROM LEAST(t.first_response_at, now()) - t.created_at),
    breached_at = CASE WHEN t.first_response_at >= t.created_at + interval '1 second' * c.target_seconds
                       THEN t.created_at + interval '1 second' * c.target_seconds END,
    severely_breached_at = CASE WHEN t.first_response_at >= t.created_at + interval '2 seconds' * c.target_seconds
                                THEN t.created_at + interval '2 seconds' * c.target_seconds END
FROM tickets_ticket t
WHERE c.ticket_id = t.id AND c.metric = 'first_response' AND c.state = 'fulfilled'
  AND t.first_response_at IS NOT NULL;

-- An open clock past its target breached when the target was reached, not in the last minutes.
UPDATE sla_slaclock SET breached_at = LEAST(started_at + interval '1 second' * target_seconds, breached_at)
WHERE breached_at IS NOT NULL AND state IN ('running', 'paused');

DROP TABLE IF EXISTS bench_done_clock;
CREATE TEMP TABLE bench_done_clock AS
SELECT t.id AS ticket_id, m.metric, t.created_at,
       CASE m.metric WHEN 'first_response' THEN t.first_response_at ELSE t.resolved_at END AS ended_at,
       60 * CASE t.priority WHEN 'p1' THEN m.p1 WHEN 'p2' THEN m.p2 WHEN 'p3' THEN m.p3
                            WHEN 'p4' THEN m.p4 ELSE m.p5 END AS target_seconds
FROM tickets_ticket t
CROSS JOIN (VALUES ('first_response', 15, 60, 240, 480, 1440), ('resolution', 240, 480, 1440, 4320, 7200))
    AS m(metric, p1, p2, p3, p4, p5)
WHERE t.status IN ('resolved', 'closed') AND t.resolved_at < now();

INSERT INTO sla_ticketsla (ticket_id, policy_version_id, applied_at, matched_on)
SELECT DISTINCT c.ticket_id, v.id, c.created_at, '{}'::jsonb
FROM bench_done_clock c
CROSS JOIN (SELECT v.id FROM sla_slapolicyversion v JOIN sla_slapolicy p ON p.id = v.policy_id
            WHERE p.is_default ORDER BY v.number DESC LIMIT 1) v;

INSERT INTO sla_slaclock (ticket_id, metric, period, policy_version_id, target_seconds, calendar_id, state,
    pause_reason, started_at, ended_at, elapsed_seconds, computed_at, due_at, next_check_at, warned_level,
    breached_at, severely_breached_at, escalate_pending, escalated_at, created_at)
SELECT c.ticket_id, c.metric, 1, s.policy_version_id, c.target_seconds, NULL, 'fulfilled', '', c.created_at,
       c.ended_at, extract(epoch FROM c.ended_at - c.created_at), c.ended_at,
       c.created_at + interval '1 second' * c.target_seconds, NULL,
       CASE WHEN c.ended_at >= c.created_at + interval '1 second' * c.target_seconds * 2 THEN 200
            WHEN c.ended_at >= c.created_at + interval '1 second' * c.target_seconds THEN 100 ELSE 0 END,
       CASE WHEN c.ended_at >= c.created_at + interval '1 second' * c.target_seconds
            THEN c.created_at + interval '1 second' * c.target_seconds END,
       CASE WHEN c.ended_at >= c.created_at + interval '1 second' * c.target_seconds * 2
            THEN c.created_at + interval '1 second' * c.target_seconds * 2 END,
       false, NULL, c.created_at
FROM bench_done_clock c JOIN sla_ticketsla s ON s.ticket_id = c.ticket_id;

INSERT INTO metrics_survey (kind, status, skip_reason, requester_id, ticket_id, resolved_at, agent_id, team_id,
    due_at, created_at, sent_at, send_attempts, score, effort_score, comment, answered_at, updated_at)
SELECT 'csat', 'sent', '', requester_id, id, resolved_at, assignee_id, team_id, answered_at, answered_at,
       answered_at, 1,
       CASE WHEN r_score < 0.45 THEN 5 WHEN r_score < 0.75 THEN 4 WHEN r_score < 0.87 THEN 3
            WHEN r_score < 0.95 THEN 2 ELSE 1 END,
       CASE WHEN r_effort < 0.3 THEN 1 + floor(r_effort / 0.3 * 7)::int END, '', answered_at, answered_at
FROM (SELECT id, requester_id, resolved_at, assignee_id, team_id, random() AS r_pick, random() AS r_score,
             random() AS r_effort, resolved_at + interval '3 hours' AS answered_at
      FROM tickets_ticket WHERE status IN ('resolved', 'closed')) s
WHERE r_pick < 0.25 AND answered_at < now();

INSERT INTO metrics_survey (kind, status, skip_reason, requester_id, ticket_id, resolved_at, agent_id, team_id,
    due_at, created_at, sent_at, send_attempts, score, effort_score, comment, answered_at, updated_at)
SELECT 'nps', 'sent', '', c.id, NULL, NULL, NULL, NULL, s.at, s.at, s.at, 1, s.score, NULL, '', s.at, s.at
FROM (SELECT g, now() - interval '180 days' * random() AS at, floor(random() * 11)::int AS score,
             1 + floor(random() * %(customers)s)::int AS customer
      FROM generate_series(1, %(nps)s) g) s
JOIN bench_customer c ON c.idx = s.customer
ON CONFLICT DO NOTHING;
"""


def _secondary_indexes(cursor: psycopg2.extensions.cursor, table: str) -> list[tuple[str, str]]:
    """Return (name, definition) of indexes on `table` that back no constraint (safe to drop and rebuild)."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(x.indexrelid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [table],
    )
    return list(cursor.fetchall())


def _step(label: str, started: float) -> float:
    now = time.monotonic()
    print(f"  {label:<44} {now - started:6.1f}s", flush=True)
    return now


# SLA state for open tickets, so queues sorted and filtered by SLA (at risk, breached) read a
# realistic mix: each open ticket is pinned to the default policy and gets a first-response clock
# (fulfilled once answered) and a resolution clock (paused while pending or on hold). How much of
# its target a clock has used is drawn uniformly from 0-130%: about 15% at risk (80-99%) and 23%
# breached. next_check_at stays NULL, so a sweep run against this database alerts nobody.
SLA_SQL = f"""
DROP TABLE IF EXISTS bench_clock;
CREATE TEMP TABLE bench_clock AS
SELECT t.id AS ticket_id, m.metric, t.created_at,
       CASE WHEN m.metric = 'first_response' AND t.first_response_at IS NOT NULL THEN 'fulfilled'
            WHEN m.metric = 'resolution' AND t.status IN ('pending', 'on_hold') THEN 'paused'
            ELSE 'running' END AS state,
       60 * CASE t.priority WHEN 'p1' THEN m.p1 WHEN 'p2' THEN m.p2 WHEN 'p3' THEN m.p3
                            WHEN 'p4' THEN m.p4 ELSE m.p5 END AS target_seconds,
       random() * 1.3 AS used
FROM tickets_ticket t
CROSS JOIN (VALUES ('first_response', 15, 60, 240, 480, 1440), ('resolution', 240, 480, 1440, 4320, 7200))
    AS m(metric, p1, p2, p3, p4, p5)
WHERE t.status IN {OPEN};

INSERT INTO sla_ticketsla (ticket_id, policy_version_id, applied_at, matched_on)
SELECT DISTINCT c.ticket_id, v.id, c.created_at, '{{}}'::jsonb
FROM bench_clock c
CROSS JOIN (SELECT v.id FROM sla_slapolicyversion v JOIN sla_slapolicy p ON p.id = v.policy_id
            WHERE p.is_default ORDER BY v.number DESC LIMIT 1) v;

INSERT INTO sla_slaclock (ticket_id, metric, period, policy_version_id, target_seconds, calendar_id, state,
    pause_reason, started_at, ended_at, elapsed_seconds, computed_at, due_at, next_check_at, warned_level,
    breached_at, severely_breached_at, escalate_pending, escalated_at, created_at)
SELECT c.ticket_id, c.metric, 1, s.policy_version_id, c.target_seconds, NULL, c.state,
       CASE WHEN c.state = 'paused' THEN 'pending' ELSE '' END, c.created_at,
       CASE WHEN c.state = 'fulfilled' THEN now() - interval '1 hour' END,
       c.target_seconds * c.used, now(),
       CASE WHEN c.state = 'running' THEN now() + interval '1 second' * c.target_seconds * (1 - c.used) END,
       NULL,
       CASE WHEN c.used >= 1 THEN 100 WHEN c.used >= 0.9 THEN 90 WHEN c.used >= 0.8 THEN 80
            WHEN c.used >= 0.5 THEN 50 ELSE 0 END,
       CASE WHEN c.used >= 1 THEN now() - interval '1 second' * c.target_seconds * (c.used - 1) END,
       NULL, false, NULL, c.created_at
FROM bench_clock c JOIN sla_ticketsla s ON s.ticket_id = c.ticket_id;

UPDATE tickets_ticket t SET sla_due_at = d.due
FROM (SELECT ticket_id, min(due_at) AS due FROM sla_slaclock WHERE state = 'running' GROUP BY ticket_id) d
WHERE d.ticket_id = t.id;
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=10, choices=range(1, 11), metavar="1-10")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--organizations", type=int, default=500)
    parser.add_argument("--agents-per-team", type=int, default=8)
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() value in [-1, 1].")
    parser.add_argument("--truncate", action="store_true", help="Empty the ticket tables first.")
    parser.add_argument("--no-migrate", action="store_true", help="Skip `manage.py migrate`.")
    parser.add_argument(
        "--metrics-history",
        action="store_true",
        help="Also write first replies, resolutions, finished tickets' SLA clocks and survey answers "
        "(what metric facts read; bench/metrics_bench.py uses it).",
    )
    args = parser.parse_args()
    database = urlparse(args.database_url).path.lstrip("/")
    if database in ("helpdesk", "postgres", "") and os.environ.get("BENCH_ALLOW_ANY_DB") != "1":
        print(
            f"Refusing to load benchmark data into '{database}'; use a dedicated database.", file=sys.stderr
        )
        return 2
    started = total = time.monotonic()
    print(f"Loading {args.tickets:,} tickets into {database}")
    if not args.no_migrate:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": args.database_url},
            check=True,
        )
        started = _step("migrate", started)
    connection = psycopg2.connect(args.database_url)
    params = {
        "tickets": args.tickets,
        "teams": args.teams,
        "customers": args.customers,
        "organizations": args.organizations,
        "agents_per_team": args.agents_per_team,
    }
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM tickets_ticket)")
        if cursor.fetchone()[0]:
            if not args.truncate:
                print("tickets_ticket is not empty; pass --truncate to replace its rows.", file=sys.stderr)
                return 2
            cursor.execute(f"TRUNCATE {', '.join(TICKET_TABLES)} RESTART IDENTITY CASCADE")
            started = _step("truncate", started)
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT setseed(%s)", [args.seed])
        cursor.execute(REFERENCE_SQL, params)
        started = _step("reference rows", started)
        dropped = []
        for table in ("tickets_ticket", "tickets_ticketevent", "tickets_ticket_tags"):
            for name, definition in _secondary_indexes(cursor, table):
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append(definition)
        # Skip per-row FK and append-only triggers for the load: every reference is built to exist.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(TICKETS_SQL, params)
        started = _step(f"tickets ({cursor.rowcount:,})", started)
        cursor.execute(EVENTS_SQL, params)
        started = _step("created events + tags", started)
        cursor.execute(SLA_SQL)
        started = _step("SLA pins and clocks for open tickets", started)
        if args.metrics_history:
            cursor.execute(METRICS_SQL, {**params, "nps": args.tickets // 500})
            started = _step("replies, resolutions, clocks, surveys", started)
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
        for definition in dropped:
            cursor.execute(definition)
        started = _step(f"rebuild {len(dropped)} indexes", started)
    connection.autocommit = True
    with connection.cursor() as cursor:
        for table in (
            "tickets_ticket",
            "tickets_ticketevent",
            "tickets_ticket_tags",
            "helpdesk_user",
            "sla_ticketsla",
            "sla_slaclock",
            "metrics_survey",
        ):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        started = _step("vacuum analyze", started)
        cursor.execute(
            f"""SELECT t.slug, t.id, count(*), count(*) FILTER (WHERE k.status IN {OPEN})
                FROM tickets_ticket k JOIN helpdesk_team t ON t.id = k.team_id
                GROUP BY t.slug, t.id ORDER BY count(*) DESC LIMIT 3"""
        )
        for slug, team_id, count, open_count in cursor.fetchall():
            print(f"  {slug} (id {team_id}): {count:,} tickets, {open_count:,} open")
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE status IN {OPEN}) FROM tickets_ticket")
        count, open_count = cursor.fetchone()
    connection.close()
    print(
        f"Done: {count:,} tickets, {open_count / max(count, 1):.1%} open, in {time.monotonic() - total:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
