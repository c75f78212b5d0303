"""Parallel sweepers and escalators on real PostgreSQL: every warning, breach, alert and escalation once.

Each thread has its own database connection (transactional tests), so the row locks, SKIP LOCKED
and the unique indexes are exercised exactly as several Celery workers would exercise them.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from sla.models import SlaClock
from sla.services import clocks_sweep_due
from tests.sla.worker_support import audit, problems, sla_world_create, tickets_create_at
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db(transaction=True)


def _run_in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Start `count` threads at one barrier, each on its own connection; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_parallel_sweepers_and_escalators_act_exactly_once() -> None:
    # given 60 tickets opened 10 to 30 hours ago on 60-minute 24/7 targets: every level of every
    # clock (50, 80, 90, 100 and 200%) is due, none was alerted yet, nothing is locked
    world = sla_world_create(minutes=60)
    now = timezone.now()
    ticket_ids = tickets_create_at(world, [now - timedelta(hours=10 + index % 20) for index in range(60)])
    assert SlaClock.objects.filter(ticket_id__in=ticket_ids, next_check_at__lte=now).count() == 120

    # when six threads sweep (small batches, so they contend) and escalate, in a loop, until
    # nothing is left
    def sweep_and_escalate(index: int) -> None:
        while True:
            fired = clocks_sweep_due(now=timezone.now(), batch_size=7 + index)
            handled = ticket_services.tickets_escalate_breached(now=timezone.now(), batch_size=5 + index)
            if not fired and not handled and not _pending():
                return

    errors = _run_in_threads(6, sweep_and_escalate)

    # then nothing failed, nothing was lost and nothing happened twice
    assert [_describe(error) for error in errors] == []
    report = audit(world, ticket_ids)
    assert problems(report) == {}
    assert (report["clocks"], report["alerts"], report["notifications"], report["escalations"]) == (
        120,
        120 * 5,
        120 * (1 + 2 + 2 + 1),  # 80%: assignee; 90%: lead, assignee; 100%: manager, assignee; 200%: manager
        120,
    )


def test_sweepers_racing_ticket_writes_neither_deadlock_nor_double() -> None:
    # given 40 tickets whose clocks all owe every level
    world = sla_world_create(minutes=60)
    now = timezone.now()
    ticket_ids = tickets_create_at(world, [now - timedelta(hours=10) for _ in range(40)])

    # when agents write to the same tickets (each write locks the ticket and re-plans its clocks)
    # while four threads sweep and escalate
    def work(index: int) -> None:
        if index < 2:
            for ticket_id in ticket_ids[index::2]:
                ticket_services.ticket_update(
                    ticket_id=ticket_id, actor=world.assignee, changes={"subject": f"Edited {ticket_id}"}
                )
            return
        while True:
            fired = clocks_sweep_due(now=timezone.now(), batch_size=3)
            handled = ticket_services.tickets_escalate_breached(now=timezone.now(), batch_size=2)
            if not fired and not handled and not _pending():
                return

    errors = _run_in_threads(6, work)

    # then no write failed (no deadlock), and every alert and escalation happened once
    assert [_describe(error) for error in errors] == []
    report = audit(world, ticket_ids)
    assert problems(report) == {}
    assert (report["alerts"], report["escalations"]) == (80 * 5, 80)


def _pending() -> bool:
    return (
        SlaClock.objects.filter(next_check_at__lte=timezone.now()).exists()
        or SlaClock.objects.filter(escalate_pending=True).exists()
    )


def _describe(error: BaseException) -> Any:
    """The error and the project functions it went through (the write path that deadlocked)."""
    frames = [
        frame.name
        for frame in traceback.extract_tb(error.__traceback__)
        if "/sla/" in frame.filename
        or "/tickets/services/" in frame.filename
        or "/helpdesk/services" in frame.filename
    ]
    return (
        f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''} via {' > '.join(frames)}"
    )
