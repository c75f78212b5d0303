"""The Celery entry points: stable names, the beat schedule, the sweep queuing sends, the purge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from helpdesk.models import User, WebhookAttempt, WebhookDelivery
from helpdesk.webhooks import services
from helpdesk.webhooks.tasks import deliver_webhook_task, purge_webhook_deliveries_task, sweep_webhooks_task
from tests.helpdesk.webhooks.conftest import SubscribeFn, send_due
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tickets import services as ticket_services


def test_tasks_keep_their_names_and_the_sweep_runs_every_two_seconds() -> None:
    assert sweep_webhooks_task.name == "helpdesk.sweep_webhooks"
    assert deliver_webhook_task.name == "helpdesk.deliver_webhook"
    assert purge_webhook_deliveries_task.name == "helpdesk.purge_webhook_deliveries"
    entry = celery_app.conf.beat_schedule["helpdesk-sweep-webhooks"]
    assert (entry["task"], entry["schedule"]) == ("helpdesk.sweep_webhooks", 2.0)
    assert celery_app.conf.beat_schedule["helpdesk-purge-webhook-deliveries"]["task"] == (
        "helpdesk.purge_webhook_deliveries"
    )


@pytest.mark.django_db
def test_the_sweep_queues_one_send_per_due_delivery_after_commit(
    subscribe: SubscribeFn,
    requester: User,
    receiver: WebhookReceiver,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given two new tickets
    subscribe(["ticket.created"])
    ticket_services.ticket_create(requester=requester, subject="One")
    ticket_services.ticket_create(requester=requester, subject="Two")

    # when the beat task runs (the queued sends are captured, not published)
    with django_capture_on_commit_callbacks() as queued:
        claimed = sweep_webhooks_task()

    # then two sends are queued, each holding its delivery's claim; a second sweep queues nothing
    assert claimed == 2
    assert len(queued) == 2
    assert sweep_webhooks_task() == 0
    for delivery in WebhookDelivery.objects.all():
        deliver_webhook_task(delivery.pk, delivery.claim_token)
    assert len(receiver.received) == 2
    # and running a send again (a redelivered message) sends nothing more
    for delivery in WebhookDelivery.objects.all():
        deliver_webhook_task(delivery.pk, delivery.claim_token)
    assert len(receiver.received) == 2


@pytest.mark.django_db
def test_purge_drops_old_finished_deliveries_but_keeps_pending_ones(
    subscribe: SubscribeFn, requester: User, receiver: WebhookReceiver
) -> None:
    # given two old deliveries, one delivered and one still waiting, and a fresh one
    subscribe(["ticket.created"])
    for subject in ("Old done", "Old waiting"):
        ticket_services.ticket_create(requester=requester, subject=subject)
    old = timezone.now() - timedelta(days=31)
    services.webhooks_fan_out(now=old)
    [done_claim, waiting_claim] = services.webhook_deliveries_claim_due(now=old)
    services.webhook_delivery_attempt(
        delivery_id=done_claim.delivery_id, claim_token=done_claim.token, now=old
    )
    WebhookDelivery.objects.filter(pk=waiting_claim.delivery_id).update(
        next_attempt_at=timezone.now() + timedelta(hours=1), claim_token=""
    )
    ticket_services.ticket_create(requester=requester, subject="Fresh")
    send_due()

    # when the purge runs
    purged = services.webhook_deliveries_purge(now=timezone.now())

    # then only the old finished one (and its attempt) is gone
    assert purged == 1
    assert not WebhookDelivery.objects.filter(pk=done_claim.delivery_id).exists()
    assert not WebhookAttempt.objects.filter(delivery_id=done_claim.delivery_id).exists()
    assert WebhookDelivery.objects.count() == 2
