"""Real processes for the SLA background tests: a private redis-server, Celery workers and beats.

Every process starts in its own session (process group), writes its output to a log file in the
test's tmp dir, and is killed by its group id, never by name. Readiness is read from the log
(or a PING for Redis) with a deadline, so tests wait no longer than they must.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy; return it, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


@dataclass
class Process:
    """A child process in its own process group, its output in `log`."""

    name: str
    args: list[str]
    env: Mapping[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self.args,
            env=dict(self.env),
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_output(self, text: str, *, timeout: float = 30.0) -> None:
        def seen() -> bool:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited early:\n{self.output()[-3000:]}")
            return text in self.output()

        wait_until(seen, timeout=timeout, what=f"{self.name} to print {text!r}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the whole process group (a prefork worker's pool children die with it)."""
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), SIGKILL if it lingers."""
        self.kill(signal.SIGTERM)


class RedisServer:
    """A private, non-persistent redis-server on a free port, that can be killed and restarted."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        self.process = Process("redis", args, dict(os.environ), self.directory / "redis.log").start()
        wait_until(self.ping, timeout=10, what="redis-server to answer PING")
        return self

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.2, socket_connect_timeout=0.2).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def queue_length(self, queue: str = "celery") -> int:
        return int(redis.Redis(port=self.port).llen(queue))


@dataclass
class CeleryStack:
    """Celery workers and beats against one database and one broker, all cleaned up by `close()`."""

    database_name: str
    broker_url: str
    directory: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.directory / "mail"

    def env(self) -> dict[str, str]:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{self.database_name}",
            TEST_REDIS_URL=self.broker_url,
            TEST_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            TEST_EMAIL_FILE_PATH=str(self.mail_dir),
            DB_CONN_MAX_AGE="0",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def worker(self, name: str, *, concurrency: int = 1, pool: str = "prefork") -> Process:
        args = [
            CELERY, "-A", "config", "worker", "--pool", pool, "--concurrency", str(concurrency),
            "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--prefetch-multiplier", "1", "--loglevel", "INFO",
        ]  # fmt: skip
        process = Process(name, args, self.env(), self.directory / f"{name}.log").start()
        self.processes.append(process)
        process.wait_for_output("ready.", timeout=30)
        return process

    def beat(self, name: str) -> Process:
        args = [
            CELERY, "-A", "config", "beat", "--loglevel", "INFO",
            "--schedule", str(self.directory / f"{name}-schedule"),
            "--pidfile", str(self.directory / f"{name}.pid"),
        ]  # fmt: skip
        process = Process(name, args, self.env(), self.directory / f"{name}.log").start()
        self.processes.append(process)
        process.wait_for_output("beat: Starting...", timeout=30)
        return process

    def close(self) -> None:
        for process in reversed(self.processes):
            process.kill()
        self.processes.clear()


def celery_client(broker_url: str) -> Any:
    """A Celery app for sending tasks by name to `broker_url` from the test process."""
    from celery import Celery

    client = Celery("sla-tests", broker=broker_url)
    client.conf.broker_connection_retry_on_startup = False
    return client


def sent_mail(directory: Path) -> list[tuple[str, str]]:
    """Return (recipient, subject) of every message the file-based email backend wrote."""
    messages: list[tuple[str, str]] = []
    if not directory.exists():
        return messages
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = message_from_bytes(chunk.strip(b"\n"))
                messages.append((str(message["To"]), str(message["Subject"])))
    return messages


def iter_logs(processes: list[Process]) -> Iterator[str]:
    for process in processes:
        yield f"===== {process.name} =====\n{process.output()[-4000:]}"


# --- The data every SLA background test needs ------------------------------------------------

ESCALATING = ("first_response", "resolution")
LEVELS = (50, 80, 90, 100, 200)


@dataclass
class SlaWorld:
    """A 24/7 policy with `minutes`-long targets, and people for every alert: manager, lead, assignee."""

    policy_id: int
    requester: Any
    assignee: Any
    lead: Any
    manager: Any
    team: Any


