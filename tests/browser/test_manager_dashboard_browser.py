"""A manager opens the SLA dashboard on demo data in a real Chromium and sees the breaches."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk import demo
from metrics.models import MetricSnapshot

MANAGER = ("manager@demo.helpdesk", "demo-manager-pass")
# A Wednesday afternoon: what is breached "now" depends on business hours, so on a weekend night
# a small demo can have nothing breached. The clock runs on from here (server and seeding alike).
MIDWEEK = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_sees_the_breaches_on_the_sla_dashboard(
    live_server: LiveServer, page: Page, artifacts_dir: Path, request: pytest.FixtureRequest
) -> None:
    # given: a small demo helpdesk; seeding ends with the metric facts and rollups built
    traveller = time_machine.travel(MIDWEEK, tick=True)
    traveller.start()
    request.addfinalizer(traveller.stop)
    demo.demo_seed(tickets=150, seed=3)
    breached = MetricSnapshot.objects.get(dimension="all").breached
    assert breached > 0

    # when: the manager signs in and opens the dashboard from the navigation
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email").fill(MANAGER[0])
    page.get_by_label("Password").fill(MANAGER[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SLA dashboard").click()

    # then: the breaches now, with their tone in words, and a row per team
    expect(page.get_by_role("heading", level=1)).to_have_text("SLA dashboard")
    card = page.locator(".figure-card", has=page.get_by_text("Breached now", exact=True))
    expect(card.locator(".figure-card__value")).to_have_text(str(breached))
    expect(page.get_by_role("heading", name="By team")).to_be_visible()
    expect(page.locator("table.dashboard-teams tbody tr")).not_to_have_count(0)
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Below warning|Watch|On target")).first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "manager-sla-dashboard.png"), full_page=True)

    # and the six-month view, then the breached queue behind the figure
    page.get_by_role("link", name="6 months").click()
    expect(page.get_by_role("link", name="6 months")).to_have_attribute("aria-current", "page")
    card.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/tickets/\?view=breached"))
