"""One agent's working session end to end in a real Chromium: At risk, reply, note, escalate, bulk
assign, and a second agent's collision warning."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk.models import Team, User
from sla.models import SlaClock
from tests.browser.helpers import sign_in
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tickets import queues, services
from tickets.models import MessageVisibility, Priority, Ticket, TicketMessage

DESKTOP = {"width": 1280, "height": 800}
# P1 for a business-tier customer under the seeded default policy: 15 minutes, around the clock
# (sla.services.policies.DEFAULT_TARGETS), so `created_at` alone sets how much of it is used.
FIRST_RESPONSE = timedelta(minutes=15)
CHIP_TITLE = re.compile(r"^First response due .+ \((?P<percent>\d+(?:\.\d+)?)% of target used\)$")


def _p1_ticket(subject: str, *, used: float, team: Team, now: datetime) -> Ticket:
    """Open a P1 through the service with real SLA clocks, `used` of its first-response target gone."""
    ticket = services.ticket_create(
        requester=CustomerFactory(),
        subject=subject,
        priority=Priority.P1,
        team=team,
        created_at=now - FIRST_RESPONSE * used,
    )
    ticket.refresh_from_db()
    return ticket


def _row_ids(page: Page) -> list[int]:
    ids = page.locator("#queue-results tbody tr[data-ticket-id]").evaluate_all(
        "rows => rows.map(row => row.dataset.ticketId)"
    )
    return [int(pk) for pk in ids]


def _shot(page: Page, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"journey-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_works_an_at_risk_ticket_through_to_a_handoff_and_bulk_assigns(
    live_server: LiveServer,
    browser: Browser,
    page: Page,
    artifacts_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: two agents of one team; tab counts read fresh (the cache is shared across tests)
    monkeypatch.setattr(queues, "COUNT_CACHE_SECONDS", 0)
    queues.queue_count_cache_clear()
    now = timezone.now()
    ana: User = AgentFactory(email="ana.journey@helpdesk.test", full_name="Ana Journey")
    bob: User = AgentFactory(email="bob.journey@helpdesk.test", full_name="Bob Journey")
    team = TeamFactory(name="Frontline", slug="frontline")
    team.members.add(ana, bob)
    # and: three P1s at risk (82-94 % of first response used: they stay at risk, and below breach,
    # for the minute the journey takes), two fresh ones and one already breached
    at_risk = [
        _p1_ticket(subject, used=used, team=team, now=now)
        for subject, used in (
            ("Checkout times out for large carts", 0.82),
            ("Payments page returns 502", 0.94),
            ("Password reset emails never arrive", 0.88),
        )
    ]
    fresh = [
        _p1_ticket("Dark mode contrast on reports", used=0.2, team=team, now=now),
        _p1_ticket("CSV export misses the header row", used=0.4, team=team, now=now),
    ]
    breached = _p1_ticket("Invoices API down since last night", used=1.3, team=team, now=now)

    # and: each ticket's queue key is its first-response due instant, created_at + 15 minutes
    for ticket in [*at_risk, *fresh, breached]:
        clock = SlaClock.objects.get(ticket=ticket, metric="first_response")
        assert clock.due_at == ticket.created_at + FIRST_RESPONSE
        assert ticket.sla_due_at == clock.due_at
    by_urgency = sorted(at_risk, key=lambda t: t.sla_due_at)
    most_urgent = by_urgency[0]
    assert most_urgent.subject == "Payments page returns 502"

    # when: Ana signs in through the form and opens At risk from the queue tabs
    sign_in(page, live_server, ana)
    _shot(page, artifacts_dir, "01-dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    page.get_by_role("navigation", name="Queue views").get_by_role(
        "link", name=re.compile(r"^At risk")
    ).click()

    # then: only the at-risk tickets, soonest due first, each chip showing its share of the target
    expect(page.get_by_role("heading", name="At risk", level=1)).to_be_visible()
    expect(page.locator("#queue-results tbody tr[data-ticket-id]")).to_have_count(3)
    assert _row_ids(page) == [t.pk for t in by_urgency]
    first_row = page.locator("#queue-results tbody tr[data-ticket-id]").first
    expect(first_row.locator(".col-subject")).to_have_text("Payments page returns 502")
    for ticket, used in zip(at_risk, (0.82, 0.94, 0.88), strict=True):
        chip = page.locator(f'tr[data-ticket-id="{ticket.pk}"] .sla-chip')
        match = CHIP_TITLE.match(chip.get_attribute("title") or "")
        assert match is not None
        # a few seconds of wall time pass between creating the tickets and rendering the page
        assert used * 100 <= float(match["percent"]) < used * 100 + 5
    expect(page.locator(f'tr[data-ticket-id="{most_urgent.pk}"] .sla-chip--red')).to_be_visible()
    expect(page.locator(f'tr[data-ticket-id="{breached.pk}"]')).to_have_count(0)
    _shot(page, artifacts_dir, "02-at-risk")

    # when: she opens the first row and sends a public reply
    first_row.get_by_role("link", name="Payments page returns 502").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{most_urgent.pk}/(\?from=[a-z0-9-]+)?$"))
    first_response = page.locator('[data-metric="first_response"]')
    expect(first_response.get_by_test_id("sla-state")).to_have_text("Running")
    page.get_by_role("navigation", name="Ticket actions").get_by_role("button", name="Reply").click()
    page.get_by_label("Message", exact=True).fill("We are on it: the payment gateway is being restarted.")
    page.get_by_role("button", name="Send", exact=True).click()

    # then: the reply is in the conversation and the first-response clock is fulfilled
    expect(page.locator(".msg--public.msg--agent")).to_contain_text("payment gateway is being restarted")
    expect(first_response.get_by_test_id("sla-state")).to_have_text("Fulfilled")
    _shot(page, artifacts_dir, "03-replied")

    # when: she adds an internal note
    page.get_by_role("navigation", name="Ticket actions").get_by_role("button", name="Internal note").click()
    expect(page.get_by_label("Internal note")).to_be_checked()
    page.get_by_label("Message", exact=True).fill("Gateway logs show TLS handshake failures from 09:12.")
    page.get_by_role("button", name="Send", exact=True).click()

    # then: the note is labelled and styled as internal, unlike the public reply
    note = page.locator("article.msg--internal", has_text="TLS handshake failures")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Internal note")
    assert note.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 248, 230)"
    expect(page.locator("article.msg--public", has_text="TLS handshake failures")).to_have_count(0)
    assert list(
        TicketMessage.objects.filter(ticket=most_urgent).order_by("pk").values_list("visibility", flat=True)
    )[-2:] == [MessageVisibility.PUBLIC, MessageVisibility.INTERNAL]
    _shot(page, artifacts_dir, "04-internal-note")

    # when: she escalates with the handoff form, every field filled in
    page.get_by_role("navigation", name="Ticket actions").get_by_role("button", name="Escalate").click()
    dialog = page.get_by_role("dialog", name="Escalate ticket")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Issue summary").fill("Payments page returns 502 for every customer.")
    dialog.get_by_label("Troubleshooting completed").fill("Restarted the gateway twice; no change.")
    dialog.get_by_label("Environment").fill("Production, eu-west-1, gateway v4.2")
    dialog.get_by_label("Why escalating").fill("Needs access to the gateway's TLS configuration.")
    dialog.get_by_label("What the customer expects").fill("Payments working again within the hour.")
    dialog.get_by_label("Suggested next steps").fill("Check the certificate chain renewed last night.")
    _shot(page, artifacts_dir, "05-escalate-dialog")
    dialog.get_by_role("button", name="Escalate").click()

    # then: the ticket is escalated to the next tier, with the handoff kept as an internal note
    expect(page.get_by_role("status").first).to_contain_text("Ticket escalated.")
    head = page.locator(".ticket-head__meta")
    expect(head).to_contain_text("Escalated")
    expect(head).to_contain_text("Tier L2")
    handoff = page.locator("article.msg--internal", has_text="Escalation summary")
    expect(handoff).to_be_visible()
    for text in (
        "Payments page returns 502 for every customer.",
        "Check the certificate chain renewed last night.",
    ):
        expect(handoff).to_contain_text(text)
    most_urgent.refresh_from_db()
    assert (most_urgent.status, most_urgent.support_tier) == ("escalated", "l2")
    _shot(page, artifacts_dir, "06-escalated")

    # when: she goes back to the team's queue, ticks three unassigned tickets and assigns them to Bob
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    page.get_by_role("navigation", name="Queue views").get_by_role(
        "link", name=re.compile(r"^Frontline")
    ).click()
    expect(page.get_by_role("heading", name="Frontline", level=1)).to_be_visible()
    chosen = [by_urgency[1], by_urgency[2], fresh[0]]
    others = [fresh[1], breached]
    for ticket in chosen:
        page.get_by_label(f"Select ticket #{ticket.pk}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3 selected")
    bulk_bar = page.get_by_role("group", name="Bulk actions")
    bulk_bar.locator("summary", has_text="Assign…").click()
    bulk_bar.get_by_label("Assign to").select_option(label="Bob Journey")
    _shot(page, artifacts_dir, "07-bulk-assign-menu")
    bulk_bar.get_by_role("button", name="Assign", exact=True).click()

    # then: a success message, Bob on the three rows, the others untouched, and the same in the database
    expect(page.get_by_role("status").first).to_contain_text("Assign: 3 of 3 selected tickets changed.")
    for ticket in chosen:
        expect(page.locator(f'tr[data-ticket-id="{ticket.pk}"] .col-assignee')).to_have_text("Bob Journey")
    for ticket in others:
        expect(page.locator(f'tr[data-ticket-id="{ticket.pk}"] .col-assignee')).to_have_text("Unassigned")
    assert set(Ticket.objects.filter(assignee=bob).values_list("pk", flat=True)) == {t.pk for t in chosen}
    assert not Ticket.objects.filter(pk__in=[t.pk for t in others], assignee__isnull=False).exists()
    _shot(page, artifacts_dir, "08-bulk-assigned")

    # when: Ana opens one of them, and Bob opens the same ticket in his own browser session
    watched = chosen[0]
    page.locator(f'tr[data-ticket-id="{watched.pk}"]').get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{watched.pk}/(\?from=[a-z0-9-]+)?$"))
    other_context = browser.new_context(viewport=DESKTOP)
    other_context.set_default_timeout(15_000)
    try:
        other = other_context.new_page()
        sign_in(other, live_server, bob)
        other.goto(f"{live_server.url}/tickets/{watched.pk}/")

        # then: Bob is warned that Ana is viewing it
        presence = other.get_by_test_id("presence")
        expect(presence).to_contain_text("Ana Journey is viewing")
        _shot(other, artifacts_dir, "09-collision-warning")

        # when: Ana leaves the ticket
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
        expect(page.get_by_role("navigation", name="Queue views")).to_be_visible()

        # then: the warning goes away on Bob's next heartbeat
        expect(presence).to_have_count(0, timeout=15_000)
        _shot(other, artifacts_dir, "10-collision-cleared")
    finally:
        other_context.close()
