"""Fan-out under concurrency, on real committed transactions: overlapping sweeps, late commits, locks."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.models import User, WebhookDelivery, WebhookFeedCursor
from helpdesk.webhooks import services
from tests.helpdesk.webhooks.conftest import SubscribeFn, fan_out
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(target: Callable[[], Any]) -> threading.Thread:
    """Run `target` on its own database connection, closed when it ends."""

    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_overlapping_sweeps_deliver_each_event_exactly_once(subscribe: SubscribeFn, requester: User) -> None:
    # given 40 new tickets and a subscription
    subscribe(["ticket.created"])
    ticket_ids = [
        ticket_services.ticket_create(requester=requester, subject=f"Burst {n}").pk for n in range(40)
    ]

    # when six sweeps run at the same moment, in small batches
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(5):
                services.webhooks_fan_out(now=timezone.now(), batch_size=3)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [_in_thread(sweep) for _ in range(6)]
    for thread in threads:
        thread.join(timeout=60)
    services.webhooks_fan_out(now=timezone.now())

    # then every ticket has exactly one delivery
    assert errors == []
    sent = Counter(delivery.payload["ticket"]["id"] for delivery in WebhookDelivery.objects.all())
    assert sent == Counter(ticket_ids)


def test_an_event_that_commits_after_a_later_one_is_still_delivered(
    subscribe: SubscribeFn, requester: User
) -> None:
    # given a transaction that wrote a ticket (its event holds the lower id) and has not committed
    subscribe(["ticket.created"])
    written, release = threading.Event(), threading.Event()
    slow: dict[str, int] = {}

    def slow_writer() -> None:
        with transaction.atomic():
            slow["id"] = ticket_services.ticket_create(requester=requester, subject="Slow").pk
            written.set()
            release.wait(timeout=30)

    thread = _in_thread(slow_writer)
    assert written.wait(timeout=30)

    # when a later ticket commits first and the sweep runs
    fast = ticket_services.ticket_create(requester=requester, subject="Fast")
    first = [d.payload["ticket"]["id"] for d in fan_out()]
    position = WebhookFeedCursor.objects.get(source="ticket_event")

    # then only the committed one is sent, and the uncommitted id is kept as a gap below the position
    assert first == [fast.pk]
    assert position.gaps != []

    # when the slow transaction commits and the sweep runs again
    release.set()
    thread.join(timeout=30)
    second = [d.payload["ticket"]["id"] for d in fan_out()]

    # then its event is delivered too, once
    assert sorted(second) == sorted([fast.pk, slow["id"]])


def test_a_sweep_skips_a_source_another_sweep_holds(subscribe: SubscribeFn, requester: User) -> None:
    # given another sweep holding the ticket feed's cursor
    subscribe(["ticket.created"])
    ticket_services.ticket_create(requester=requester, subject="Held")
    locked, release = threading.Event(), threading.Event()

    def holder() -> None:
        with transaction.atomic():
            WebhookFeedCursor.objects.select_for_update().get(source="ticket_event")
            locked.set()
            release.wait(timeout=30)

    thread = _in_thread(holder)
    assert locked.wait(timeout=30)

    # when this sweep runs, it does not wait and sends nothing
    assert services.webhooks_fan_out(now=timezone.now()) == 0
    release.set()
    thread.join(timeout=30)

    # then the next sweep does the work
    assert services.webhooks_fan_out(now=timezone.now()) == 1
