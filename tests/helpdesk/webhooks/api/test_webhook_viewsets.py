"""API v1 /webhooks/: permissions, secrets shown once, validation, the delivery log, redelivery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from helpdesk.models import User, WebhookDelivery, WebhookSubscription
from helpdesk.webhooks import services
from helpdesk.webhooks.tasks import deliver_webhook_task
from tests.helpdesk.webhooks.conftest import SubscribeFn, send_due
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions/"
DELIVERIES = "/api/v1/webhooks/deliveries/"


def _new(receiver: WebhookReceiver, **extra: Any) -> dict[str, Any]:
    return {"name": "CRM", "url": receiver.url, "event_types": ["ticket.created"], **extra}


@pytest.mark.parametrize(
    ("_case", "client_fixture", "read", "write"),
    [
        ("anonymous", "api_client", 401, 401),
        ("customer", "customer_client", 403, 403),
        ("agent", "agent_client", 403, 403),
        ("manager reads only", "manager_client", 200, 403),
        ("admin", "admin_client_api", 200, 201),
    ],
)
def test_subscription_access(
    request: pytest.FixtureRequest,
    receiver: WebhookReceiver,
    _case: str,
    client_fixture: str,
    read: int,
    write: int,
) -> None:
    client: APIClient = request.getfixturevalue(client_fixture)

    listed = client.get(SUBSCRIPTIONS)
    created = client.post(SUBSCRIPTIONS, _new(receiver), format="json")

    assert (listed.status_code, created.status_code) == (read, write)
    assert WebhookSubscription.objects.count() == (1 if write == 201 else 0)


def test_the_secret_is_in_the_create_answer_only(
    admin_client_api: APIClient, receiver: WebhookReceiver
) -> None:
    # when an admin creates a subscription
    created = admin_client_api.post(SUBSCRIPTIONS, _new(receiver), format="json")

    # then the answer has the secret, and neither the list nor the detail ever shows it
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert created.json()["event_types"] == ["ticket.created"]
    listed = admin_client_api.get(SUBSCRIPTIONS)
    detail = admin_client_api.get(f"{SUBSCRIPTIONS}{created.json()['id']}/")
    for response in (listed, detail):
        assert response.status_code == 200
        assert secret not in response.content.decode()
    assert "secret" not in listed.json()["results"][0]
    assert "secret" not in detail.json()


def test_private_urls_are_refused_when_not_allowed(admin_client_api: APIClient, settings: Settings) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    response = admin_client_api.post(
        SUBSCRIPTIONS,
        {"name": "Metadata", "url": "http://169.254.169.254/latest/", "event_types": ["ticket.created"]},
        format="json",
    )

    assert response.status_code == 400
    assert "private or reserved address" in response.json()["url"][0]
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.parametrize(
    ("_case", "changes", "field"),
    [
        ("unknown event type", {"event_types": ["ticket.deleted"]}, "event_types"),
        ("no events", {"event_types": []}, "event_types"),
        ("not http", {"url": "ftp://example.com/in"}, "url"),
        ("misspelt field", {"evnt_types": ["ticket.created"]}, "evnt_types"),
    ],
)
def test_invalid_subscriptions_are_refused(
    admin_client_api: APIClient, receiver: WebhookReceiver, _case: str, changes: dict[str, Any], field: str
) -> None:
    response = admin_client_api.post(SUBSCRIPTIONS, _new(receiver, **changes), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert WebhookSubscription.objects.count() == 0


def test_rotating_keeps_the_old_secret_signing_for_the_overlap(
    admin_client_api: APIClient, subscribe: SubscribeFn, receiver: WebhookReceiver, requester: User
) -> None:
    # given a subscription whose receiver knows the old secret
    subscription = subscribe(["ticket.created"])
    old = receiver.secrets[0]

    # when an admin rotates it keeping the old one for a day, and an event is sent
    response = admin_client_api.post(
        f"{SUBSCRIPTIONS}{subscription.pk}/rotate-secret/", {"keep_previous_hours": 24}, format="json"
    )
    new = response.json()["secret"]
    receiver.secrets.append(new)
    ticket_services.ticket_create(requester=requester, subject="Rotated")
    send_due()

    # then the delivery is signed with both
    assert response.status_code == 200
    assert new != old
    [got] = receiver.received
    assert set(got.valid_with) == {old, new}


def test_rotating_without_overlap_stops_the_old_secret(
    admin_client_api: APIClient, subscribe: SubscribeFn, receiver: WebhookReceiver, requester: User
) -> None:
    subscription = subscribe(["ticket.created"])
    old = receiver.secrets[0]

    new = admin_client_api.post(f"{SUBSCRIPTIONS}{subscription.pk}/rotate-secret/").json()["secret"]
    receiver.secrets.append(new)
    ticket_services.ticket_create(requester=requester, subject="Rotated hard")
    send_due()

    [got] = receiver.received
    assert got.valid_with == (new,)
    assert old not in got.valid_with


def test_patch_re_enables_a_disabled_subscription(
    admin_client_api: APIClient, subscribe: SubscribeFn
) -> None:
    subscription = subscribe()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False, disabled_reason="410 Gone")

    response = admin_client_api.patch(
        f"{SUBSCRIPTIONS}{subscription.pk}/", {"is_active": True}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["disabled_reason"]) == (True, "")


def test_delete_removes_the_subscription_and_its_log(
    admin_client_api: APIClient, subscribe: SubscribeFn, requester: User
) -> None:
    subscription = subscribe()
    ticket_services.ticket_create(requester=requester, subject="Gone soon")
    services.webhooks_fan_out(now=timezone.now())

    response = admin_client_api.delete(f"{SUBSCRIPTIONS}{subscription.pk}/")

    assert response.status_code == 204
    assert (WebhookSubscription.objects.count(), WebhookDelivery.objects.count()) == (0, 0)


@pytest.fixture
def delivered(subscribe: SubscribeFn, requester: User, receiver: WebhookReceiver) -> WebhookDelivery:
    """One delivery that failed once (500), then one that was delivered."""
    subscribe(["ticket.created"])
    receiver.respond(500)
    ticket_services.ticket_create(requester=requester, subject="First")
    ticket_services.ticket_create(requester=requester, subject="Second")
    send_due()
    return WebhookDelivery.objects.get(status="delivered")


def test_delivery_log_lists_status_codes_and_filters(
    manager_client: APIClient, delivered: WebhookDelivery, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    with django_assert_max_num_queries(4):
        everything = manager_client.get(DELIVERIES)
    pending = manager_client.get(DELIVERIES, {"status": "pending"})

    assert everything.status_code == 200
    assert sorted((row["status"], row["last_status_code"]) for row in everything.json()["results"]) == [
        ("delivered", 200),
        ("pending", 500),
    ]
    assert "payload" not in everything.json()["results"][0]
    assert [row["status"] for row in pending.json()["results"]] == ["pending"]


def test_delivery_detail_has_the_payload_and_every_attempt(
    manager_client: APIClient, delivered: WebhookDelivery
) -> None:
    failed = WebhookDelivery.objects.get(status="pending")

    body = manager_client.get(f"{DELIVERIES}{failed.pk}/").json()

    assert body["payload"]["type"] == "ticket.created"
    assert [(a["number"], a["status_code"], a["is_success"]) for a in body["attempts"]] == [(1, 500, False)]
    assert body["attempts"][0]["response_body"] == '{"status": 500}'


def test_redeliver_through_the_api_sends_the_same_delivery_again(
    admin_client_api: APIClient,
    delivered: WebhookDelivery,
    receiver: WebhookReceiver,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # when an admin asks for a redelivery (twice, with the same Idempotency-Key)
    url = f"{DELIVERIES}{delivered.pk}/redeliver/"
    with django_capture_on_commit_callbacks() as queued:
        first = admin_client_api.post(url, HTTP_IDEMPOTENCY_KEY="retry-1")
        again = admin_client_api.post(url, HTTP_IDEMPOTENCY_KEY="retry-1")

    # then one send task is queued, and running it re-sends the same delivery id and body
    assert (first.status_code, again.status_code) == (202, 202)
    assert again["Idempotent-Replayed"] == "true"
    assert len(queued) == 1
    delivered.refresh_from_db()
    deliver_webhook_task(delivered.pk, delivered.claim_token)
    original = next(r for r in receiver.received if r.delivery == str(delivered.uuid))
    assert receiver.received[-1].delivery == original.delivery
    assert receiver.received[-1].body == original.body
    assert receiver.received[-1].signature_valid
    delivered.refresh_from_db()
    assert (delivered.status, delivered.attempt_count) == ("delivered", 2)


@pytest.mark.parametrize("client_fixture", ["manager_client", "agent_client", "customer_client"])
def test_only_admins_may_redeliver(
    request: pytest.FixtureRequest, delivered: WebhookDelivery, client_fixture: str
) -> None:
    client: APIClient = request.getfixturevalue(client_fixture)

    response = client.post(f"{DELIVERIES}{delivered.pk}/redeliver/")

    assert response.status_code == 403
    delivered.refresh_from_db()
    assert (delivered.status, delivered.redelivered_at) == ("delivered", None)


def test_redelivery_to_a_disabled_subscription_is_a_conflict(
    admin_client_api: APIClient, delivered: WebhookDelivery
) -> None:
    services.webhook_subscription_update(subscription_id=delivered.subscription_id, is_active=False)

    response = admin_client_api.post(f"{DELIVERIES}{delivered.pk}/redeliver/")

    assert response.status_code == 409
    assert "disabled" in response.json()["detail"]


def test_webhook_paths_are_in_the_schema(api_client: APIClient) -> None:
    schema = api_client.get("/api/v1/schema/?format=json").json()

    for path in (
        "/api/v1/webhooks/subscriptions/",
        "/api/v1/webhooks/subscriptions/{id}/rotate-secret/",
        "/api/v1/webhooks/deliveries/",
        "/api/v1/webhooks/deliveries/{id}/redeliver/",
    ):
        assert path in schema["paths"], path
