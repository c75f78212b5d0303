"""A manager opens the arrivals heatmap from the SLA dashboard in a real Chromium, reads it, changes
its time zone and downloads it as CSV."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk import demo
from metrics.reporting import periods, selectors

MANAGER = ("manager@demo.helpdesk", "demo-manager-pass")  # time zone Europe/Berlin


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_reads_the_arrivals_heatmap_and_downloads_it(
    live_server: LiveServer, page: Page, artifacts_dir: Path
) -> None:
    # given: a small demo helpdesk, its rollups built by the seed
    demo.demo_seed(tickets=150, seed=3)
    window = periods.window_for("1m", today=timezone.now().date())
    expected = selectors.heatmap(window=window, time_zone="Europe/Berlin")
    assert expected.total > 0

    # when: the manager signs in and follows the dashboard's link for a month
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email").fill(MANAGER[0])
    page.get_by_label("Password").fill(MANAGER[1])
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/metrics/sla/?period=1m")
    page.get_by_role("link", name="Ticket arrivals by weekday and hour").click()

    # then: 7 × 24 shaded cells in the manager's own zone, each labelled, totals matching the data
    expect(page.get_by_role("heading", level=1)).to_have_text("Ticket arrivals")
    expect(page.get_by_role("link", name="1 month")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    cells = page.locator("table.heatmap tbody td.heatmap__cell")
    expect(cells).to_have_count(7 * 24)
    expect(page.locator("table.heatmap td.heatmap__cell--5").first).to_be_visible()
    monday_nine = page.locator("table.heatmap tbody tr").first.locator("td.heatmap__cell").nth(9)
    expect(monday_nine).to_have_attribute("title", re.compile(r"^Monday 09:00–10:00: \d+ arrivals? \("))
    expect(monday_nine).to_have_text(str(expected.cells[0][9]))
    expect(page.locator("table.heatmap tfoot td").last).to_have_text(str(expected.total))
    expect(page.get_by_text("Busiest hours:")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Business hours from data: Monday–Friday \d\d:00–\d\d:00"))
    ).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "manager-arrivals-heatmap.png"), full_page=True)

    # and the CSV link downloads the same table
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the heatmap as CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-Europe-Berlin.csv")
    with Path(download.path()).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["weekday", *(f"h{hour:02d}" for hour in range(24)), "total"]
    assert rows[1][1:25] == [str(count) for count in expected.cells[0]]
    assert rows[-1][0] == "Total"
    assert rows[-1][-1] == str(expected.total)

    # and another zone moves the hours (Tokyo is 7 or 8 hours ahead of Berlin)
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"tz=Asia%2FTokyo"))
    tokyo = selectors.heatmap(window=window, time_zone="Asia/Tokyo")
    expect(page.locator("table.heatmap tbody tr").first.locator("td.heatmap__cell").nth(9)).to_have_text(
        str(tokyo.cells[0][9])
    )
    expect(page.locator("table.heatmap tfoot td").last).to_have_text(str(expected.total))
