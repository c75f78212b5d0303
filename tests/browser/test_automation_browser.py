"""A manager automates password tickets in Chromium: a rule (dry run, switch on, its effect on a
ticket), a macro applied from the ticket page, and the rule calling a webhook."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk.models import Role, WebhookDelivery
from helpdesk.webhooks import services as webhook_services
from helpdesk.webhooks.tasks import deliver_webhook_task
from tests.browser.helpers import sign_in
from tests.factories import (
    AdminFactory,
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    TeamFactory,
    UserFactory,
)
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tickets import services
from tickets.models import AutomationRule, Macro, Ticket, TicketStatus

PASSWORD_ARTICLE_URL = "/help/articles/reset-your-password/"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_automates_password_tickets_with_a_rule_a_macro_and_a_webhook(
    live_server: LiveServer,
    page: Page,
    artifacts_dir: Path,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the reference's taxonomy, two tickets to dry-run on, and a webhook accepting rule calls
    manager = UserFactory(email="mona@helpdesk.test", full_name="Mona Manager", role=Role.MANAGER)
    authentication = CategoryFactory(name="Authentication", slug="authentication")
    team = TeamFactory(name="Authentication", slug="authentication")
    team.members.add(AgentFactory(email="ana.auth@helpdesk.test", full_name="Ana Auth"))
    customer = CustomerFactory(email="carol@customer.test", full_name="Carol Client")
    services.ticket_create(requester=customer, subject="Can't access my account since Monday")
    services.ticket_create(requester=customer, subject="Invoice copy, please")
    crm, secret = webhook_services.webhook_subscription_create(
        name="CRM", url=receiver.url, event_types=["automation.rule_fired"], created_by=AdminFactory()
    )
    receiver.secrets.append(secret)
    sign_in(page, live_server, manager)

    # when the manager writes the reference's rule in the editor and dry-runs it
    page.goto(f"{live_server.url}/tickets/automation/")
    expect(page.get_by_role("heading", name="Automation rules", level=1)).to_be_visible()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name").fill("Authentication triage")
    page.get_by_label("Conditions").fill(
        json.dumps(
            {
                "all": [
                    {
                        "field": "ticket.subject",
                        "operator": "contains_any",
                        "value": ["password", "login", "can't access"],
                    }
                ]
            }
        )
    )
    page.get_by_label(re.compile(r"^\s*Actions")).fill(
        json.dumps(
            [
                {"type": "set", "field": "category", "value": authentication.pk},
                {"type": "route", "team": team.pk},
                {"type": "suggest_article", "title": "Password Reset Guide", "url": PASSWORD_ARTICLE_URL},
            ]
        )
    )
    page.get_by_role("button", name="Dry run on the latest 100 tickets").click()

    # then it lists the one match and what it would get, and saved nothing
    dry_run = page.locator("#dry-run")
    expect(dry_run).to_contain_text("1 of 2 tickets would match")
    expect(dry_run).to_contain_text("Can't access my account since Monday")
    expect(dry_run).to_contain_text("Set category to Authentication")
    expect(dry_run).to_contain_text("Route to team Authentication")
    expect(dry_run).to_contain_text("Suggest article “Password Reset Guide”")
    page.screenshot(path=str(artifacts_dir / "automation-dry-run.png"), full_page=True)
    assert not AutomationRule.objects.exists()

    # when it is saved (off, as every new rule) and switched on from the list
    page.get_by_role("button", name="Save", exact=True).click()
    row = page.get_by_role("row", name=re.compile("Authentication triage"))
    expect(row).to_contain_text("Off")
    expect(row).to_contain_text("Subject contains any of “password”, “login”, “can't access”")
    row.get_by_role("button", name="Switch on").click()
    expect(page.get_by_role("status").first).to_contain_text("switched on")
    expect(page.get_by_role("row", name=re.compile("Authentication triage"))).to_contain_text("On")
    rule = AutomationRule.objects.get()
    assert rule.is_active

    # when a customer files a password ticket
    ticket = services.ticket_create(requester=customer, subject="Password reset link expired")

    # then its page shows the rule's category, team, suggestion and the log entry naming the rule
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(page.get_by_role("heading", name="Password reset link expired")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^\s*Category\s*(\(optional\))?\s*$"))).to_have_value(
        str(authentication.pk)
    )
    expect(page.get_by_label(re.compile(r"^\s*Team\s*(\(optional\))?\s*$"))).to_have_value(str(team.pk))
    suggestion = page.locator("article.msg--internal", has_text="Suggested article")
    expect(suggestion.get_by_role("link", name="Password Reset Guide")).to_have_attribute(
        "href", PASSWORD_ARTICLE_URL
    )
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_test_id("history")).to_contain_text("Automation rule “Authentication triage”")
    page.screenshot(path=str(artifacts_dir / "automation-ticket.png"), full_page=True)

    # when the manager writes a macro and applies it from the ticket page
    page.goto(f"{live_server.url}/tickets/macros/")
    page.locator("#main").get_by_role("link", name="New macro").click()
    page.get_by_label("Name").fill("Reset instructions")
    page.get_by_label("Body").fill("Hi {{ requester.first_name }}, the new link below is valid for an hour.")
    page.get_by_label("Visibility").select_option("public")
    page.get_by_label(re.compile(r"^\s*Actions")).fill(
        json.dumps([{"type": "set", "field": "status", "value": "pending"}])
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Macro “Reset instructions” saved.")
    macro = Macro.objects.get()
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.get_by_label("Macro", exact=True).select_option(label="Reset instructions")
    page.get_by_role("button", name="Apply macro").click()

    # then the reply is posted as the manager and the ticket waits on the customer
    expect(page.get_by_role("status").first).to_contain_text("Macro applied.")
    expect(page.locator(".msg--public.msg--agent")).to_contain_text("Hi Carol, the new link below is valid")
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_test_id("history")).to_contain_text(f"Macro “{macro.name}” applied")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING

    # when the manager adds a webhook call to the rule, picking the webhook from the select
    page.goto(f"{live_server.url}/tickets/automation/")
    page.get_by_role("link", name="Authentication triage").click()
    page.get_by_label("Call a webhook").select_option(label=f"CRM ({receiver.url})")
    page.get_by_role("button", name="Save", exact=True).click()

    # then the list says so
    expect(page.get_by_role("row", name=re.compile("Authentication triage"))).to_contain_text(
        "Call webhook “CRM”"
    )
    rule.refresh_from_db()
    assert rule.actions[-1] == {"type": "webhook", "endpoint": crm.pk}
    page.screenshot(path=str(artifacts_dir / "automation-rules-webhook.png"), full_page=True)

    # when the next login ticket comes in, and a worker runs the send its commit queued
    queued: list[tuple[int, str]] = []
    monkeypatch.setattr(deliver_webhook_task, "delay", lambda *args: queued.append(args))
    second = services.ticket_create(requester=customer, subject="Login page times out")
    delivery = WebhookDelivery.objects.get(ticket=second)
    assert queued == [(delivery.pk, delivery.claim_token)]
    deliver_webhook_task(*queued[0])

    # then the endpoint got one signed call naming the rule and the ticket
    [got] = receiver.received
    assert got.signature_valid
    assert got.event == "automation.rule_fired"
    assert (got.json["automation"]["name"], got.json["ticket"]["id"]) == ("Authentication triage", second.pk)
    assert Ticket.objects.get(pk=second.pk).category_id == authentication.pk