def sla_world_create(*, minutes: int) -> SlaWorld:
    """Create the policy (first in match order) and the people; call inside the test's database."""
    from helpdesk.models import Role
    from sla.models import SlaMetric, SlaPolicy
    from sla.services import policy_fill_matrix, policy_publish
    from sla.services.policies import policy_cache_clear
    from tests.factories import AgentFactory, CustomerFactory, TeamFactory, UserFactory
    from tickets.models import Priority

    policy = SlaPolicy.objects.create(name="Concurrency 24/7", position=1, is_default=False)
    base = {
        priority: {
            SlaMetric.FIRST_RESPONSE: (minutes, False),
            SlaMetric.NEXT_REPLY: (minutes, False),
            SlaMetric.PERIODIC_UPDATE: (None, False),
            SlaMetric.RESOLUTION: (minutes, False),
        }
        for priority in Priority.values
    }
    policy_fill_matrix(
        policy_id=policy.pk,
        base=base,
        multipliers=dict.fromkeys(["enterprise", "business", "professional", "starter", "free"], 1.0),
    )
    policy_publish(policy_id=policy.pk)
    policy_cache_clear()
    lead = AgentFactory(email="lead@sla.test")
    assignee = AgentFactory(email="assignee@sla.test")
    team = TeamFactory(name="Sweepers", slug="sweepers", lead=lead)
    team.members.add(lead, assignee)
    return SlaWorld(
        policy_id=policy.pk,
        requester=CustomerFactory(email="customer@sla.test"),
        assignee=assignee,
        lead=lead,
        manager=UserFactory(email="manager@sla.test", role=Role.MANAGER),
        team=team,
    )


def tickets_create_at(world: SlaWorld, instants: list[Any]) -> list[int]:
    """Open one ticket per instant through tickets.services, as if at that instant (clocks live then)."""
    import time_machine

    from tickets import services as ticket_services

    ids = []
    for index, instant in enumerate(instants):
        with time_machine.travel(instant, tick=False):
            ticket = ticket_services.ticket_create(
                requester=world.requester,
                subject=f"Concurrency {index}",
                description="It is broken.",
                team=world.team,
                assignee=world.assignee,
                priority="p2",
            )
        ids.append(ticket.pk)
    return ids


def expected_recipients(world: SlaWorld, level: int) -> set[int]:
    """Who sla.services.sweep alerts at `level` for a ticket of this world (director unset)."""
    if level >= 200:
        return {world.manager.pk}
    if level >= 100:
        return {world.manager.pk, world.assignee.pk}
    if level >= 90:
        return {world.lead.pk, world.assignee.pk}
    if level >= 80:
        return {world.assignee.pk}
    return set()


def audit(world: SlaWorld, ticket_ids: list[int], *, levels: tuple[int, ...] = LEVELS) -> dict[str, Any]:
    """Compare what was recorded with what is owed; every list in the result is empty when exact.

    Owed: every level of every clock (the caller waits until all are due), one notification per
    (cause, recipient), one escalation per breached first-response/resolution clock, shown on the
    ticket as an ESCALATED event or an internal "SLA breach" note.
    """
    from collections import Counter

    from helpdesk.models import Notification
    from sla.models import SlaClock, SlaEvent
    from tickets.models import MessageVisibility, TicketEvent, TicketEventKind, TicketMessage

    clocks = list(SlaClock.objects.filter(ticket_id__in=ticket_ids))
    alert_rows = Counter(
        SlaEvent.objects.filter(
            ticket_id__in=ticket_ids, kind__in=["warned", "breached", "severely_breached"]
        ).values_list("clock_id", "level")
    )
    escalation_rows = Counter(
        SlaEvent.objects.filter(ticket_id__in=ticket_ids, kind="escalated").values_list("clock_id", flat=True)
    )
    notification_rows = Counter(
        Notification.objects.filter(ticket_id__in=ticket_ids, source__startswith="sla.clock:").values_list(
            "source", "recipient_id"
        )
    )
    owed_alerts = {(clock.pk, level) for clock in clocks for level in levels}
    owed_notifications = {
        (f"sla.clock:{clock.pk}:{level}", recipient)
        for clock in clocks
        for level in levels
        for recipient in expected_recipients(world, level)
    }
    owed_escalations = {clock.pk for clock in clocks if clock.metric in ESCALATING and 100 in levels}
    escalated_on_ticket = Counter(
        TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind=TicketEventKind.ESCALATED).values_list(
            "ticket_id", flat=True
        )
    ) + Counter(
        TicketMessage.objects.filter(
            ticket_id__in=ticket_ids,
            visibility=MessageVisibility.INTERNAL,
            body__startswith="**SLA breach.**",
        ).values_list("ticket_id", flat=True)
    )
    owed_on_ticket = Counter(clock.ticket_id for clock in clocks if clock.pk in owed_escalations)
    return {
        "clocks": len(clocks),
        "alerts": sum(alert_rows.values()),
        "notifications": sum(notification_rows.values()),
        "escalations": sum(escalation_rows.values()),
        "lost_alerts": sorted(owed_alerts - set(alert_rows)),
        "doubled_alerts": sorted(key for key, count in alert_rows.items() if count > 1),
        "unexpected_alerts": sorted(set(alert_rows) - owed_alerts),
        "lost_notifications": sorted(owed_notifications - set(notification_rows)),
        "doubled_notifications": sorted(key for key, count in notification_rows.items() if count > 1),
        "unexpected_notifications": sorted(set(notification_rows) - owed_notifications),
        "lost_escalations": sorted(owed_escalations - set(escalation_rows)),
        "doubled_escalations": sorted(key for key, count in escalation_rows.items() if count > 1),
        # Clocks of one ticket claimed together escalate it once; claimed apart, once each.
        "ticket_escalations_off": sorted(
            (ticket_id, owed_on_ticket[ticket_id], escalated_on_ticket[ticket_id])
            for ticket_id in set(owed_on_ticket) | set(escalated_on_ticket)
            if not 1 <= escalated_on_ticket[ticket_id] <= owed_on_ticket[ticket_id]
        ),
        "wrong_warned_level": sorted(clock.pk for clock in clocks if clock.warned_level != max(levels)),
    }


