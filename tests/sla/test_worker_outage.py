"""The SLA sweep under real Celery processes: a worker killed mid-batch, Redis down, two beats.

Every test runs its own non-persistent redis-server on a free port (broker and cache), Celery
workers and beats as child processes against the pytest database, and the file e-mail backend
in the test's tmp dir. What is checked is always the same: every level of every clock recorded
once, every alert to each recipient once, every breached first-response/resolution clock
escalated once, and (where beat runs the mail task) every alert e-mailed once.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from helpdesk import ratelimit
from helpdesk.models import Notification
from sla.models import SlaClock, SlaEvent
from tests.sla.worker_support import (
    CeleryStack,
    RedisServer,
    SlaWorld,
    audit,
    celery_client,
    problems,
    sent_mail,
    sla_world_create,
    tickets_clone,
    tickets_create_at,
    wait_until,
)
from tickets import services as ticket_services

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ALERT_KINDS = ["warned", "breached", "severely_breached"]
# How long Redis stays down in the outage test; run it once with 600 for the ten minutes.
OUTAGE_SECONDS = float(os.environ.get("SLA_OUTAGE_SECONDS", "20"))


def _alerts(ticket_ids: list[int] | None = None) -> int:
    rows = SlaEvent.objects.filter(kind__in=ALERT_KINDS)
    return (rows.filter(ticket_id__in=ticket_ids) if ticket_ids else rows).count()


def _settled(world: SlaWorld, ticket_ids: list[int]) -> dict[str, Any] | None:
    """The audit once nothing is due, pending or unsent any more (None while work remains)."""
    if SlaClock.objects.filter(next_check_at__lte=timezone.now()).exists():
        return None
    if SlaClock.objects.filter(escalate_pending=True).exists():
        return None
    report = audit(world, ticket_ids)
    return None if problems(report) else report


def _mail_settled(directory: Path) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]] | None:
    """(owed, sent) mail as (recipient, subject) counters, once every alert is marked e-mailed."""
    if Notification.objects.filter(email_due=True, emailed_at__isnull=True).exists():
        return None
    owed = Counter(
        (email, f"[Helpdesk] {title}")
        for email, title in Notification.objects.values_list("recipient__email", "title")
    )
    return owed, Counter(sent_mail(directory))


def _drain_mail(stack: CeleryStack, redis_server: RedisServer) -> Any:
    """Wait until every alert is e-mailed; return (owed, sent) mail counters.

    The mail task sends at most 200 messages per run and beat runs it every 30 s, so a burst of
    thousands of alerts would take minutes: the test also sends enough runs at once, which then
    race each other for the same rows (SKIP LOCKED) as well as beat's own runs.
    """
    unsent = Notification.objects.filter(email_due=True, emailed_at__isnull=True).count()
    client = celery_client(redis_server.url)
    for _ in range(unsent // 200 + 2):
        client.send_task("helpdesk.email_due_notifications")
    return wait_until(lambda: _mail_settled(stack.mail_dir), timeout=60, interval=0.5, what="the e-mails")


def test_worker_killed_mid_batch_loses_and_doubles_nothing(
    stack: CeleryStack, redis_server: RedisServer
) -> None:
    # given 1,000 tickets (2,000 clocks) opened 10 hours ago on 60-minute targets: 10,000 levels due
    world = sla_world_create(minutes=60)
    [template] = tickets_create_at(world, [timezone.now() - timedelta(hours=10)])
    ticket_ids = [template, *tickets_clone(template, 999)]
    owed = SlaClock.objects.filter(ticket_id__in=ticket_ids).count() * 5
    assert owed == 10_000
    client = celery_client(redis_server.url)

    # when a worker starts the sweep and is SIGKILLed (with its pool child) once some batches
    # have committed but not all
    first = stack.worker("worker-1")
    client.send_task("sla.sweep_due_clocks")
    wait_until(lambda: _alerts() > 0, timeout=60, interval=0.01, what="the first committed batch")
    first.kill()
    at_kill = _alerts()
    time.sleep(0.5)  # the killed connection's transaction is rolled back, not committed late

    # then the half-done batch left nothing behind
    assert 0 < at_kill < owed
    assert _alerts() == at_kill
    assert SlaEvent.objects.filter(kind="escalated").count() == 0

    # when a new worker sweeps again
    stack.worker("worker-2")
    client.send_task("sla.sweep_due_clocks")
    wait_until(lambda: _alerts() == owed, timeout=90, interval=0.2, what="the remaining alerts")
    wait_until(
        lambda: not SlaClock.objects.filter(next_check_at__lte=timezone.now()).exists(),
        timeout=30,
        what="the sweep to finish",
    )

    # then every level and alert exists once; the escalations are owed once each (not yet run)
    report = audit(world, ticket_ids)
    owed_problems = problems(report)
    assert set(owed_problems) == {"lost_escalations", "ticket_escalations_off"}
    assert report["alerts"] == owed
    assert report["notifications"] == 2_000 * 6
    assert SlaClock.objects.filter(escalate_pending=True).count() == 2_000


def test_redis_outage_keeps_writes_working_and_backlog_fires_once(
    stack: CeleryStack, redis_server: RedisServer, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a worker and beat (the real beat_schedule) on a private Redis, and 20 tickets whose
    # levels were all due at start, swept and alerted before the outage
    world = sla_world_create(minutes=1)
    stack.worker("worker", concurrency=2)
    stack.beat("beat")
    before = tickets_create_at(world, [timezone.now() - timedelta(minutes=5)] * 20)
    wait_until(
        lambda: _alerts(before) == 20 * 2 * 5, timeout=30, interval=0.2, what="alerts before the outage"
    )
    # the API's rate limiter talks to the same (soon dead) Redis
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": redis_server.url},
    }
    monkeypatch.setattr(ratelimit, "_client", None)

    # when Redis is down for OUTAGE_SECONDS (20 s in CI; the ten minutes is the same
    # test run with SLA_OUTAGE_SECONDS=600), during which agents keep writing: new tickets whose
    # levels come due during the outage, an edit, and a ticket created through the API
    redis_server.kill()
    outage_started = time.monotonic()
    now = timezone.now()
    during = tickets_create_at(world, [now - timedelta(seconds=100 + index % 15) for index in range(40)])
    ticket_services.ticket_update(
        ticket_id=before[0], actor=world.assignee, changes={"subject": "Edited in outage"}
    )
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user=world.assignee)
    with time_machine.travel(now - timedelta(seconds=100), tick=False):
        response = api.post(
            "/api/v1/tickets/",
            {"subject": "Created in the outage", "requester": world.requester.pk, "assignee": world.assignee.pk,
             "team": world.team.pk, "priority": "p2"},
            format="json",
        )  # fmt: skip
    assert response.status_code == 201, response.content
    during.append(response.json()["id"])
    assert all(process.alive() for process in stack.processes)
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
    assert _alerts(during) == 0  # nothing could be swept: no broker, no task
    assert all(process.alive() for process in stack.processes)  # and nobody crashed

    # when Redis comes back (empty: nothing survived the outage, no message was queued)
    redis_server.start()

    # then the backlog is worked off by beat alone: every level, alert and escalation once
    report = wait_until(
        lambda: _settled(world, before + during), timeout=90, interval=0.5, what="the backlog"
    )
    assert (report["clocks"], report["alerts"], report["escalations"]) == (122, 610, 122)  # 61 tickets
    # and every alert was e-mailed exactly once
    owed, sent = _drain_mail(stack, redis_server)
    assert sent == owed
    assert sum(owed.values()) == report["notifications"] == 122 * 6


def test_two_beats_double_nothing(stack: CeleryStack, redis_server: RedisServer) -> None:
    # given two beat processes (separate schedule files, so each sends every task) and two
    # workers, and 200 tickets whose 200% level comes due during the next 15-30 s, in bursts of
    # 40 clocks in the same instant (the other levels are due at once)
    stack.worker("worker-1", concurrency=2)
    stack.worker("worker-2", concurrency=2)
    world = sla_world_create(minutes=1)
    now = timezone.now()
    templates = tickets_create_at(world, [now - timedelta(seconds=105 - 4 * index) for index in range(5)])
    ticket_ids = [*templates, *(clone for template in templates for clone in tickets_clone(template, 39))]

    # when both beats run the real schedule over the window
    stack.beat("beat-1")
    stack.beat("beat-2")

    # then every level, alert, escalation and e-mail happened exactly once
    report = wait_until(lambda: _settled(world, ticket_ids), timeout=90, interval=0.5, what="all levels")
    assert (report["clocks"], report["alerts"], report["escalations"]) == (400, 2000, 400)
    owed, sent = _drain_mail(stack, redis_server)
    assert sent == owed
    assert sum(owed.values()) == 400 * 6
    beat_logs = "".join(process.output() for process in stack.processes if process.name.startswith("beat"))
    assert beat_logs.count("Sending due task sla-sweep-due-clocks") >= 4  # both beats really sent
