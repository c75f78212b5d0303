"""Webhook test support: a real receiver per test, subscriptions pointed at it, a synchronous sweep."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

import pytest
from django.utils import timezone

from helpdesk.models import User, WebhookAttempt, WebhookDelivery, WebhookEventType, WebhookSubscription
from helpdesk.webhooks import services
from tests.factories import AgentFactory, CustomerFactory
from tests.helpdesk.webhooks.receiver import WebhookReceiver

ALL_EVENTS = tuple(WebhookEventType.values)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


SubscribeFn = Callable[..., WebhookSubscription]


@pytest.fixture
def subscribe(receiver: WebhookReceiver, admin_user: User) -> SubscribeFn:
    """Create a subscription to the receiver (all events unless told), teaching it the secret."""

    def make(
        events: Sequence[str] = ALL_EVENTS, *, url: str = "", name: str = "Receiver", **fields: object
    ) -> WebhookSubscription:
        subscription, secret = services.webhook_subscription_create(
            name=name, url=url or receiver.url, event_types=events, created_by=admin_user, **fields
        )
        receiver.secrets.append(secret)
        return subscription

    return make


def fan_out(now: datetime | None = None) -> list[WebhookDelivery]:
    """Run the fan-out; return every delivery, oldest first."""
    services.webhooks_fan_out(now=now or timezone.now())
    return list(WebhookDelivery.objects.order_by("id"))


def send_due(now: datetime | None = None) -> list[WebhookAttempt]:
    """What the sweep and its tasks do, in this thread: fan out, claim what is due, send each claim."""
    now = now or timezone.now()
    services.webhooks_fan_out(now=now)
    attempts = []
    for claim in services.webhook_deliveries_claim_due(now=now):
        attempt = services.webhook_delivery_attempt(
            delivery_id=claim.delivery_id, claim_token=claim.token, now=now
        )
        if attempt is not None:
            attempts.append(attempt)
    return attempts


@pytest.fixture
def requester(db: None) -> User:
    return CustomerFactory(email="carol@customer.test", full_name="Carol Client")


@pytest.fixture
def support_agent(db: None) -> User:
    return AgentFactory(email="sam@helpdesk.test", full_name="Sam Support")
