"""The agent's ticket page in a real Chromium: reply, note, escalate, collision warning, shortcuts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.helpers import sign_in
from tests.factories import AgentFactory, CustomerFactory, OrganizationFactory
from tickets import services
from tickets.models import CannedResponse, Ticket

DESKTOP = {"width": 1280, "height": 800}


def _ticket() -> Ticket:
    organization = OrganizationFactory(
        name="Acme", tier="enterprise", segment="high_touch", is_vip=True, notes="Renewal in March."
    )
    customer = CustomerFactory(email="alice@acme.test", full_name="Alice Customer", organization=organization)
    services.ticket_create(requester=customer, subject="Invoice PDF is blank")
    return services.ticket_create(
        requester=customer,
        subject="Cannot log in with SSO",
        description="Since this morning every login **loops** back to the sign-in page.",
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_replies_notes_and_escalates(live_server: LiveServer, page: Page, artifacts_dir: Path) -> None:
    # given
    agent = AgentFactory(email="ana@helpdesk.test", full_name="Ana Agent")
    ticket = _ticket()
    CannedResponse.objects.create(
        title="Looking into it", body="Thanks for the report, we are looking into it."
    )
    sign_in(page, live_server, agent)

    # when: the agent opens the ticket
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    # then: the three panels are there
    expect(page.get_by_role("heading", name="Cannot log in with SSO")).to_be_visible()
    expect(page.get_by_role("complementary", name="Customer")).to_contain_text("Alice Customer")
    expect(page.get_by_role("complementary", name="Customer")).to_contain_text("VIP")
    first_response = page.locator('[data-metric="first_response"]')
    expect(first_response.get_by_test_id("sla-state")).to_have_text("Running")
    page.screenshot(path=str(artifacts_dir / "ticket-page.png"))

    # when: "?" lists the page's shortcuts
    page.locator("body").press("?")
    shortcuts = page.locator("#shortcuts-dialog")
    expect(shortcuts).to_be_visible()
    for label in ("Reply to the customer", "Write an internal note", "Assign to me", "Escalate"):
        expect(shortcuts).to_contain_text(label)
    page.screenshot(path=str(artifacts_dir / "ticket-page-shortcuts.png"))
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()

    # when: "r", insert a canned response, preview, send
    page.locator("body").press("r")
    body = page.get_by_label("Message", exact=True)
    expect(body).to_be_focused()
    page.get_by_label("Canned response").select_option(label="Looking into it")
    page.get_by_role("button", name="Insert").click()
    expect(body).to_have_value("Thanks for the report, we are looking into it.")
    body.press("End")
    body.type(" **Soon.** <script>alert(1)</script>")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#composer-preview")
    expect(preview.locator(".prose strong")).to_have_text("Soon.")
    expect(preview.locator("script")).to_have_count(0)
    page.get_by_role("button", name="Back to editing").click()
    page.get_by_role("button", name="Send", exact=True).click()

    # then: the reply shows, and the SLA panel has first response fulfilled
    expect(page.locator(".msg--public.msg--agent")).to_contain_text("we are looking into it")
    expect(first_response.get_by_test_id("sla-state")).to_have_text("Fulfilled")
    page.screenshot(path=str(artifacts_dir / "ticket-page-replied.png"))

    # when: "n" writes an internal note
    page.locator("body").press("n")
    page.get_by_label("Message", exact=True).fill("Checked the IdP logs: audience mismatch.")
    page.get_by_role("button", name="Send", exact=True).click()

    # then: it is styled and labelled as internal
    note = page.locator("article.msg--internal", has_text="audience mismatch")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Internal note")
    background = note.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(255, 248, 230)"

    # when: "e" opens the handoff form; the agent fills the template and escalates
    page.locator("body").press("e")
    dialog = page.get_by_role("dialog", name="Escalate ticket")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Issue summary").fill("SSO login loops for all Acme users.")
    dialog.get_by_label("Troubleshooting completed").fill("Reproduced in Chrome and Firefox.")
    dialog.get_by_label("Environment").fill("Okta SAML, Chrome 131")
    dialog.get_by_label("Why escalating").fill("Needs IdP configuration access.")
    dialog.get_by_label("What the customer expects").fill("Working logins today.")
    dialog.get_by_label("Suggested next steps").fill("Compare the SAML audience.")
    page.screenshot(path=str(artifacts_dir / "ticket-page-escalate.png"))
    dialog.get_by_role("button", name="Escalate").click()

    # then
    expect(page.get_by_role("status").first).to_contain_text("Ticket escalated.")
    expect(page.locator(".ticket-head__meta")).to_contain_text("Escalated")
    expect(page.locator(".ticket-head__meta")).to_contain_text("Tier L2")
    expect(page.locator("article.msg--internal", has_text="Escalation summary")).to_be_visible()
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_test_id("history")).to_contain_text("Escalated")
    page.screenshot(path=str(artifacts_dir / "ticket-page-history.png"))
    ticket.refresh_from_db()
    assert (ticket.support_tier, ticket.status) == ("l2", "escalated")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_second_agent_sees_the_collision_warning_until_the_first_leaves(
    live_server: LiveServer, browser: Browser, page: Page, artifacts_dir: Path
) -> None:
    # given: two agents on the same ticket, in separate browser contexts
    ana = AgentFactory(email="ana@helpdesk.test", full_name="Ana Agent")
    bob = AgentFactory(email="bob@helpdesk.test", full_name="Bob Agent")
    ticket = _ticket()
    sign_in(page, live_server, ana)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    other_context = browser.new_context(viewport=DESKTOP)
    other_context.set_default_timeout(15_000)
    other = other_context.new_page()
    try:
        sign_in(other, live_server, bob)

        # when: Bob opens the ticket
        other.goto(f"{live_server.url}/tickets/{ticket.pk}/")

        # then: Bob sees Ana viewing (her heartbeat is at most 5 s old)
        expect(other.get_by_test_id("presence")).to_contain_text("Ana Agent is viewing")

        # when: Ana starts typing a reply
        page.get_by_label("Message", exact=True).fill("Drafting an answer…")

        # then: Bob sees her replying
        expect(other.get_by_test_id("presence")).to_contain_text("Ana Agent is replying", timeout=12_000)
        other.screenshot(path=str(artifacts_dir / "ticket-page-collision.png"))

        # when: Ana leaves the page
        page.goto(f"{live_server.url}/")

        # then: the warning goes away on Bob's next heartbeat
        expect(other.get_by_test_id("presence")).to_have_count(0, timeout=12_000)
    finally:
        other_context.close()
