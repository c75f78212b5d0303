"""Benchmark the ticket API against a loaded database, through a real gunicorn server.

Starts gunicorn (config.wsgi, production settings, DEBUG off) on a free 127.0.0.1 port, creates a
benchmark agent with an API token, then measures:

  list    GET /api/v1/tickets/?team=<id>&is_open=true&page_size=25 with 4 concurrent clients
          (every 4th request follows the previous page's `next` cursor)
  create  POST /api/v1/tickets/ with 8 concurrent clients, each with a unique Idempotency-Key

The load generator is Python threads, one keep-alive http.client connection each (cheap on CPU;
its own CPU use is measured and reported, since it shares the 2 cores with server and Postgres).
Prints a summary table and writes JSON to bench/results/.

    .venv/bin/python bench/api_bench.py --workers 4 --worker-class sync
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
BENCH_AGENT = "bench-agent@bench.example"
OPEN = ("new", "triaged", "assigned", "in_progress", "pending", "on_hold", "escalated", "engineering")


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int


@dataclass
class Phase:
    name: str
    concurrency: int
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0
    client_cpu: float = 0.0
    system_cpu: float = 0.0
    load_average: float = 0.0
    process_cpu: dict[str, float] = field(default_factory=dict)

    def cpu(self) -> dict[str, Any]:
        """Return where CPU went: cores busy on average (client, server, Postgres, anything else on the
        machine) and CPU ms per successful request, which contention distorts far less than latency.
        """
        ours = self.client_cpu + sum(self.process_cpu.values())
        done = sum(1 for s in self.samples if 200 <= s.status < 300) or 1
        return {
            "client_cpu_cores": round(self.client_cpu, 2),
            **{f"{label}_cpu_cores": value for label, value in self.process_cpu.items()},
            "other_cpu_cores": round(max(self.system_cpu - ours, 0.0), 2),
            "machine_cpu_cores": round(self.system_cpu, 2),
            **{
                f"{label}_cpu_ms_per_request": round(value * self.wall / done * 1000, 2)
                for label, value in self.process_cpu.items()
            },
            "load_average_1m_at_start": round(self.load_average, 2),
        }

    def summary(self, kind: str | None = None) -> dict[str, Any]:
        chosen = [s for s in self.samples if kind is None or s.kind == kind]
        ok = sorted(s.seconds * 1000 for s in chosen if 200 <= s.status < 300)
        errors = sum(1 for s in chosen if not 200 <= s.status < 300)
        if not ok:
            return {"requests": len(chosen), "errors": errors}
        return {
            "requests": len(chosen),
            "errors": errors,
            "per_second": round(len(ok) / self.wall, 1) if kind is None else None,
            "median_ms": round(statistics.median(ok), 2),
            "p95_ms": round(_percentile(ok, 95), 2),
            "p99_ms": round(_percentile(ok, 99), 2),
            "max_ms": round(ok[-1], 2),
        }


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _cpu_times() -> tuple[float, float]:
    """Return (busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _process_cpu(pids: list[int]) -> float:
    """Return the CPU seconds (user + system) used so far by the given live processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _postgres_backends(database_url: str) -> list[int]:
    """Return the pids of Postgres backends serving the benchmark database (the server's connections)."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def _wait_quiet(limit: float, timeout: float) -> float:
    """Wait (up to `timeout` s) until other work on the box uses under `limit` cores; return that use.

    Others share this machine (test suites, editors); a benchmark run beside them measures them.
    """
    deadline = time.monotonic() + timeout
    while True:
        busy_before, all_before = _cpu_times()
        time.sleep(3)
        busy_after, all_after = _cpu_times()
        busy = (busy_after - busy_before) / max(all_after - all_before, 1) * (os.cpu_count() or 1)
        if busy < limit or time.monotonic() >= deadline:
            return busy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Client:
    """One keep-alive HTTP connection; reconnects when the server closes it (sync workers do)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers={**self.headers, **headers})
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, data
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def run_phase(
    name: str,
    concurrency: int,
    total: int,
    make_worker: Callable[[int], Callable[[int], Sample]],
    watch: dict[str, list[int]] | None = None,
) -> Phase:
    """Run `total` requests over `concurrency` threads; each thread's callable does one request."""
    phase = Phase(name, concurrency)
    lock = threading.Lock()
    remaining = [total]

    def loop(index: int) -> None:
        do_one = make_worker(index)
        number = 0
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            sample = do_one(number)
            number += 1
            with lock:
                phase.samples.append(sample)

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(concurrency)]
    watched_before = {label: _process_cpu(pids) for label, pids in (watch or {}).items()}
    phase.load_average = os.getloadavg()[0]
    cpu_before, (busy_before, all_before) = resource.getrusage(resource.RUSAGE_SELF), _cpu_times()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.wall = time.perf_counter() - started
    cpu_after, (busy_after, all_after) = resource.getrusage(resource.RUSAGE_SELF), _cpu_times()
    used = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    phase.client_cpu = used / phase.wall  # in cores
    phase.system_cpu = (busy_after - busy_before) / max(all_after - all_before, 1) * (os.cpu_count() or 1)
    phase.process_cpu = {
        label: round((_process_cpu(pids) - watched_before[label]) / phase.wall, 2)
        for label, pids in (watch or {}).items()
    }
    return phase


def list_worker(port: int, token: str, team_id: int) -> Callable[[int], Callable[[int], Sample]]:
    first_page = f"/api/v1/tickets/?team={team_id}&is_open=true&page_size=25"

    def make(index: int) -> Callable[[int], Sample]:
        client = Client(port, token)
        state: dict[str, str | None] = {"next": None}

        def one(number: int) -> Sample:
            # Every 4th request pages on from the previous response (a client scrolling the queue).
            follow = number % 4 == 3 and state["next"]
            path = first_page
            if follow:
                parts = urlsplit(str(state["next"]))
                path = f"{parts.path}?{parts.query}"
            started = time.perf_counter()
            status, body = client.request("GET", path)
            elapsed = time.perf_counter() - started
            if number % 4 == 2 or follow:
                state["next"] = json.loads(body).get("next") if status == 200 else None
            return Sample("next" if follow else "first", elapsed, status)

        return one

    return make


def create_worker(
    port: int, token: str, requester_id: int, run_id: str
) -> Callable[[int], Callable[[int], Sample]]:
    priorities = ("p3", "p3", "p4", "p2", "p3", "p5", "p4", "p1")

    def make(index: int) -> Callable[[int], Sample]:
        client = Client(port, token)

        def one(number: int) -> Sample:
            body = json.dumps(
                {
                    "subject": f"Benchmark ticket {run_id}-{index}-{number}",
                    "description": "Created by bench/api_bench.py to measure ticket creation throughput.",
                    "priority": priorities[number % len(priorities)],
                    "requester": requester_id,
                }
            ).encode()
            started = time.perf_counter()
            status, _ = client.request(
                "POST",
                "/api/v1/tickets/",
                body,
                **{"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
            )
            return Sample("create", time.perf_counter() - started, status)

        return one

    return make


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_data(team: int | None) -> dict[str, Any]:
    """Create (or reuse) the benchmark agent, issue a fresh token, and pick the team and requester."""
    from django.db import connection

    from helpdesk import services
    from helpdesk.models import Role, User

    agent = User.objects.filter(email=BENCH_AGENT).first() or services.user_create(
        email=BENCH_AGENT, role=Role.AGENT, full_name="Benchmark agent", support_tier="l1"
    )
    _, token = services.api_token_create(user=agent, name="api_bench", rate_limit_per_minute=10_000_000)
    with connection.cursor() as cursor:
        if team is None:
            # The team with the most open tickets: the worst case for the list.
            cursor.execute(
                "SELECT team_id, count(*) FROM tickets_ticket WHERE status = ANY(%s) AND team_id IS NOT NULL "
                "GROUP BY team_id ORDER BY count(*) DESC LIMIT 1",
                [list(OPEN)],
            )
            row = cursor.fetchone()
            if row is None:
                raise SystemExit("No open tickets with a team: load data first (bench/load_tickets.py).")
            team = int(row[0])
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        tickets = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM tickets_ticket WHERE team_id = %s AND status = ANY(%s)", [team, list(OPEN)]
        )
        team_open = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM helpdesk_user WHERE role = 'customer' ORDER BY id LIMIT 1")
        requester = cursor.fetchone()[0]
    connection.close()
    return {"token": token, "team": team, "team_open": team_open, "tickets": tickets, "requester": requester}


def explain_list(token: str, team: int) -> dict[str, Any]:
    """Run the list request in-process, count its queries and EXPLAIN ANALYZE the ticket query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/tickets/?team={team}&is_open=true&page_size=25"
    client.get(url, SERVER_NAME="127.0.0.1")  # warm caches and connection
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, SERVER_NAME="127.0.0.1")
    queries = [q["sql"] for q in captured.captured_queries]
    main = next((q for q in queries if 'FROM "tickets_ticket"' in q and "LIMIT 26" in q), None)
    plan = ""
    if main:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + main)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    connection.close()
    return {"status": response.status_code, "queries": len(queries), "sql": queries, "plan": plan}


def start_server(args: argparse.Namespace, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", args.worker_class,
        "--threads", str(args.threads),
        "--keep-alive", "30",
        "--backlog", "256",
        "--log-level", "warning",
        "--preload",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)


def wait_ready(port: int, token: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            status, body = Client(port, token).request("GET", "/api/v1/tickets/?page_size=1")
            if status == 200:
                return
            raise SystemExit(f"Server answered {status}: {body[:300]!r}")
        except OSError:
            time.sleep(0.3)
    raise SystemExit("Server did not become ready")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def print_table(rows: list[tuple[str, dict[str, Any]]]) -> None:
    header = (
        f"{'phase':<22}{'requests':>9}{'errors':>7}{'req/s':>9}{'median':>9}{'p95':>9}{'p99':>9}{'max':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, s in rows:
        rate = f"{s['per_second']:.1f}" if s.get("per_second") else "-"
        if "median_ms" not in s:
            print(f"{name:<22}{s['requests']:>9}{s['errors']:>7}")
            continue
        print(
            f"{name:<22}{s['requests']:>9}{s['errors']:>7}{rate:>9}{s['median_ms']:>8.1f}m{s['p95_ms']:>8.1f}m"
            f"{s['p99_ms']:>8.1f}m{s['max_ms']:>8.1f}m"
        )
    print("(latencies in ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the ticket list and create API endpoints.")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="Threads per worker (gthread).")
    parser.add_argument("--team", type=int, help="Team id to list (default: the one with most open tickets).")
    parser.add_argument("--list-requests", type=int, default=4000)
    parser.add_argument("--list-concurrency", type=int, default=4)
    parser.add_argument("--create-requests", type=int, default=3000)
    parser.add_argument("--create-concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=300, help="Requests of each kind before measuring.")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--dry-run", action="store_true", help="Tiny run to check the plumbing.")
    parser.add_argument(
        "--quiet-cores",
        type=float,
        default=0.3,
        help="Before measuring, wait until other work on the machine uses fewer cores than this.",
    )
    parser.add_argument("--quiet-timeout", type=float, default=120, help="Wait at most this many seconds.")
    args = parser.parse_args()
    if args.dry_run:
        args.list_requests, args.create_requests, args.warmup, args.quiet_timeout = 40, 40, 8, 0
    if args.worker_class == "sync":
        args.threads = 1
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),  # whitenoise warns when it is missing
    }
    setup_django(env)
    data = prepare_data(args.team)
    token, team = data["token"], data["team"]
    explain = {} if args.no_explain else explain_list(token, team)
    port = _free_port()
    server = start_server(args, env, port)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    results: dict[str, Any] = {
        "run": run_id,
        "server": f"gunicorn {args.worker_class}, {args.workers} workers x {args.threads} threads",
        "load_generator": "python threads + http.client keep-alive",
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "dataset": {k: v for k, v in data.items() if k != "token"},
        "explain": explain,
        "phases": {},
    }
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        wait_ready(port, token, server)
        watch: dict[str, list[int]] = {}
        if not args.skip_list:
            run_phase("warmup", args.list_concurrency, args.warmup, list_worker(port, token, team))
            watch = {"gunicorn": [server.pid, *_children(server.pid)]}
            watch["postgres"] = _postgres_backends(args.database_url)
            busy_before = _wait_quiet(args.quiet_cores, args.quiet_timeout)
            worker = list_worker(port, token, team)
            phase = run_phase("list", args.list_concurrency, args.list_requests, worker, watch)
            summary = {
                **phase.summary(),
                "idle_machine_cpu_cores_before": round(busy_before, 2),
                "first_page": phase.summary("first"),
                "next_page": phase.summary("next"),
                **phase.cpu(),
            }
            results["phases"]["list"] = summary
            rows.append((f"list x{args.list_concurrency} (all)", summary))
            rows.append(("  first page", summary["first_page"]))
            rows.append(("  next (cursor) page", summary["next_page"]))
        if not args.skip_create:
            requester = data["requester"]
            worker = create_worker(port, token, requester, run_id + "w")
            run_phase("warmup", args.create_concurrency, args.warmup, worker)
            watch = {"gunicorn": [server.pid, *_children(server.pid)]}
            watch["postgres"] = _postgres_backends(args.database_url)
            busy_before = _wait_quiet(args.quiet_cores, args.quiet_timeout)
            worker = create_worker(port, token, requester, run_id)
            phase = run_phase("create", args.create_concurrency, args.create_requests, worker, watch)
            summary = {
                **phase.summary(),
                "idle_machine_cpu_cores_before": round(busy_before, 2),
                **phase.cpu(),
            }
            results["phases"]["create"] = summary
            rows.append((f"create x{args.create_concurrency}", summary))
    finally:
        stop_server(server)
    print()
    print(f"Server: {results['server']} (config.settings.production, DEBUG off)")
    print(f"Load generator: {results['load_generator']}; machine has {os.cpu_count()} CPUs")
    dataset = results["dataset"]
    print(f"Dataset: {dataset['tickets']:,} tickets; team {team} has {dataset['team_open']:,} open tickets")
    if explain:
        print(f"List request runs {explain['queries']} queries; ticket query plan:")
        print("    " + explain["plan"].replace("\n", "\n    "))
    print()
    print_table(rows)
    for name in ("list", "create"):
        if name in results["phases"]:
            phase_result = results["phases"][name]
            cores = {k: v for k, v in phase_result.items() if k.endswith("_cpu_cores")}
            per_request = {k: v for k, v in phase_result.items() if k.endswith("_per_request")}
            print(f"{name} CPU, cores busy on average: " + ", ".join(f"{k}={v}" for k, v in cores.items()))
            print("  CPU ms per request: " + ", ".join(f"{k}={v}" for k, v in per_request.items()))
            print(f"  idle machine used {phase_result['idle_machine_cpu_cores_before']} cores just before")
    if args.dry_run:
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"api_bench-{run_id}-{args.worker_class}-{args.workers}x{args.threads}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    shutil.copyfile(path, RESULTS / "api_bench-latest.json")
    print(f"\nWrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
