"""A customer files a ticket in the portal, follows the public conversation and replies (real Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk.models import User
from kb import services as kb_services
from kb.models import DeflectionAttempt
from tests.browser.helpers import sign_in
from tests.factories import AgentFactory, CustomerFactory, OrganizationFactory
from tickets import services
from tickets.models import MessageVisibility, Ticket, TicketStatus

PHONE_VIEWPORT = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_files_follows_and_replies_to_a_ticket(
    live_server: LiveServer, page: Page, browser: Browser, artifacts_dir: Path
) -> None:
    customer: User = CustomerFactory(
        email="portal.customer@acme.test",
        full_name="Pat Customer",
        organization=OrganizationFactory(name="Acme"),
    )
    agent: User = AgentFactory(email="portal.agent@helpdesk.test", full_name="Sam Agent")
    outsider: User = CustomerFactory(
        email="portal.outsider@globex.test", organization=OrganizationFactory(name="Globex")
    )

    article = kb_services.article_create(
        actor=agent, title="Export invoices to PDF", summary="Download any invoice as a PDF."
    )
    kb_services.article_publish(article_id=article.pk, actor=agent)

    # given: the customer is signed in and opens the portal
    sign_in(page, live_server, customer)
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", name="My tickets", level=1)).to_be_visible()

    # when: they file a ticket with an attachment
    page.locator("#main").get_by_role("link", name="New ticket").click()
    expect(page.get_by_role("heading", name="Open a ticket", level=1)).to_be_visible()
    page.get_by_label("Subject").fill("Invoices will not export")
    # then: a matching help article is suggested while they type (opening in a new tab)
    suggestion = page.locator("#kb-suggestions").get_by_role("link", name="Export invoices to PDF")
    expect(suggestion).to_be_visible()
    expect(suggestion).to_have_attribute("target", "_blank")
    page.get_by_label("What happened?").fill("The **Export** button shows an error.")
    page.get_by_role("radio", name=re.compile("^Several people")).check()
    page.get_by_role("radio", name=re.compile("^I can't work")).check()
    page.get_by_label("Attachments").set_input_files(
        {"name": "error.txt", "mimeType": "text/plain", "buffer": b"HTTP 500 at /export"}
    )
    page.screenshot(path=str(artifacts_dir / "portal-new-ticket.png"), full_page=True)
    page.get_by_role("button", name="Send ticket").click()

    # then: they land on the ticket page with a confirmation and the promised reply time
    expect(page.get_by_role("status")).to_contain_text("we've received your request")
    expect(page.get_by_role("heading", name=re.compile("Invoices will not export"), level=1)).to_be_visible()
    expect(page.get_by_test_id("expectation")).to_contain_text("We aim to reply within")
    expect(page.get_by_role("link", name="error.txt")).to_be_visible()
    ticket = Ticket.objects.get(requester=customer)
    assert ticket.priority == "p2"
    # and the suggestion it was shown is recorded as filed anyway
    attempt = DeflectionAttempt.objects.get(user=customer)
    assert (attempt.token, attempt.suggested, attempt.opened_article) == (ticket.external_id, True, None)
    ticket_url = f"{live_server.url}/portal/tickets/{ticket.pk}/"

    # and it is in My tickets
    page.get_by_role("link", name="← My tickets").click()
    expect(page.get_by_role("link", name=re.compile("Invoices will not export"))).to_be_visible()
    expect(page.locator(".portal-status")).to_have_text("Received")
    page.screenshot(path=str(artifacts_dir / "portal-my-tickets.png"), full_page=True)

    # when: support adds an internal note and a public reply asking for details
    services.message_create(
        ticket_id=ticket.pk,
        author=agent,
        body="INTERNAL: customer is on the old plan",
        visibility=MessageVisibility.INTERNAL,
    )
    services.message_create(ticket_id=ticket.pk, author=agent, body="Which browser do you use?")
    services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.PENDING, actor=agent)

    # then: the customer sees the public reply, never the note, and that it is their turn
    page.goto(ticket_url)
    expect(page.get_by_text("Which browser do you use?")).to_be_visible()
    expect(page.get_by_text("INTERNAL: customer is on the old plan")).to_have_count(0)
    expect(page.locator(".page-head .portal-status")).to_have_text("Waiting for your reply")
    page.screenshot(path=str(artifacts_dir / "portal-ticket-waiting.png"), full_page=True)

    # when: they reply
    page.get_by_label("Your reply").fill("Firefox 128 on Windows.")
    page.get_by_role("button", name="Send reply").click()

    # then: the reply shows and work resumes
    expect(page.get_by_role("status")).to_contain_text("Your reply was sent.")
    expect(page.get_by_text("Firefox 128 on Windows.")).to_be_visible()
    expect(page.locator(".page-head .portal-status")).to_have_text("We're working on it")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    page.set_viewport_size(PHONE_VIEWPORT)
    page.screenshot(path=str(artifacts_dir / "portal-ticket-phone.png"), full_page=True)

    # when: a customer of another organization opens that ticket's address
    other_context = browser.new_context()
    other = other_context.new_page()
    sign_in(other, live_server, outsider)
    response = other.goto(ticket_url)

    # then: it does not exist for them
    assert response is not None
    assert response.status == 404
    expect(other.get_by_text("Invoices will not export")).to_have_count(0)
    other.screenshot(path=str(artifacts_dir / "portal-other-organization-404.png"), full_page=True)
    other_context.close()
