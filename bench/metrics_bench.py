"""Benchmark the metric rollups: the manager SLA dashboard and every metrics API query, 1M tickets.

1. Loads 1,000,000 tickets over 180 days into its own database (default helpdesk_bench_metrics)
   with `bench/load_tickets.py --metrics-history` (first replies, resolutions, SLA clocks and
   survey answers, so every metric has data), unless --skip-load.
2. Builds facts and rollups with `manage.py metrics_rebuild` (timed), and with --check runs
   `manage.py metrics_rebuild --check` too (a second full recomputation, compared row by row).
3. In-process, with production settings: times the refresh sweep with nothing new (its cost is
   the live figures over the open tickets), then the dashboard page through Django's test Client
   as a signed-in manager (1 week, 1 month, 6 months), then every metrics API query (staff
   client), each `--requests` times after a warm-up. Prints median and p95 per query; targets:
   dashboard p95 <= 150 ms, any API query p95 <= 100 ms. Writes bench/results/metrics_bench-*.json.

    .venv/bin/python bench/metrics_bench.py                       # load, rebuild, time (~15 min)
    .venv/bin/python bench/metrics_bench.py --skip-load --check   # time again, check the rollups
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_metrics"
DASHBOARD_TARGET_MS = 150.0
API_TARGET_MS = 100.0
MANAGER_EMAIL = "bench-manager@bench.example"

API_QUERIES: list[tuple[str, str, dict[str, str]]] = [
    ("summary 1w", "summary", {"period": "1w"}),
    ("summary 6m", "summary", {"period": "6m"}),
    ("summary 6m, one team", "summary", {"period": "6m", "dimension": "team", "key": "{team}"}),
    ("summary 6m, one organization", "summary", {"period": "6m", "dimension": "organization", "key": "{org}"}),
    ("series 1m by day", "series", {"period": "1m", "interval": "day"}),
    ("series 6m by week", "series", {"period": "6m", "interval": "week"}),
    ("series 6m by month, one agent", "series", {"period": "6m", "interval": "month", "dimension": "agent", "key": "{agent}"}),
    ("breakdown 6m by team", "breakdown", {"period": "6m", "dimension": "team"}),
    ("breakdown 6m by agent", "breakdown", {"period": "6m", "dimension": "agent"}),
    ("breakdown 6m by priority", "breakdown", {"period": "6m", "dimension": "priority"}),
    ("breakdown 6m by organization", "breakdown", {"period": "6m", "dimension": "organization"}),
    ("breakdown 1m by organization", "breakdown", {"period": "1m", "dimension": "organization"}),
    ("breakdown 6m by org., all 30 figures", "breakdown", {"period": "6m", "dimension": "organization", "metrics": "{all}"}),
    ("heatmap 6m (Europe/Berlin)", "heatmap", {"period": "6m", "tz": "Europe/Berlin"}),
    ("live by team", "live", {"dimension": "team"}),
    ("live by organization", "live", {"dimension": "organization"}),
    ("breakdown 6m by team, CSV", "breakdown", {"period": "6m", "dimension": "team", "format": "csv"}),
]  # fmt: skip


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _manage(database_url: str, *arguments: str) -> tuple[int, float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, time.monotonic() - started, (done.stdout + done.stderr).strip()


def _ensure_database(database_url: str) -> None:
    import psycopg2

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(database_url.replace(parsed.path, "/postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _time(call: Callable[[], Any], *, requests: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        call()
    timings = []
    statuses = set()
    for _ in range(requests):
        started = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        statuses.add(getattr(response, "status_code", None))
    return {
        "statuses": sorted(statuses),
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 95), 2),
        "max_ms": round(max(timings), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--skip-load", action="store_true", help="Reuse the loaded tickets and rollups.")
    parser.add_argument("--skip-rebuild", action="store_true", help="Reuse the rollups as they are.")
    parser.add_argument("--check", action="store_true", help="Also run `metrics_rebuild --check` (timed).")
    parser.add_argument("--requests", type=int, default=200, help="Timed requests per query.")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    database = urlparse(args.database_url).path.lstrip("/")
    if database in ("helpdesk", "postgres", ""):
        print(f"Refusing to use '{database}'; use a dedicated database.", file=sys.stderr)
        return 2
    results: dict[str, Any] = {
        "database": database,
        "tickets": args.tickets,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    _ensure_database(args.database_url)
    if not args.skip_load:
        loaded = subprocess.run(
            [sys.executable, "bench/load_tickets.py", "--database-url", args.database_url,
             "--tickets", str(args.tickets), "--truncate", "--metrics-history"],
            cwd=ROOT, check=False,
        )  # fmt: skip
        if loaded.returncode:
            return loaded.returncode
    if not args.skip_rebuild:
        code, seconds, output = _manage(args.database_url, "metrics_rebuild")
        print(f"metrics_rebuild: {seconds:.1f}s (exit {code})\n  {output}")
        results["rebuild_seconds"] = round(seconds, 1)
        if code:
            return code
    if args.check:
        code, seconds, output = _manage(args.database_url, "metrics_rebuild", "--check")
        print(f"metrics_rebuild --check: {seconds:.1f}s (exit {code})\n  {output[-2000:]}")
        results["check"] = {"seconds": round(seconds, 1), "exit": code, "output": output[-2000:]}

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_DEBUG": "false",
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": args.database_url,
            "DB_CONN_MAX_AGE": "600",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "LOG_LEVEL": "WARNING",
            "API_RATE_LIMIT_PER_MINUTE": "100000000",  # the benchmark is one client asking fast
            "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from helpdesk import services as account_services
    from helpdesk.models import Role, User
    from metrics.models import MetricRollup, TicketFact
    from metrics.reporting.formulas import FIGURE_NAMES
    from metrics.reporting.refresh import metrics_refresh

    call_command("collectstatic", "--noinput", verbosity=0)  # production serves hashed names
    from config.gc_tuning import freeze_after_warm_up

    freeze_after_warm_up()  # as config/wsgi.py does once the application is loaded
    manager = User.objects.filter(email=MANAGER_EMAIL).first() or account_services.user_create(
        email=MANAGER_EMAIL, password=None, role=Role.MANAGER, full_name="Bench Manager"
    )
    client = Client()
    client.force_login(manager)
    results["facts"] = TicketFact.objects.count()
    results["rollup_rows"] = MetricRollup.objects.count()
    print(f"{results['facts']:,} facts, {results['rollup_rows']:,} rollup rows")

    sweeps = []
    for _ in range(5):
        started = time.perf_counter()
        metrics_refresh(now=timezone.now())
        sweeps.append((time.perf_counter() - started) * 1000)
    results["sweep_idle_ms"] = {"median": round(statistics.median(sweeps), 1), "max": round(max(sweeps), 1)}
    print(f"refresh sweep, nothing new (live figures included): median {statistics.median(sweeps):.0f} ms")
    # A busy half-minute: 200 open tickets answered by their assignee through the services.
    from tickets import services as ticket_services
    from tickets.models import OPEN_STATUSES, Ticket

    answered = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False)
        .order_by("-id")
        .values_list("id", "assignee_id")[:200]
    )
    agents = {user.pk: user for user in User.objects.filter(pk__in={agent for _, agent in answered})}
    for ticket_id, agent_id in answered:
        ticket_services.message_create(ticket_id=ticket_id, author=agents[agent_id], body="Bench reply.")
    started = time.perf_counter()
    busy = metrics_refresh(now=timezone.now())
    results["sweep_busy"] = {
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "facts_changed": busy.facts_changed,
        "days": busy.days,
        "rows": busy.rows,
    }
    print(
        f"refresh sweep after 200 tickets were answered: {results['sweep_busy']['ms']:.0f} ms "
        f"({busy.facts_changed} facts, {busy.days} days, {busy.rows} rollup rows)"
    )

    keys = {
        "team": TicketFact.objects.exclude(team_id=None).values_list("team_id", flat=True).first(),
        "org": TicketFact.objects.exclude(organization_id=None)
        .values_list("organization_id", flat=True)
        .first(),
        "agent": TicketFact.objects.exclude(assignee_id=None).values_list("assignee_id", flat=True).first(),
        "all": ",".join(FIGURE_NAMES),
    }
    rows = []

    def measure(label: str, kind: str, path: str, params: dict[str, str], target: float) -> None:
        statements = []

        def count(execute: Callable[..., Any], sql: str, *rest: Any) -> Any:
            statements.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            first = client.get(path, params)
        assert first.status_code == 200, (label, first.status_code, first.content[:500])
        timing = _time(lambda: client.get(path, params), requests=args.requests, warmup=args.warmup)
        timing.update(label=label, kind=kind, queries=len(statements), target_ms=target)
        timing["met"] = timing["p95_ms"] <= target and timing["statuses"] == [200]
        rows.append(timing)
        print(
            f"  {label:<38} median {timing['median_ms']:7.2f} ms  p95 {timing['p95_ms']:7.2f} ms  "
            f"({timing['queries']} queries) {'ok' if timing['met'] else 'MISSED'}",
            flush=True,
        )

    print("dashboard (target p95 <= 150 ms):")
    for period in ("1w", "1m", "6m"):
        measure(
            f"SLA dashboard {period}", "dashboard", "/metrics/sla/", {"period": period}, DASHBOARD_TARGET_MS
        )
    print("metrics API (target p95 <= 100 ms):")
    for label, name, params in API_QUERIES:
        filled = {key: value.format(**{k: str(v) for k, v in keys.items()}) for key, value in params.items()}
        measure(label, "api", f"/api/v1/metrics/{name}/", filled, API_TARGET_MS)
    results["queries"] = rows
    dashboard = [row for row in rows if row["kind"] == "dashboard"]
    api = [row for row in rows if row["kind"] == "api"]
    results["dashboard_p95_max_ms"] = max(row["p95_ms"] for row in dashboard)
    results["api_p95_max_ms"] = max(row["p95_ms"] for row in api)
    print(
        f"worst dashboard p95 {results['dashboard_p95_max_ms']:.1f} ms (target 150), "
        f"worst API p95 {results['api_p95_max_ms']:.1f} ms (target 100)"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = f"metrics_bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    (out / name).write_text(json.dumps(results, indent=2, default=str))
    (out / "metrics_bench-latest.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"results: bench/results/{name}")
    return 0 if all(row["met"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
