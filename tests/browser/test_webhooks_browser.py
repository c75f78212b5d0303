"""An admin adds a webhook, copies its secret, watches a delivery arrive and redelivers it, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk.models import WebhookDelivery, WebhookSubscription
from tests.browser.helpers import sign_in
from tests.factories import AdminFactory, CustomerFactory
from tests.helpdesk.webhooks.conftest import send_due
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tickets import services as ticket_services


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_adds_a_webhook_and_redelivers_from_the_log(
    live_server: LiveServer, page: Page, artifacts_dir: Path, receiver: WebhookReceiver
) -> None:
    admin = AdminFactory(email="browser.admin@helpdesk.test", full_name="Browser Admin")
    sign_in(page, live_server, admin)

    # when the admin adds a webhook for new tickets
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Payload URL").fill(receiver.url)
    page.get_by_role("checkbox", name="ticket.created Ticket created").check()
    page.get_by_role("button", name="Add webhook").click()

    # then its secret is shown once, and it is the one deliveries are signed with
    secret_box = page.get_by_test_id("webhook-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    subscription = WebhookSubscription.objects.get()
    assert secret == subscription.secret
    receiver.secrets.append(secret)
    page.screenshot(path=str(artifacts_dir / "webhook-created.png"), full_page=True)

    # when a ticket is opened and the sweep sends it
    ticket_services.ticket_create(requester=CustomerFactory(), subject="From the browser test")
    send_due()
    [got] = receiver.received
    assert got.signature_valid

    # then the log shows it delivered with its status code (and the secret is gone for good)
    page.goto(f"{live_server.url}/webhooks/{subscription.pk}/")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    delivery = WebhookDelivery.objects.get()
    row = page.locator(f"#delivery-{delivery.pk}")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")

    # when the admin presses Redeliver, the row is swapped in place for a queued one
    row.get_by_role("button", name="Redeliver").click()
    expect(page.locator(f"#delivery-{delivery.pk}")).to_contain_text("Pending")
    page.screenshot(path=str(artifacts_dir / "webhook-log.png"), full_page=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.redelivered_by_id) == ("pending", admin.pk)
