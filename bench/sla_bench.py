"""SLA engine benchmark: the idle sweep over 1,000,000 clocks, a 10,000-clock breach burst, a re-plan.

    .venv/bin/python bench/sla_bench.py                      # everything, default sizes
    .venv/bin/python bench/sla_bench.py --clocks 100000 --breach-clocks 1000 --sweeps 50   # quick

(a) idle sweep: N running clocks (default 1,000,000), none due; `clocks_sweep_due(now=...)` timed
    over --sweeps calls. Target: p95 <= 5 ms.
(b) breach burst: --breach-clocks clocks (default 10,000: 5,000 tickets x first response +
    resolution) reach 100% in the same second; real Celery workers (one prefork worker,
    --concurrency processes) get sweep and escalation tasks the way beat sends them (kept topped
    up every 0.5 s, as overlapping beat runs would); time from the breach instant until every
    clock is breached and escalated, and a check that each happened exactly once.
    Target: all escalated within 30 s.
(c) re-plan: `clocks_replan` on one ticket with a realistic 20-event history, --replans calls.
    Target: median <= 5 ms (the issue: "recomputing one ticket's clocks after an event <= 5 ms median").

Uses its own database (default helpdesk_slabench; dropped and re-created unless --keep), its own
redis-server on a free port, and writes JSON to bench/results/. Tickets beyond the first are SQL
copies of service-made ones (tests/sla/worker_support.tickets_clone), so every row is what the
services would have written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_slabench"


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "n": len(ordered),
    }


def _recreate(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    if name in {"helpdesk", "postgres", "template0", "template1"}:
        sys.exit(f"refusing to use database {name!r}")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def load_idle_clocks(world: Any, clocks: int) -> dict[str, Any]:
    """Make `clocks` running clocks (two per ticket), none due: next checks 1 h to 30 days ahead."""
    from django.db import transaction
    from django.utils import timezone

    from tests.sla.worker_support import tickets_clone, tickets_create_at

    started = time.perf_counter()
    [template] = tickets_create_at(world, [timezone.now()])
    remaining = clocks // 2 - 1
    while remaining > 0:
        chunk = min(remaining, 100_000)
        with transaction.atomic():
            tickets_clone(template, chunk)
        remaining -= chunk
        print(f"  loaded {clocks // 2 - remaining:,} tickets", flush=True)
    _sql(
        "UPDATE sla_slaclock SET next_check_at = now() + interval '1 hour' + random() * interval '30 days' "
        "WHERE state = 'running'"
    )
    _sql("VACUUM ANALYZE")
    running = _sql("SELECT count(*) FROM sla_slaclock WHERE state = 'running'")[0][0]
    return {"running_clocks": running, "load_seconds": round(time.perf_counter() - started, 1)}


def bench_idle_sweep(sweeps: int) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from sla.services import clocks_sweep_due

    for _ in range(10):
        clocks_sweep_due(now=timezone.now())
    times = []
    with_queries: list[int] = []
    for _ in range(sweeps):
        start = time.perf_counter()
        fired = clocks_sweep_due(now=timezone.now())
        times.append(time.perf_counter() - start)
        assert fired == 0
    connection.force_debug_cursor = True
    connection.queries_log.clear()
    clocks_sweep_due(now=timezone.now())
    with_queries.append(len(connection.queries_log))
    statements = [query["sql"] for query in connection.queries_log]
    connection.force_debug_cursor = False
    # With nothing due the sweep runs one query (is anything due?); explain that one.
    plan = [row[0] for row in _sql("EXPLAIN (ANALYZE, BUFFERS) " + statements[0])]
    return {**_ms(times), "queries_per_sweep": with_queries[0], "statements": statements, "plan": plan}


def bench_replan(world: Any, replans: int) -> dict[str, Any]:
    """clocks_replan on a ticket with ~20 events: reply, pauses, priority change, notes, reopen."""
    import time_machine
    from django.db import transaction
    from django.utils import timezone

    from helpdesk.exceptions import DomainError
    from sla.services import clocks_replan
    from tickets import services as ticket_services
    from tickets.models import TicketEvent
    from tickets.services.core import lock_ticket

    start = timezone.now() - timedelta(days=3)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("message", {"author": world.assignee, "body": "Looking into it."}),
        ("status", {"to": "in_progress"}),
        ("message", {"author": world.assignee, "body": "Can you send the logs?"}),
        ("status", {"to": "pending"}),
        ("message", {"author": world.requester, "body": "Here they are."}),
        ("update", {"changes": {"priority": "p1"}}),
        ("message", {"author": world.assignee, "body": "Internal: checking", "visibility": "internal"}),
        ("message", {"author": world.assignee, "body": "Found it, fixing."}),
        ("status", {"to": "on_hold"}),
        ("status", {"to": "in_progress"}),
        ("message", {"author": world.requester, "body": "Any news?"}),
        ("message", {"author": world.assignee, "body": "Deploying the fix today."}),
        ("status", {"to": "resolved"}),
        ("message", {"author": world.requester, "body": "Still broken."}),
        ("message", {"author": world.assignee, "body": "Sorry, looking again."}),
        ("update", {"changes": {"priority": "p2"}}),
    ]
    with time_machine.travel(start, tick=False):
        ticket = ticket_services.ticket_create(
            requester=world.requester, subject="Replan bench", team=world.team, assignee=world.assignee
        )
    for index, (kind, args) in enumerate(steps, start=1):
        with time_machine.travel(start + timedelta(hours=3 * index), tick=False), suppress(DomainError):
            if kind == "message":
                ticket_services.message_create(ticket_id=ticket.pk, **args)
            elif kind == "status":
                ticket_services.ticket_change_status(ticket_id=ticket.pk, actor=world.assignee, **args)
            else:
                ticket_services.ticket_update(ticket_id=ticket.pk, actor=world.assignee, **args)
    events = TicketEvent.objects.filter(ticket_id=ticket.pk).count()
    times = []
    for index in range(replans + 10):
        with transaction.atomic():
            lock_ticket(ticket.pk)
            begin = time.perf_counter()
            clocks = clocks_replan(ticket_id=ticket.pk, now=timezone.now())
            if index >= 10:
                times.append(time.perf_counter() - begin)
    return {**_ms(times), "ticket_events": events, "clocks": len(clocks)}


def bench_breach_burst(
    world: Any, breach_clocks: int, concurrency: int, timeout: float, directory: Path
) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from tests.sla.worker_support import (
        CeleryStack,
        RedisServer,
        celery_client,
        tickets_clone,
        tickets_create_at,
    )

    lead = 20.0  # seconds from now to the breach instant: time to start the workers
    breach_at = timezone.now() + timedelta(seconds=lead)
    # First response and resolution both 1 minute (the world's policy): both reach 100% at breach_at.
    [template] = tickets_create_at(world, [breach_at - timedelta(minutes=1)])
    ticket_ids = [template, *tickets_clone(template, breach_clocks // 2 - 1)]
    # The warnings (50/80/90%) are taken as already sent: the burst measured is the breach.
    _sql(
        "UPDATE sla_slaclock SET warned_level = 90, next_check_at = %s WHERE ticket_id = ANY(%s)",
        [breach_at, ticket_ids],
    )
    _sql("ANALYZE sla_slaclock")
    redis_server = RedisServer(directory).start()
    stack = CeleryStack(connection.settings_dict["NAME"], redis_server.url, directory)
    client = celery_client(redis_server.url)
    result: dict[str, Any] = {"clocks": breach_clocks, "tickets": len(ticket_ids)}
    try:
        stack.worker("bench-worker", concurrency=concurrency)
        wait = (breach_at - timezone.now()).total_seconds()
        if wait < 0:
            sys.exit("workers took longer to start than the lead time; raise `lead`")
        time.sleep(wait)
        origin = time.monotonic()
        breached_after = escalated_after = None
        while time.monotonic() - origin < timeout:
            if redis_server.queue_length() < concurrency:
                client.send_task("sla.sweep_due_clocks")
                client.send_task("tickets.escalate_breached_tickets")
            breached, escalated = _sql(
                "SELECT count(*) FILTER (WHERE kind = 'breached'), count(*) FILTER (WHERE kind = 'escalated') "
                "FROM sla_slaevent WHERE ticket_id = ANY(%s)",
                [ticket_ids],
            )[0]
            if breached_after is None and breached >= breach_clocks:
                breached_after = time.monotonic() - origin
            if escalated >= breach_clocks:
                escalated_after = time.monotonic() - origin
                break
            time.sleep(0.5)
        result.update(
            seconds_to_all_breached=None if breached_after is None else round(breached_after, 1),
            seconds_to_all_escalated=None if escalated_after is None else round(escalated_after, 1),
            worker=f"1 worker, prefork pool, --concurrency {concurrency}",
        )
    finally:
        stack.close()
        redis_server.kill()
    doubled = _sql(
        "SELECT count(*) FROM (SELECT clock_id, kind, level FROM sla_slaevent WHERE ticket_id = ANY(%s) "
        "AND kind IN ('breached', 'escalated') GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        [ticket_ids],
    )[0][0]
    counts = _sql(
        "SELECT count(*) FILTER (WHERE kind = 'breached'), count(*) FILTER (WHERE kind = 'escalated') "
        "FROM sla_slaevent WHERE ticket_id = ANY(%s)",
        [ticket_ids],
    )[0]
    ticket_escalations = _sql(
        "SELECT count(*) FROM tickets_ticketevent WHERE kind = 'escalated' AND ticket_id = ANY(%s)",
        [ticket_ids],
    )[0][0]
    notes = _sql(
        "SELECT count(*) FROM tickets_ticketmessage WHERE body LIKE '**SLA breach.**%%' AND ticket_id = ANY(%s)",
        [ticket_ids],
    )[0][0]
    result.update(
        breached_events=counts[0],
        escalated_events=counts[1],
        doubled=doubled,
        ticket_escalations_plus_notes=ticket_escalations + notes,
        # Every clock is escalated once (its SlaEvent); each ticket, whose two clocks breach
        # together, is escalated at least once and at most once per clock.
        exactly_once=counts[0] == counts[1] == breach_clocks
        and len(ticket_ids) <= ticket_escalations + notes <= breach_clocks
        and doubled == 0,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is (skips the load)")
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--sweeps", type=int, default=200)
    parser.add_argument("--replans", type=int, default=200)
    parser.add_argument("--breach-clocks", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes for (b)")
    parser.add_argument("--breach-timeout", type=float, default=600)
    parser.add_argument("--only", default="abc", help="which parts to run, e.g. 'ac'")
    args = parser.parse_args()

    if not args.keep:
        _recreate(args.database_url)
    _setup_django(args.database_url)
    _migrate()
    from helpdesk.models import User
    from sla.models import SlaPolicy
    from tests.sla.worker_support import sla_world_create

    if args.keep and SlaPolicy.objects.filter(name="Concurrency 24/7").exists():
        sys.exit("--keep needs a database without a previous run's world; drop it or leave out --keep")
    world = sla_world_create(minutes=1)
    assert User.objects.filter(email="manager@sla.test").exists()
    report: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": urlparse(args.database_url).path.lstrip("/"),
        "cpus": os.cpu_count(),
    }
    if "a" in args.only:
        print(f"(a) loading {args.clocks:,} running clocks ...", flush=True)
        report["load"] = load_idle_clocks(world, args.clocks)
        report["idle_sweep"] = bench_idle_sweep(args.sweeps)
        print(f"(a) idle sweep over {report['load']['running_clocks']:,} running clocks: "
              f"median {report['idle_sweep']['median_ms']} ms, p95 {report['idle_sweep']['p95_ms']} ms "
              f"({report['idle_sweep']['queries_per_sweep']} queries)  target p95 <= 5 ms", flush=True)  # fmt: skip
    if "c" in args.only:
        report["replan"] = bench_replan(world, args.replans)
        print(f"(c) clocks_replan, ticket with {report['replan']['ticket_events']} events, "
              f"{report['replan']['clocks']} clocks: median {report['replan']['median_ms']} ms, "
              f"p95 {report['replan']['p95_ms']} ms  target median <= 5 ms", flush=True)  # fmt: skip
    if "b" in args.only:
        with tempfile.TemporaryDirectory(prefix="sla-bench-") as directory:
            report["breach_burst"] = bench_breach_burst(
                world, args.breach_clocks, args.concurrency, args.breach_timeout, Path(directory)
            )
        burst = report["breach_burst"]
        print(f"(b) {burst['clocks']:,} clocks breaching in one second, {burst['worker']}: all breached after "
              f"{burst['seconds_to_all_breached']} s, all escalated after {burst['seconds_to_all_escalated']} s, "
              f"exactly once: {burst['exactly_once']}  target <= 30 s", flush=True)  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    text = json.dumps(report, indent=2, default=str)
    (RESULTS / f"sla_bench-{stamp}.json").write_text(text)
    (RESULTS / "sla_bench-latest.json").write_text(text)
    print(f"wrote bench/results/sla_bench-{stamp}.json")


if __name__ == "__main__":
    main()
