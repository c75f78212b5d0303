"""Webhooks under real Celery processes: beat sweeps, workers POST to a real receiver.

Each test runs a private redis-server, workers and beats against the test database
(tests/sla/worker_support.py). Retries are shortened through the workers' environment.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from helpdesk.models import User, WebhookDelivery
from helpdesk.webhooks import services
from tests.helpdesk.webhooks.conftest import SubscribeFn
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tests.sla.worker_support import CeleryStack, RedisServer, celery_client, wait_until
from tickets import services as ticket_services

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_retries_a_failed_delivery_and_redelivers_on_request(
    stack: CeleryStack,
    redis_server: RedisServer,
    receiver: WebhookReceiver,
    subscribe: SubscribeFn,
    requester: User,
    admin_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given an endpoint whose first answer is a 500, and retries one second apart
    stack.extra_env["WEBHOOKS_RETRY_BASE_SECONDS"] = "1"
    subscribe(["ticket.created"])
    receiver.respond(500)
    stack.worker("worker", concurrency=2)
    stack.beat("beat")

    # when a ticket is opened
    ticket = ticket_services.ticket_create(requester=requester, subject="Worker-made")

    # then beat's sweep fans it out, a worker POSTs it, fails, and the retry delivers it
    first, second = receiver.wait_for(2, timeout=30)
    assert (first.signature_valid, second.signature_valid) == (True, True)
    assert first.delivery == second.delivery
    assert first.body == second.body
    assert first.json["ticket"]["id"] == ticket.pk
    delivery = wait_until(
        lambda: WebhookDelivery.objects.filter(status="delivered").first(), timeout=10, what="delivered"
    )
    assert delivery.attempt_count == 2

    # when an admin redelivers it (the queued task is sent to this stack's broker)
    with django_capture_on_commit_callbacks(execute=False):
        redelivered = services.webhook_delivery_redeliver(delivery_id=delivery.pk, actor=admin_user)
    celery_client(redis_server.url).send_task(
        "helpdesk.deliver_webhook", args=[redelivered.pk, redelivered.claim_token]
    )

    # then the worker sends the same delivery a third time
    third = receiver.wait_for(3, timeout=30)[2]
    assert (third.delivery, third.body, third.signature_valid) == (first.delivery, first.body, True)


def test_two_beats_and_two_workers_send_each_event_once(
    stack: CeleryStack, receiver: WebhookReceiver, subscribe: SubscribeFn, requester: User
) -> None:
    # given two workers and two beats (each beat runs the sweep every 2 s)
    subscribe(["ticket.created"])
    for name in ("worker-1", "worker-2"):
        stack.worker(name, concurrency=2)
    for name in ("beat-1", "beat-2"):
        stack.beat(name)

    # when 25 tickets are opened
    ticket_ids = [
        ticket_services.ticket_create(requester=requester, subject=f"Burst {n}").pk for n in range(25)
    ]

    # then each arrives once, signed, and nothing more comes while the sweeps keep running
    received = receiver.wait_for(25, timeout=60)
    wait_until(
        lambda: WebhookDelivery.objects.exclude(status="delivered").count() == 0, timeout=20, what="all done"
    )
    time.sleep(5)  # two more sweeps by each beat: a duplicate would show up now
    received = receiver.received
    assert Counter(r.json["ticket"]["id"] for r in received) == Counter(ticket_ids)
    assert len({r.delivery for r in received}) == 25
    assert all(r.signature_valid for r in received)
