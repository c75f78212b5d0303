"""The Webhooks page: who may see and change it, secrets shown once, the log, redelivery."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from helpdesk.models import User, WebhookDelivery, WebhookSubscription
from helpdesk.webhooks import services
from tests.factories import AgentFactory, CustomerFactory, UserFactory
from tests.helpdesk.webhooks.conftest import SubscribeFn, send_due
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"whsec_[A-Za-z0-9_-]{43}")


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_web(admin_user: User) -> Client:
    return _web(admin_user)


@pytest.fixture
def manager_web(manager: User) -> Client:
    return _web(manager)


@pytest.mark.parametrize(
    ("_case", "role", "expected"),
    [("customer", "customer", 403), ("agent", "agent", 403), ("team lead", "team_lead", 403)],
)
def test_people_who_are_not_managers_or_admins_are_refused(
    subscribe: SubscribeFn, _case: str, role: str, expected: int
) -> None:
    subscription = subscribe()
    factory = CustomerFactory if role == "customer" else AgentFactory
    client = _web(factory(role=role))

    pages = [
        client.get("/webhooks/"),
        client.get(f"/webhooks/{subscription.pk}/"),
        client.post(f"/webhooks/{subscription.pk}/rotate-secret/"),
    ]

    assert [page.status_code for page in pages] == [expected] * 3
    assert WebhookSubscription.objects.get().secret == subscription.secret


def test_managers_read_without_forms_and_cannot_change(manager_web: Client, subscribe: SubscribeFn) -> None:
    subscription = subscribe()

    listing = manager_web.get("/webhooks/")
    detail = manager_web.get(f"/webhooks/{subscription.pk}/")
    rotate = manager_web.post(f"/webhooks/{subscription.pk}/rotate-secret/")
    create = manager_web.post(
        "/webhooks/", {"name": "X", "url": "http://127.0.0.1/", "event_types": ["ticket.created"]}
    )

    assert (listing.status_code, detail.status_code) == (200, 200)
    assert b"Add a webhook" not in listing.content
    assert b"Rotate secret" not in detail.content
    assert (rotate.status_code, create.status_code) == (403, 403)
    assert WebhookSubscription.objects.count() == 1
    assert SECRET.search(detail.content.decode()) is None


def test_admin_creates_a_webhook_and_sees_its_secret_once(
    admin_web: Client, receiver: WebhookReceiver
) -> None:
    # when an admin fills in the form
    response = admin_web.post(
        "/webhooks/",
        {
            "name": "CRM sync",
            "url": receiver.url,
            "event_types": ["ticket.created", "sla.breach"],
            "is_active": "on",
        },
    )

    # then the answer shows the secret, uncached, and later pages never do
    assert response.status_code == 201
    assert "no-cache" in response["Cache-Control"]
    subscription = WebhookSubscription.objects.get()
    assert SECRET.findall(response.content.decode()) == [subscription.secret]
    assert (subscription.name, subscription.event_types, subscription.is_active) == (
        "CRM sync",
        ["ticket.created", "sla.breach"],
        True,
    )
    for page in (admin_web.get("/webhooks/"), admin_web.get(f"/webhooks/{subscription.pk}/")):
        assert SECRET.search(page.content.decode()) is None


def test_a_refused_form_keeps_what_was_typed(admin_web: Client, receiver: WebhookReceiver) -> None:
    response = admin_web.post("/webhooks/", {"name": "No events", "url": receiver.url})

    assert response.status_code == 400
    assert b"Choose at least one event." in response.content
    assert b'value="No events"' in response.content
    assert WebhookSubscription.objects.count() == 0


def test_private_url_is_refused_on_the_form_when_not_allowed(admin_web: Client, settings: Settings) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    response = admin_web.post(
        "/webhooks/", {"name": "Local", "url": "http://127.0.0.1:8080/in", "event_types": ["ticket.created"]}
    )

    assert response.status_code == 400
    assert b"private or reserved address" in response.content
    assert WebhookSubscription.objects.count() == 0


def test_rotating_shows_the_new_secret_once(admin_web: Client, subscribe: SubscribeFn) -> None:
    subscription = subscribe()

    response = admin_web.post(f"/webhooks/{subscription.pk}/rotate-secret/", {"keep_previous_hours": "2"})

    subscription.refresh_from_db()
    assert response.status_code == 200
    assert SECRET.findall(response.content.decode()) == [subscription.secret]
    assert subscription.previous_secret != ""


def test_the_log_shows_status_codes_and_redeliver_re_sends(
    admin_web: Client, subscribe: SubscribeFn, receiver: WebhookReceiver, requester: User
) -> None:
    # given a delivery that failed with a 503
    subscription = subscribe(["ticket.created"])
    receiver.respond(503)
    ticket_services.ticket_create(requester=requester, subject="Logged")
    send_due()
    delivery = WebhookDelivery.objects.get()

    # when an admin opens the log, then presses Redeliver (htmx)
    page = admin_web.get(f"/webhooks/{subscription.pk}/")
    row = admin_web.post(f"/webhooks/deliveries/{delivery.pk}/redeliver/", HTTP_HX_REQUEST="true")

    # then the log showed the code, the row comes back queued, and the queued attempt delivers
    assert page.status_code == 200
    assert re.search(r'id="delivery-\d+" data-status="pending"', page.content.decode())
    assert "503" in page.content.decode()
    assert row.status_code == 200
    assert f'id="delivery-{delivery.pk}"'.encode() in row.content
    delivery.refresh_from_db()
    services.webhook_delivery_attempt(delivery_id=delivery.pk, claim_token=delivery.claim_token)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("delivered", 2)
    assert [r.delivery for r in receiver.received] == [str(delivery.uuid)] * 2


def test_delivery_page_shows_payload_and_attempts(
    manager_web: Client, subscribe: SubscribeFn, requester: User
) -> None:
    subscribe(["ticket.created"])
    ticket_services.ticket_create(requester=requester, subject="<b>Escaped</b>")
    send_due()
    delivery = WebhookDelivery.objects.get()

    response = manager_web.get(f"/webhooks/deliveries/{delivery.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert str(delivery.uuid) in html
    assert "&lt;b&gt;Escaped&lt;/b&gt;" in html
    assert "<b>Escaped</b>" not in html
    assert 'data-success="true"' in html


def test_enable_again_turns_a_disabled_webhook_on(admin_web: Client, subscribe: SubscribeFn) -> None:
    subscription = subscribe()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False, disabled_reason="The endpoint answered 410 Gone."
    )
    assert b"410 Gone" in admin_web.get(f"/webhooks/{subscription.pk}/").content

    response = admin_web.post(f"/webhooks/{subscription.pk}/enable/")

    subscription.refresh_from_db()
    assert response.status_code == 302
    assert (subscription.is_active, subscription.disabled_reason) == (True, "")


def test_nav_links_to_webhooks_for_managers_only(manager_web: Client, agent: User) -> None:
    assert b'href="/webhooks/"' in manager_web.get("/").content
    assert b'href="/webhooks/"' not in _web(agent).get("/").content
    assert b'href="/webhooks/"' not in _web(UserFactory(role="team_lead")).get("/").content
