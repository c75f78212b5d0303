"""Survey timers with a real Redis, Celery worker and beat (the real beat_schedule): a survey goes
out once, on time, not for a reopened ticket, and one that came due while no worker ran goes out
when a worker is back, once. The processes come from tests/sla/worker_support.py.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from helpdesk.models import User
from metrics.models import Survey, SurveySettings, SurveyStatus
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tests.sla.worker_support import (
    CeleryStack,
    Process,
    RedisServer,
    celery_client,
    sent_mail,
    wait_until,
)
from tickets import services as ticket_services
from tickets.models import Ticket, TicketStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DELAY = timedelta(seconds=3)
SWEEP_EVERY = timedelta(seconds=celery_app.conf.beat_schedule["metrics-sweep-surveys"]["schedule"])
# Beat's clock, a worker picking the task up and the sweep itself, on a busy CI machine.
SLACK = timedelta(seconds=4)
SUBJECT = re.compile(r"\[Helpdesk\] How did we do\? Ticket #(\d+): ")


@pytest.fixture
def agent(transactional_db: None) -> User:
    SurveySettings.objects.update_or_create(pk=1, defaults={"csat_delay": DELAY})
    lead = AgentFactory(email="lead@worker.test")
    agent = AgentFactory(email="agent@worker.test")
    team = TeamFactory(name="Worker team", slug="worker-team", lead=lead)
    team.members.add(lead, agent)
    return agent


def _resolve(agent: User, email: str) -> Ticket:
    ticket = ticket_services.ticket_create(
        requester=CustomerFactory(email=email),
        subject=f"Help for {email}",
        description="Broken.",
        team=agent.teams.get(),
        assignee=agent,
    )
    return ticket_services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.RESOLVED, actor=agent)


def _sweeps_done(worker: Process) -> int:
    return len(re.findall(r"Task metrics\.sweep_surveys\[[^\]]+\] succeeded", worker.output()))


def _beat_ticks(beat: Process) -> int:
    return beat.output().count("Sending due task metrics-sweep-surveys")


def _one_more_sweep(worker: Process, redis_server: RedisServer) -> None:
    """Run a sweep now (on top of beat's) and wait until the worker has finished it."""
    done = _sweeps_done(worker)
    celery_client(redis_server.url).send_task("metrics.sweep_surveys")
    wait_until(lambda: _sweeps_done(worker) > done, timeout=20, what="one more sweep")


def _committed(ticket_id: int) -> Survey:
    """The ticket's survey once marked sent: the mail file is written just before that commits."""
    return wait_until(
        lambda: Survey.objects.filter(ticket_id=ticket_id, status=SurveyStatus.SENT).first(),
        timeout=10,
        what="the sent survey to commit",
    )


def _assert_on_time(survey: Survey, resolved_at: datetime, arrived: datetime) -> None:
    assert survey.sent_at is not None
    due = resolved_at + DELAY
    # The sweep that sent it started at sent_at, after the due instant; the mail was written later.
    assert survey.sent_at >= due
    assert arrived - due <= SWEEP_EVERY + SLACK


def test_survey_is_sent_once_on_time_and_not_for_a_reopened_ticket(
    stack: CeleryStack, redis_server: RedisServer, agent: User
) -> None:
    # given a worker and beat running the real schedule
    worker = stack.worker("worker", concurrency=2)
    stack.beat("beat")

    # when two tickets are resolved and one is reopened a moment later, before its survey is due
    reopened = _resolve(agent, "reopener@worker.test")
    kept = _resolve(agent, "keeper@worker.test")
    ticket_services.ticket_reopen(ticket_id=reopened.pk, actor=agent)
    assert kept.resolved_at is not None
    assert timezone.now() < kept.resolved_at + DELAY

    # then one survey e-mail arrives, for the kept ticket, between its due instant and one sweep later
    mail = wait_until(
        lambda: sent_mail(stack.mail_dir), timeout=(DELAY + SWEEP_EVERY + SLACK).total_seconds(), what="mail"
    )
    arrived = timezone.now()
    assert [(to, int(SUBJECT.match(subject)[1])) for to, subject in mail] == [("keeper@worker.test", kept.pk)]
    _assert_on_time(_committed(kept.pk), kept.resolved_at, arrived)

    # and a further sweep, after both were due, sends nothing more and owes the reopened one nothing
    _one_more_sweep(worker, redis_server)
    assert len(sent_mail(stack.mail_dir)) == 1
    assert list(Survey.objects.values_list("ticket_id", "status")) == [(kept.pk, SurveyStatus.SENT)]


def test_survey_due_while_the_worker_was_down_goes_out_on_restart_once(
    stack: CeleryStack, redis_server: RedisServer, agent: User
) -> None:
    # given a worker and beat, and a ticket resolved just now
    first = stack.worker("worker-1")
    beat = stack.beat("beat")
    ticket = _resolve(agent, "patient@worker.test")
    assert ticket.resolved_at is not None
    due = ticket.resolved_at + DELAY

    # when the worker dies (SIGKILL) before the survey is due and stays down past it, until beat
    # has queued a sweep after the due instant that no worker took
    first.kill()
    assert timezone.now() < due
    ticks_before = _beat_ticks(beat)
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()))
    wait_until(
        lambda: _beat_ticks(beat) > ticks_before and timezone.now() > due,
        timeout=(SWEEP_EVERY + SLACK).total_seconds(),
        what="beat to queue a sweep while no worker runs",
    )

    # then nothing went out while it was down, and the sweep waits in the broker
    assert sent_mail(stack.mail_dir) == []
    assert not Survey.objects.exists()
    assert redis_server.queue_length() >= 1

    # when a worker is back (two processes: the queued sweeps now run side by side)
    restarted_at = timezone.now()
    second = stack.worker("worker-2", concurrency=2)

    # then the survey goes out promptly, once
    mail = wait_until(
        lambda: sent_mail(stack.mail_dir), timeout=(SWEEP_EVERY + SLACK + SLACK).total_seconds(), what="mail"
    )
    arrived = timezone.now()
    assert mail == [("patient@worker.test", mail[0][1])]
    survey = _committed(ticket.pk)
    assert survey.sent_at is not None
    assert survey.sent_at >= restarted_at
    assert arrived - restarted_at <= SWEEP_EVERY + SLACK + SLACK

    # and later sweeps do not send it again
    _one_more_sweep(second, redis_server)
    assert len(sent_mail(stack.mail_dir)) == 1
    assert Survey.objects.get().status == SurveyStatus.SENT
