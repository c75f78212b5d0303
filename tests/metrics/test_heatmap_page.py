"""The arrivals heatmap page: its shading, the business-hours hint, zones, scopes and who sees it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from helpdesk.models import Role, User
from metrics.reporting import heatmap_view
from metrics.reporting.periods import Window
from metrics.reporting.refresh import metrics_refresh
from metrics.reporting.selectors import Heatmap, Slice
from tests.factories import TeamFactory, UserFactory
from tests.metrics.history import MON, NOW, History, build_history

URL = "/metrics/heatmap/"


def _heatmap(cells: list[list[int]]) -> Heatmap:
    return Heatmap(
        Window(MON.date(), MON.date()),
        Slice("all"),
        "UTC",
        tuple(tuple(row) for row in cells),
        sum(map(sum, cells)),
    )


def _grid(**counts: int) -> list[list[int]]:
    """A 7 × 24 grid from keyword counts like mon_09=3 (weekday prefix, UTC hour)."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    cells = [[0] * 24 for _ in range(7)]
    for name, count in counts.items():
        day, hour = name.split("_")
        cells[days.index(day)][int(hour)] = count
    return cells


# --- the pure part: shades, legend, busiest cells, business hours ------------------------------


@pytest.mark.parametrize(
    ("count", "peak", "shade"),
    [(0, 10, 0), (1, 10, 1), (2, 10, 1), (3, 10, 2), (6, 10, 3), (9, 10, 5), (10, 10, 5), (1, 1, 5)],
)
def test_a_cell_is_shaded_by_its_share_of_the_busiest_cell(count: int, peak: int, shade: int) -> None:
    assert heatmap_view.shade_of(count, peak) == shade


@pytest.mark.parametrize("peak", range(1, 41))
def test_the_legend_names_the_counts_of_each_shade_exactly(peak: int) -> None:
    legend = heatmap_view.shade_legend(peak)

    for count in range(1, peak + 1):
        [shade] = [shade for shade in legend if shade.low <= count <= shade.high]
        assert shade.level == heatmap_view.shade_of(count, peak)
    assert legend[0].low == 1
    assert legend[-1].high == peak


def test_the_business_hours_hint_is_the_shortest_weekday_window_holding_80_percent() -> None:
    # given: every weekday 10 arrivals an hour 09–12 and 14–15 (a lunch dip of 2 at 13), 4 at 07,
    # and a weekend that no weekday window can hold
    day = {"09": 10, "10": 10, "11": 10, "12": 10, "13": 2, "14": 10, "15": 10, "07": 4}
    counts = {
        f"{weekday}_{hour}": count
        for weekday in ("mon", "tue", "wed", "thu", "fri")
        for hour, count in day.items()
    }
    cells = _grid(**counts, sat_11=20, sun_11=10)
    # when
    hint = heatmap_view.business_hours(cells)
    # then: weekday arrivals 5 × 66 = 330; 80 % is 264. 09–16 (7 h) holds 5 × 62 = 310 and
    # nothing shorter reaches 264 (the best 6 hours, 09–15 or 10–16, hold 5 × 52 = 260).
    assert hint is not None
    assert (hint.start_hour, hint.end_hour, hint.covered, hint.weekday_total, hint.total) == (
        9,
        16,
        310,
        330,
        360,
    )
    assert hint.span == "09:00–16:00"
    assert round(hint.weekday_share, 1) == 93.9
    assert round(hint.weekend_share, 1) == 8.3


def test_among_equally_short_windows_the_fuller_one_wins() -> None:
    # 80 % of 11 arrivals is 8.8: no single hour holds 9; of the two-hour windows 08–10 (9) and
    # 09–11 (10) both do, and the fuller one is suggested although it starts later.
    cells = _grid(mon_08=1, mon_09=8, mon_10=2)

    hint = heatmap_view.business_hours(cells)

    assert hint is not None
    assert (hint.start_hour, hint.end_hour, hint.covered) == (9, 11, 10)


def test_no_hint_without_weekday_arrivals() -> None:
    assert heatmap_view.business_hours(_grid(sat_10=4)) is None


def test_the_page_names_the_busiest_cells_most_first_then_in_week_order() -> None:
    page = heatmap_view.heatmap_page(_heatmap(_grid(tue_10=5, mon_09=5, fri_16=7, wed_03=1)))

    assert [cell.label for cell in page.busiest] == [
        "Friday 16:00–17:00: 7 arrivals (38.9 %)",
        "Monday 09:00–10:00: 5 arrivals (27.8 %)",
        "Tuesday 10:00–11:00: 5 arrivals (27.8 %)",
        "Wednesday 03:00–04:00: 1 arrival (5.6 %)",
    ]
    assert (page.busiest_day, page.busiest_hour) == ("Friday", "16:00–17:00")
    assert page.rows[4].total == 7
    assert page.hour_totals[9] == 5


def test_only_real_zone_names_are_accepted() -> None:
    assert heatmap_view.is_time_zone("Europe/Berlin")
    assert heatmap_view.is_time_zone("UTC")
    assert not heatmap_view.is_time_zone("Mars/Olympus")
    assert not heatmap_view.is_time_zone("localtime")
    assert not heatmap_view.is_time_zone("../../etc/passwd")


# --- the page ----------------------------------------------------------------------------------


@pytest.fixture
def history(db: None) -> History:
    built = build_history()
    metrics_refresh(now=NOW)
    return built


