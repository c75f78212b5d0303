"""Agent workspace benchmark: server-side render time of the At-risk queue and a 50-message ticket page.

    .venv/bin/python bench/workspace_bench.py                       # loads 1,000,000 tickets if empty
    .venv/bin/python bench/workspace_bench.py --tickets 100000 --requests 100   # quicker

Target (issue 4): with 1,000,000 tickets, the At-risk view and a ticket page with 50 messages
each render server-side at p95 <= 100 ms.

Uses its own database (default helpdesk_bench, shared with api_bench.py); when it has no tickets,
bench/load_tickets.py fills it (tickets, events, tags, SLA pins and clocks for open tickets:
about 15% of open tickets at risk, 23% breached). Then, in this process, with production
settings (DEBUG off): signs in an agent of the busiest team through Django's test client, creates
(once) a ticket with 50 messages through the services, and times full request/response cycles
(URL resolution, middleware, view, queries, template rendering) of:

  1. GET /tickets/?view=at-risk      the At-risk view (SLA >= 80%, not breached), first page
  2. GET /tickets/?view=open         All open, in SLA order
  3. GET /tickets/<id>/              the ticket page with 50 messages

Each is warmed up, then requested --requests times; median, p95 and max are printed and written
to bench/results/workspace_bench-<time>.json with the query count of one request of each.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
AGENT_EMAIL = "workspace-bench@bench.example"
TICKET_SUBJECT = "Workspace bench: a conversation of 50 messages"


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "n": len(ordered),
    }


def _ensure_loaded(url: str, tickets: int) -> None:
    import psycopg2

    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg2.connect(admin) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                   check=True)  # fmt: skip
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        have = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sla_slaclock")
        clocks = cursor.fetchone()[0]
    if have >= tickets and clocks:
        print(f"using the {have:,} tickets already in {name}")
        return
    print(f"loading {tickets:,} tickets into {name} (bench/load_tickets.py) ...", flush=True)
    subprocess.run(
        [sys.executable, "bench/load_tickets.py", "--database-url", url, "--tickets", str(tickets), "--truncate",
         "--no-migrate"],
        cwd=ROOT,
        check=True,
    )  # fmt: skip


def _setup_django(url: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="false",
        ALLOWED_HOSTS="testserver",
        DB_CONN_MAX_AGE="600",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)  # production serves hashed names


def _world() -> tuple[Any, int]:
    """The benchmark agent (in the busiest team) and the id of a ticket with 50 messages."""
    from django.db.models import Count

    from helpdesk.models import Team, User
    from tickets import services
    from tickets.models import Ticket

    team = Team.objects.annotate(n=Count("tickets")).order_by("-n").first()
    agent = User.objects.filter(email=AGENT_EMAIL).first()
    if agent is None:
        agent = User.objects.create_user(
            email=AGENT_EMAIL, password=None, full_name="Workspace Bench", role="agent"
        )
    if team is not None:
        team.members.add(agent)
    ticket = Ticket.objects.filter(subject=TICKET_SUBJECT).first()
    if ticket is None:
        requester = User.objects.filter(role="customer").order_by("pk").first()
        ticket = services.ticket_create(requester=requester, subject=TICKET_SUBJECT, team=team, assignee=agent,
                                        description="The export has been failing since Monday.")  # fmt: skip
        for index in range(50):
            author, visibility = (
                (requester, "public")
                if index % 3 == 0
                else (agent, "public" if index % 3 == 1 else "internal")
            )
            services.message_create(
                ticket_id=ticket.pk,
                author=author,
                visibility=visibility,
                body=f"Message {index + 1}: **steps** tried so far, with `logs` and a [link](https://example.com/{index}).\n\n"
                "- one\n- two\n\nThanks.",
            )  # fmt: skip
    return agent, ticket.pk


def _time(client: Any, path: str, requests: int, warmup: int) -> dict[str, Any]:
    from django.db import connection

    for _ in range(warmup):
        response = client.get(path, secure=True)
        if response.status_code != 200:
            sys.exit(f"GET {path} answered {response.status_code}")
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(path, secure=True)
    times = []
    for _ in range(requests):
        begin = time.perf_counter()
        response = client.get(path, secure=True)
        times.append(time.perf_counter() - begin)
        assert response.status_code == 200
    return {
        "path": path,
        **_ms(times),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--tickets", type=int, default=1_000_000, help="load this many when the database has fewer"
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--only", default="at_risk,all_open,ticket_page", help="comma-separated pages to time"
    )
    args = parser.parse_args()
    if urlparse(args.database_url).path.lstrip("/") in {"helpdesk", "postgres"}:
        sys.exit("use a database of its own")
    _ensure_loaded(args.database_url, args.tickets)
    _setup_django(args.database_url)
    from django.test import Client

    from tickets.models import Ticket

    agent, ticket_id = _world()
    client = Client()
    client.force_login(agent)
    report: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tickets": Ticket.objects.count(),
        "cpus": os.cpu_count(),
        "settings": "config.settings.production, DEBUG off, in-process test client",
    }
    for name, path in (("at_risk", "/tickets/?view=at-risk"), ("all_open", "/tickets/?view=open"),
                       ("ticket_page", f"/tickets/{ticket_id}/")):  # fmt: skip
        if name not in args.only.split(","):
            continue
        report[name] = result = _time(client, path, args.requests, args.warmup)
        print(f"{name:12} {path:28} median {result['median_ms']:7.2f} ms  p95 {result['p95_ms']:7.2f} ms  "
              f"max {result['max_ms']:7.2f} ms  {result['queries']} queries  target p95 <= 100 ms", flush=True)  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    text = json.dumps(report, indent=2)
    (RESULTS / f"workspace_bench-{stamp}.json").write_text(text)
    (RESULTS / "workspace_bench-latest.json").write_text(text)
    print(f"wrote bench/results/workspace_bench-{stamp}.json")


if __name__ == "__main__":
    main()