PROBLEM_KEYS = (
    "lost_alerts", "doubled_alerts", "unexpected_alerts", "lost_notifications", "doubled_notifications",
    "unexpected_notifications", "lost_escalations", "doubled_escalations", "ticket_escalations_off",
    "wrong_warned_level",
)  # fmt: skip


def problems(report: Mapping[str, Any]) -> dict[str, Any]:
    """The non-empty problem lists of an `audit` report (first few entries each)."""
    return {key: report[key][:5] for key in PROBLEM_KEYS if report[key]}


def _columns(model: Any, *, skip: tuple[str, ...]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in skip and not f.primary_key]


def tickets_clone(template_id: int, copies: int) -> list[int]:
    """Copy a ticket `copies` times in SQL with its events, policy pin and clocks; return the new ids.

    Creating thousands of tickets through the services takes minutes; copies of one service-made
    ticket have the same rows the services would have written (same instants, same clock state).
    """
    from django.db import connection

    from sla.models import SlaClock, TicketSla
    from tickets.models import Ticket, TicketEvent

    ticket_cols = ", ".join(_columns(Ticket, skip=()))
    event_cols = _columns(TicketEvent, skip=("ticket_id",))
    sla_cols = _columns(TicketSla, skip=("ticket_id",))
    clock_cols = _columns(SlaClock, skip=("ticket_id",))

    def copy_of(table: str, columns: list[str]) -> str:
        listed = ", ".join(columns)
        picked = ", ".join(f"r.{column}" for column in columns)
        return (
            f"INSERT INTO {table} (ticket_id, {listed}) "  # noqa: S608 - names from model meta
            f"SELECT n.id, {picked} FROM new n, {table} r WHERE r.ticket_id = %(t)s"
        )

    sql = (
        f"WITH new AS (INSERT INTO {Ticket._meta.db_table} ({ticket_cols}) "  # noqa: S608 - names from model meta
        f"SELECT {ticket_cols} FROM {Ticket._meta.db_table}, generate_series(1, %(n)s) WHERE id = %(t)s RETURNING id), "
        f"e AS ({copy_of(TicketEvent._meta.db_table, event_cols)}), "
        f"s AS ({copy_of(TicketSla._meta.db_table, ['policy_version_id', 'applied_at', 'matched_on'])}), "
        f"c AS ({copy_of(SlaClock._meta.db_table, clock_cols)}) "
        "SELECT id FROM new ORDER BY id"
    )
    assert set(sla_cols) == {"policy_version_id", "applied_at", "matched_on"}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"t": template_id, "n": copies})
        return [row[0] for row in cursor.fetchall()]