def _get(user: User | None, url: str = URL, **params: str) -> Any:
    client = Client()
    if user is not None:
        client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        return client.get(url, params)


def _cell(html: str, weekday: str, hour: int) -> int:
    """Return the count the page shows in a cell, found by its accessible label."""
    match = re.search(rf'aria-label="{weekday} {hour:02d}:00–{hour + 1:02d}:00: (\d+) arrivals?', html)
    assert match is not None, f"no cell for {weekday} {hour}"
    return int(match.group(1))


def test_the_page_shows_arrivals_in_the_viewers_zone_by_default(history: History) -> None:
    # given: a manager in Berlin (UTC+1 in March); A, C and D arrived Monday 09:00 UTC, B 16:00
    manager = UserFactory(role=Role.MANAGER, time_zone="Europe/Berlin")
    # when
    response = _get(manager)
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert (_cell(html, "Monday", 10), _cell(html, "Monday", 17), _cell(html, "Monday", 9)) == (3, 1, 0)
    assert 'class="heatmap__cell heatmap__cell--5"' in html
    assert "<strong>Monday 10:00–11:00: 3 arrivals (75.0 %)</strong>" in html
    assert "Business hours from data: <strong>Monday–Friday 10:00–18:00</strong>" in html
    assert '<option value="Europe/Berlin" selected>' in html


def test_a_chosen_zone_moves_the_hours_half_hour_offsets_included(history: History) -> None:
    response = _get(UserFactory(role=Role.MANAGER), tz="Asia/Kolkata")  # UTC+5:30

    html = response.content.decode()
    # 09:00 UTC is 14:30 in Kolkata: the hour lands where it starts.
    assert (_cell(html, "Monday", 14), _cell(html, "Monday", 21)) == (3, 1)
    assert "Tickets created, by weekday and hour of day in <strong>Asia/Kolkata</strong>" in html


def test_an_unknown_zone_is_a_400_with_the_form(history: History) -> None:
    response = _get(UserFactory(role=Role.MANAGER), tz="Mars/Olympus")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown time zone “Mars/Olympus”." in html
    assert 'class="heatmap"' not in html


@pytest.mark.parametrize(("period", "days"), [("1w", 7), ("1m", 30), ("6m", 182), ("forever", 7)])
def test_the_period_picks_the_window(history: History, period: str, days: int) -> None:
    response = _get(UserFactory(role=Role.MANAGER), period=period)

    assert response.context["page"].heatmap.window.days == days
    assert response.context["page"].heatmap.total == 4


@pytest.mark.parametrize(
    ("_case", "who", "query", "status"),
    [
        ("a customer may not", "customer", "", 403),
        ("an agent may not", "agent", "", 403),
        ("an agent may not even for themselves", "agent", "agent={agent}", 403),
        ("a team lead may see the whole helpdesk", "lead", "", 200),
        ("a team lead may see their team", "lead", "team={team}", 200),
        ("a team lead may not see another team", "lead", "team={other_team}", 403),
        ("a manager may see any team", "manager", "team={other_team}", 200),
        ("an admin may", "admin", "", 200),
        ("a missing team is a 404", "manager", "team=999999", 404),
    ],
)
def test_the_heatmap_is_for_leads_managers_and_admins(
    history: History, _case: str, who: str, query: str, status: int
) -> None:
    people = {
        "customer": history.customer,
        "agent": history.agent,
        "lead": history.lead,
        "manager": UserFactory(role=Role.MANAGER),
        "admin": UserFactory(role=Role.ADMIN),
    }
    ids = {"agent": history.agent.pk, "team": history.team.pk, "other_team": TeamFactory(name="Other").pk}

    response = _get(people[who], f"{URL}?{query.format(**ids)}")

    assert response.status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(history: History) -> None:
    response = _get(None)

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_a_team_heatmap_counts_that_teams_arrivals_only(history: History) -> None:
    # given: another team with no tickets
    other = TeamFactory(name="Quiet team")
    manager = UserFactory(role=Role.MANAGER)
    # when
    support = _get(manager, team=str(history.team.pk))
    quiet = _get(manager, team=str(other.pk))
    # then
    assert support.context["page"].heatmap.total == 4
    assert "<h1>Ticket arrivals: Support</h1>" in support.content.decode()
    assert quiet.context["page"].heatmap.total == 0
    assert "No tickets arrived in this period." in quiet.content.decode()


def test_the_sla_dashboard_links_to_the_heatmap_for_leads_and_managers_only(history: History) -> None:
    manager_page = _get(UserFactory(role=Role.MANAGER), "/metrics/sla/", period="1m").content.decode()
    team_page = _get(history.lead, "/metrics/sla/", team=str(history.team.pk)).content.decode()
    own_page = _get(history.agent, "/metrics/sla/", agent=str(history.agent.pk)).content.decode()

    assert 'href="/metrics/heatmap/?period=1m">Ticket arrivals by weekday and hour' in manager_page
    assert f'href="/metrics/heatmap/?period=1w&amp;team={history.team.pk}">' in team_page
    assert "/metrics/heatmap/" not in own_page


def test_the_heatmap_page_reads_one_rollup_range(
    history: History, django_assert_max_num_queries: Any
) -> None:
    # session, user, the heatmap's day rows, the nav's unread count
    manager = UserFactory(role=Role.MANAGER)
    client = Client()
    client.force_login(manager)

    with django_assert_max_num_queries(4), time_machine.travel(NOW, tick=False):
        response = client.get(URL, {"period": "6m"})

    assert response.status_code == 200
