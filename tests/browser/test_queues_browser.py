"""An agent works the At-risk queue in a real Chromium: order, chips, bulk assign, refresh, keys."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk.models import Team, User
from tests.browser.helpers import sign_in
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tickets import queues, services
from tickets.models import Priority, Ticket
from tickets.views import queues as queue_views

FIRST_RESPONSE_MINUTES = 15  # P1, business tier, in sla.services.policies.DEFAULT_TARGETS


def _p1_ticket(subject: str, *, used: float, team: Team, now: datetime) -> Ticket:
    """Open a P1 through the services with real SLA clocks, `used` of its 15-minute (24/7)
    first-response target gone by `now` (a business-tier customer, the seeded default policy)."""
    ticket = services.ticket_create(
        requester=CustomerFactory(),
        subject=subject,
        priority=Priority.P1,
        team=team,
        created_at=now - timedelta(minutes=FIRST_RESPONSE_MINUTES * used),
    )
    ticket.refresh_from_db()
    return ticket


def _row_ids(page: Page) -> list[str]:
    return page.locator("#queue-results tbody tr[data-ticket-id]").evaluate_all(
        "rows => rows.map(row => row.dataset.ticketId)"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_works_the_at_risk_queue(
    live_server: LiveServer, page: Page, artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_views, "REFRESH_SECONDS", 2)
    monkeypatch.setattr(queues, "COUNT_CACHE_SECONDS", 0)
    queues.queue_count_cache_clear()
    now = timezone.now()
    agent: User = AgentFactory(email="queue.agent@helpdesk.test", full_name="Quinn Queue")
    team = TeamFactory(name="Tier 1", slug="tier-1")
    team.members.add(agent)
    # given: four tickets at risk (81-95 % of their first response used, so they stay at risk for
    # the minute this test takes), one far from it and one breached
    at_risk = [
        _p1_ticket(
            f"Checkout fails for customer {n} when the cart holds more than fifty items",
            used=used,
            team=team,
            now=now,
        )
        for n, used in enumerate((0.81, 0.95, 0.87, 0.91), start=1)
    ]
    _p1_ticket("Fine for now", used=0.2, team=team, now=now)
    _p1_ticket("Already late", used=1.1, team=team, now=now)
    by_urgency = [str(t.pk) for t in sorted(at_risk, key=lambda t: Ticket.objects.get(pk=t.pk).sla_due_at)]

    # when: the agent signs in and opens At risk
    sign_in(page, live_server, agent)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    page.get_by_role("link", name=re.compile(r"^At risk")).click()

    # then: the at-risk tickets only, most urgent first, each with its SLA chip, and the tab count
    expect(page.get_by_role("heading", name="At risk", level=1)).to_be_visible()
    expect(page.locator("#queue-results tbody tr[data-ticket-id]")).to_have_count(4)
    assert _row_ids(page) == by_urgency
    expect(page.locator("#queue-results .sla-chip--red")).to_have_count(2)  # 91 % and 95 %
    expect(page.locator("#queue-results .sla-chip--orange")).to_have_count(2)  # 81 % and 87 %
    expect(page.locator('[data-count-for="at-risk"]')).to_have_text("4 tickets")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts_dir / "queues-at-risk-1280.png"), full_page=True)

    # when: they tick three tickets and assign them to themself
    for pk in by_urgency[:3]:
        page.get_by_label(f"Select ticket #{pk}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3 selected")
    page.get_by_role("button", name="Assign to me").click()

    # then: a success message, and the three show the new assignee
    expect(page.get_by_role("status")).to_contain_text("Assign to me: 3 of 3 selected tickets changed.")
    for pk in by_urgency[:3]:
        expect(page.locator(f'tr[data-ticket-id="{pk}"] .col-assignee')).to_have_text("Quinn Queue")
    expect(page.locator(f'tr[data-ticket-id="{by_urgency[3]}"] .col-assignee')).to_have_text("Unassigned")
    assert set(Ticket.objects.filter(assignee=agent).values_list("pk", flat=True)) == {
        int(pk) for pk in by_urgency[:3]
    }

    # when: a new ticket becomes at risk while the page is open
    page.evaluate("window.__sameDocument = true")
    newcomer = _p1_ticket("Arrived while looking", used=0.97, team=team, now=timezone.now())

    # then: it shows up at the top without a reload, and the count follows
    expect(page.locator("#queue-results tbody tr").first).to_have_attribute(
        "data-ticket-id", str(newcomer.pk), timeout=10_000
    )
    expect(page.locator('[data-count-for="at-risk"]')).to_have_text("5 tickets")
    assert page.evaluate("window.__sameDocument === true")

    # when: they move with j/k and tick with x
    page.locator("body").press("j")
    page.keyboard.press("j")
    rows = page.locator("#queue-results tbody tr[data-ticket-id]")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bis-current\b"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bis-current\b"))
    expect(rows.nth(1)).not_to_have_class(re.compile(r"\bis-current\b"))
    page.keyboard.press("x")
    expect(page.get_by_label(f"Select ticket #{newcomer.pk}")).to_be_checked()
    page.keyboard.press("x")
    expect(page.get_by_label(f"Select ticket #{newcomer.pk}")).not_to_be_checked()

    # and Enter opens the highlighted ticket
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{newcomer.pk}/(\?from=[a-z0-9-]+)?$"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_refresh_waits_while_tickets_are_selected(
    live_server: LiveServer, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_views, "REFRESH_SECONDS", 1)
    now = timezone.now()
    agent: User = AgentFactory(email="picky.agent@helpdesk.test")
    team = TeamFactory()
    team.members.add(agent)
    first = _p1_ticket("First", used=0.85, team=team, now=now)
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/tickets/?view=at-risk")

    # given: a ticked row
    page.get_by_label(f"Select ticket #{first.pk}").check()

    # when: another ticket arrives and several refresh periods pass
    later = _p1_ticket("Later", used=0.93, team=team, now=timezone.now())
    page.wait_for_timeout(3_000)

    # then: the table was left alone, selection intact
    expect(page.locator(f'tr[data-ticket-id="{later.pk}"]')).to_have_count(0)
    expect(page.get_by_label(f"Select ticket #{first.pk}")).to_be_checked()

    # and once unticked, the next refresh brings it in
    page.get_by_label(f"Select ticket #{first.pk}").uncheck()
    expect(page.locator(f'tr[data-ticket-id="{later.pk}"]')).to_have_count(1, timeout=5_000)
