"""Delivery against a real receiver: retries with back-off, 410, giving up, disabling, redelivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from helpdesk.exceptions import Conflict
from helpdesk.models import Notification, User, WebhookAttempt, WebhookDelivery, WebhookSubscription
from helpdesk.webhooks import services
from tests.helpdesk.webhooks.conftest import SubscribeFn, send_due
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_delivery(subscribe: SubscribeFn, requester: User) -> WebhookDelivery:
    """A subscription to ticket.created and one ticket: one delivery, not yet attempted."""
    subscribe(["ticket.created"])
    ticket_services.ticket_create(requester=requester, subject="Webhook me")
    services.webhooks_fan_out(now=timezone.now())
    return WebhookDelivery.objects.get()


def test_server_error_is_retried_after_the_back_off_then_delivered(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery
) -> None:
    # given an endpoint that fails twice, then recovers
    receiver.respond(500, 503)
    now = timezone.now()

    # when the sweep runs now, then whenever the delivery is due again
    send_due(now)
    one_delivery.refresh_from_db()
    first_retry = one_delivery.next_attempt_at
    assert first_retry is not None
    assert send_due(first_retry - timedelta(seconds=1)) == []  # not due yet: nothing sent
    send_due(first_retry)
    one_delivery.refresh_from_db()
    second_retry = one_delivery.next_attempt_at
    assert second_retry is not None
    send_due(second_retry)

    # then three identical, validly signed POSTs arrived, the waits were ~30 s and ~60 s (±25 %)
    got = receiver.received
    assert [r.signature_valid for r in got] == [True, True, True]
    assert len({r.body for r in got}) == 1
    assert len({r.delivery for r in got}) == 1
    assert [r.headers["X-Helpdesk-Attempt"] for r in got] == ["1", "2", "3"]
    assert 22.5 <= (first_retry - now).total_seconds() <= 37.5
    assert 45 <= (second_retry - first_retry).total_seconds() <= 75
    one_delivery.refresh_from_db()
    assert (one_delivery.status, one_delivery.attempt_count, one_delivery.next_attempt_at) == (
        "delivered",
        3,
        None,
    )
    assert list(
        WebhookAttempt.objects.order_by("number").values_list("number", "status_code", "is_success")
    ) == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    subscription = WebhookSubscription.objects.get()
    assert (subscription.failing_since, subscription.last_success_at) == (None, second_retry)


def test_a_delivery_gives_up_after_its_attempts(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery
) -> None:
    # given an endpoint that always fails and three attempts per delivery
    one_delivery.attempts_allowed = 3
    one_delivery.save()
    receiver.respond(500, 500, 500, 500)

    # when the sweep keeps running as the delivery comes due
    at = timezone.now()
    for _ in range(3):
        send_due(at)
        one_delivery.refresh_from_db()
        at = one_delivery.next_attempt_at or at

    # then it stopped after three attempts, failed, and nothing is due any more
    assert len(receiver.received) == 3
    assert (one_delivery.status, one_delivery.attempt_count, one_delivery.next_attempt_at) == (
        "failed",
        3,
        None,
    )
    assert send_due(at + timedelta(days=1)) == []
    subscription = WebhookSubscription.objects.get()
    assert (subscription.is_active, subscription.failed_deliveries_in_row) == (True, 1)


def test_gone_disables_the_subscription_at_once_and_tells_the_admins(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery, admin_user: User
) -> None:
    receiver.respond(410)

    send_due()

    one_delivery.refresh_from_db()
    subscription = WebhookSubscription.objects.get()
    assert (one_delivery.status, one_delivery.attempt_count) == ("failed", 1)
    assert subscription.is_active is False
    assert "410" in subscription.disabled_reason
    [notification] = Notification.objects.all()
    assert (notification.recipient_id, notification.kind) == (admin_user.pk, "webhook_disabled")
    assert notification.data == {"subscription_id": subscription.pk, "reason": subscription.disabled_reason}


def test_repeated_failed_deliveries_disable_the_subscription_and_notify(
    receiver: WebhookReceiver,
    subscribe: SubscribeFn,
    requester: User,
    admin_user: User,
    settings: Settings,
) -> None:
    # given a subscription whose deliveries get one attempt each, disabled after 3 failed in a row
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    settings.WEBHOOKS_DISABLE_AFTER_FAILED_DELIVERIES = 3
    subscription = subscribe(["ticket.created"])
    receiver.respond(*[500] * 10)

    # when five tickets are opened and the sweep sends the first three
    for n in range(5):
        ticket_services.ticket_create(requester=requester, subject=f"Failing {n}")
    services.webhooks_fan_out(now=timezone.now())
    claims = services.webhook_deliveries_claim_due(now=timezone.now(), limit=3)
    for claim in claims:
        services.webhook_delivery_attempt(delivery_id=claim.delivery_id, claim_token=claim.token)

    # then the third failure disabled it, with the reason, and its owner (an admin) was notified once
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.disabled_reason == "3 deliveries in a row failed after every retry."
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [
        (admin_user.pk, "webhook_disabled")
    ]
    # and the other two wait, parked, without being sent
    assert send_due() == []
    parked = WebhookDelivery.objects.filter(status="pending")
    assert parked.count() == 2
    assert set(parked.values_list("next_attempt_at", flat=True)) == {None}
    assert len(receiver.received) == 3

    # when an admin re-enables it, the parked deliveries go out
    services.webhook_subscription_enable(subscription_id=subscription.pk)
    assert [a.status_code for a in send_due()] == [500, 500]


def test_a_long_failure_streak_disables_even_below_the_count(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery, settings: Settings
) -> None:
    # given a subscription failing for 25 hours (one attempt per delivery)
    settings.WEBHOOKS_DISABLE_AFTER_FAILING_HOURS = 24
    subscription = WebhookSubscription.objects.get()
    subscription.failing_since = timezone.now() - timedelta(hours=25)
    subscription.save()
    one_delivery.attempts_allowed = 1
    one_delivery.save()
    receiver.respond(502)

    # when one more delivery gives up
    send_due()

    # then the subscription is disabled for the streak
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.disabled_reason.startswith("Deliveries have failed without a success since")


def test_a_success_resets_the_failure_streak(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery
) -> None:
    subscription = WebhookSubscription.objects.get()
    subscription.failing_since, subscription.failed_deliveries_in_row = timezone.now(), 7
    subscription.save()

    send_due()

    subscription.refresh_from_db()
    assert (subscription.failing_since, subscription.failed_deliveries_in_row) == (None, 0)


def test_redelivery_sends_the_same_delivery_again_with_a_fresh_signature(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery, admin_user: User
) -> None:
    # given a delivery that was delivered
    send_due()
    one_delivery.refresh_from_db()
    assert one_delivery.status == "delivered"

    # when an admin redelivers it, a minute later
    later = timezone.now() + timedelta(minutes=1)
    redelivered = services.webhook_delivery_redeliver(
        delivery_id=one_delivery.pk, actor=admin_user, now=later
    )
    services.webhook_delivery_attempt(
        delivery_id=redelivered.pk, claim_token=redelivered.claim_token, now=later
    )

    # then the receiver got the same delivery id and body, signed again with the new timestamp
    first, second = receiver.received
    assert second.delivery == first.delivery
    assert second.body == first.body
    assert second.signature_valid
    assert int(second.headers["X-Helpdesk-Timestamp"]) == int(later.timestamp())
    one_delivery.refresh_from_db()
    assert (one_delivery.status, one_delivery.attempt_count, one_delivery.redelivered_by_id) == (
        "delivered",
        2,
        admin_user.pk,
    )


def test_redelivering_a_failed_delivery_gives_it_one_more_attempt(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery, admin_user: User
) -> None:
    one_delivery.attempts_allowed = 1
    one_delivery.save()
    receiver.respond(500, 500)
    send_due()

    delivery = services.webhook_delivery_redeliver(delivery_id=one_delivery.pk, actor=admin_user)
    services.webhook_delivery_attempt(delivery_id=delivery.pk, claim_token=delivery.claim_token)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.attempts_allowed) == ("failed", 2, 2)
    assert len(receiver.received) == 2


def test_redelivery_is_refused_while_the_subscription_is_disabled(
    one_delivery: WebhookDelivery, admin_user: User
) -> None:
    services.webhook_subscription_update(subscription_id=one_delivery.subscription_id, is_active=False)

    with pytest.raises(Conflict, match="disabled"):
        services.webhook_delivery_redeliver(delivery_id=one_delivery.pk, actor=admin_user)


def test_a_stale_claim_sends_nothing(receiver: WebhookReceiver, one_delivery: WebhookDelivery) -> None:
    # given a claim whose lease lapsed and was claimed again by another sweep
    now = timezone.now()
    [old] = services.webhook_deliveries_claim_due(now=now)
    [new] = services.webhook_deliveries_claim_due(now=now + services.CLAIM_LEASE)

    # when the first task finally runs, it sends nothing; the holder of the new claim sends
    assert services.webhook_delivery_attempt(delivery_id=old.delivery_id, claim_token=old.token) is None
    assert services.webhook_delivery_attempt(delivery_id=new.delivery_id, claim_token=new.token) is not None
    assert len(receiver.received) == 1


def test_a_timeout_is_a_failed_attempt_that_is_retried(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery, settings: Settings
) -> None:
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = 0.3
    receiver.delay_seconds = 1.5

    [attempt] = send_due()

    one_delivery.refresh_from_db()
    assert attempt.status_code is None
    assert attempt.error.startswith("timed out")
    assert (one_delivery.status, one_delivery.next_attempt_at is not None) == ("pending", True)


def test_a_redirect_is_not_followed(receiver: WebhookReceiver, one_delivery: WebhookDelivery) -> None:
    receiver.respond(302)
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"

    [attempt] = send_due()

    assert attempt.status_code == 302
    assert attempt.is_success is False
    assert len(receiver.received) == 1


def test_private_address_is_refused_at_send_time_when_not_allowed(
    receiver: WebhookReceiver, one_delivery: WebhookDelivery, settings: Settings
) -> None:
    # given a subscription to 127.0.0.1, and private targets turned off afterwards
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    [attempt] = send_due()

    assert receiver.received == []
    assert attempt.status_code is None
    assert attempt.error.startswith("refused: ")
    assert "private or reserved address" in attempt.error
