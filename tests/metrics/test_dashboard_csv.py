"""Every table on the dashboard pages downloads as CSV, for whoever may see the page and nobody else.

Each test reads the page's own CSV links (so a table that loses its link fails here), downloads
them as the page's viewer, then asks again as someone without access.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from helpdesk.models import Role, User
from metrics import services
from metrics.models import Survey, SurveyFollowUp, SurveyKind, SurveySettings, SurveyStatus
from metrics.reporting.refresh import metrics_refresh
from tests.factories import AgentFactory, TeamFactory, UserFactory
from tests.metrics.history import MON, NOW, History, build_history

CSV_LINK = re.compile(r'href="([^"]*\.csv[^"]*)"')


@dataclass
class Download:
    status: int
    content_type: str
    rows: list[list[str]]


@pytest.fixture
def history(db: None) -> History:
    built = build_history()
    metrics_refresh(now=NOW)
    return built


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str) -> Any:
    with time_machine.travel(NOW, tick=False):
        return client.get(url)


def _csv_links(client: Client, page_url: str) -> list[str]:
    response = _get(client, page_url)
    assert response.status_code == 200
    return [html.unescape(link) for link in CSV_LINK.findall(response.content.decode())]


def _download(client: Client, url: str) -> Download:
    response = _get(client, url)
    body = response.content.decode() if response["Content-Type"].startswith("text/csv") else ""
    return Download(response.status_code, response["Content-Type"], list(csv.reader(io.StringIO(body))))


def _by_header(download: Download) -> list[dict[str, str]]:
    header, *rows = download.rows
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- the SLA dashboard -------------------------------------------------------------------------


def test_every_table_of_the_manager_dashboard_downloads(history: History) -> None:
    # given
    manager = _client(UserFactory(role=Role.MANAGER))
    # when
    links = _csv_links(manager, "/metrics/sla/?period=1m")
    downloads = {link.split("?")[0]: _download(manager, link) for link in links}
    # then
    assert sorted(downloads) == [
        "/metrics/sla/figures.csv",
        "/metrics/sla/teams.csv",
        "/metrics/sla/trend.csv",
    ]
    assert all(d.status == 200 and d.content_type == "text/csv; charset=utf-8" for d in downloads.values())
    figures = {row["metric"]: row for row in _by_header(downloads["/metrics/sla/figures.csv"])}
    assert (figures["breached_now"]["section"], figures["breached_now"]["value"]) == ("now", "1.0")
    assert (figures["response_sla"]["value"], figures["response_sla"]["tone"]) == ("50.0", "Below warning")
    [support] = _by_header(downloads["/metrics/sla/teams.csv"])
    assert (support["team"], support["breaches"], support["breached_now"], support["open_now"]) == (
        "Support",
        "2.0",
        "1.0",
        "1",
    )
    trend = _by_header(downloads["/metrics/sla/trend.csv"])
    assert len(trend) == 30
    monday = next(row for row in trend if row["start"] == str(MON.date()))
    assert (monday["breaches"], monday["breaches_tone"]) == ("2.0", "Watch")  # as the trend table shows it


def test_a_team_dashboard_downloads_its_own_tables_and_has_no_team_table(history: History) -> None:
    lead = _client(history.lead)

    links = _csv_links(lead, f"/metrics/sla/?team={history.team.pk}")

    assert sorted(link.split("?")[0] for link in links) == [
        "/metrics/sla/figures.csv",
        "/metrics/sla/trend.csv",
    ]
    assert all(f"team={history.team.pk}" in link for link in links)
    assert [_download(lead, link).status for link in links] == [200, 200]
    assert _download(lead, f"/metrics/sla/teams.csv?team={history.team.pk}").status == 404


def test_an_agent_downloads_their_own_dashboards_tables(history: History) -> None:
    agent = _client(history.agent)

    links = _csv_links(agent, f"/metrics/sla/?agent={history.agent.pk}")

    by_table = {link.split("?")[0]: link for link in links}
    assert sorted(by_table) == ["/metrics/sla/figures.csv", "/metrics/sla/trend.csv"]
    figures = {
        row["metric"]: row for row in _by_header(_download(agent, by_table["/metrics/sla/figures.csv"]))
    }
    assert figures["breaches"]["value"] == "2.0"
    assert _download(agent, by_table["/metrics/sla/trend.csv"]).status == 200


@pytest.mark.parametrize(
    ("_case", "who", "url", "status"),
    [
        ("a customer gets no helpdesk figures", "customer", "/metrics/sla/figures.csv", 403),
        ("an agent gets no helpdesk figures", "agent", "/metrics/sla/figures.csv", 403),
        ("an agent gets no team table", "agent", "/metrics/sla/teams.csv", 403),
        ("an agent gets no trend of the helpdesk", "agent", "/metrics/sla/trend.csv", 403),
        (
            "an agent gets no other agent's figures",
            "agent",
            "/metrics/sla/figures.csv?agent={other_agent}",
            403,
        ),
        ("an agent gets no team's trend", "agent", "/metrics/sla/trend.csv?team={team}", 403),
        ("a lead gets no other team's figures", "lead", "/metrics/sla/figures.csv?team={other_team}", 403),
        ("an unknown table is a 404", "manager", "/metrics/sla/secrets.csv", 404),
    ],
)
def test_sla_dashboard_csv_is_refused_to_those_who_may_not_see_the_page(
    history: History, _case: str, who: str, url: str, status: int
) -> None:
    people = {
        "customer": history.customer,
        "agent": history.agent,
        "lead": history.lead,
        "manager": UserFactory(role=Role.MANAGER),
    }
    ids = {
        "team": history.team.pk,
        "other_team": TeamFactory(name="Other").pk,
        "other_agent": AgentFactory().pk,
    }

    download = _download(_client(people[who]), url.format(**ids))

    assert download.status == status
    assert download.rows == []


def test_signed_out_visitors_get_no_csv(history: History) -> None:
    for url in ("/metrics/sla/figures.csv", "/metrics/heatmap.csv", "/surveys/capacity.csv"):
        response = _get(Client(), url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/")


# --- the heatmap -------------------------------------------------------------------------------


def test_the_heatmap_downloads_in_the_chosen_zone(history: History) -> None:
    # given
    manager = _client(UserFactory(role=Role.MANAGER))
    # when
    [link] = _csv_links(manager, f"/metrics/heatmap/?tz=Europe/Berlin&period=1m&team={history.team.pk}")
    download = _download(manager, link)
    # then: A, C and D at 09:00 UTC and B at 16:00 UTC are 10:00 and 17:00 in Berlin
    assert download.status == 200
    assert download.rows[0] == ["weekday", *(f"h{hour:02d}" for hour in range(24)), "total"]
    rows = {row["weekday"]: row for row in _by_header(download)}
    assert (rows["Monday"]["h10"], rows["Monday"]["h17"], rows["Monday"]["total"]) == ("3", "1", "4")
    assert rows["Total"]["total"] == "4"
    assert list(rows) == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Total",
    ]


@pytest.mark.parametrize(
    ("_case", "who", "query", "status"),
    [
        ("a customer may not", "customer", "", 403),
        ("an agent may not", "agent", "", 403),
        ("a lead may not for another team", "lead", "team={other_team}", 403),
        ("a lead may for the helpdesk", "lead", "", 200),
        ("an unknown zone is a 400 naming the field", "manager", "tz=Nowhere/Special", 400),
    ],
)
def test_heatmap_csv_follows_the_pages_permissions(
    history: History, _case: str, who: str, query: str, status: int
) -> None:
    people = {"customer": history.customer, "agent": history.agent, "lead": history.lead}
    people["manager"] = UserFactory(role=Role.MANAGER)
    ids = {"other_team": TeamFactory(name="Other").pk}

    download = _download(_client(people[who]), f"/metrics/heatmap.csv?{query.format(**ids)}")

    assert download.status == status
    if status == 400:
        assert download.rows == [["field", "message"], ["tz", "Unknown time zone “Nowhere/Special”."]]
    elif status == 403:
        assert download.rows == []


# --- the capacity planner ----------------------------------------------------------------------


def test_the_capacity_table_downloads_for_the_same_inputs(history: History) -> None:
    lead = _client(history.lead)

    [link] = _csv_links(lead, "/surveys/capacity/?volume=500&handle_minutes=20&hours=8&utilization=75")
    download = _download(lead, link)

    assert download.status == 200
    rows = _by_header(download)
    assert len(rows) == 7
    assert {(row["planned_tickets"], row["workload_minutes"], row["agents_needed"]) for row in rows} == {
        ("500", "10000.0", "28")
    }
    assert rows[0]["day"] == str(NOW.date())


@pytest.mark.parametrize(
    ("_case", "who", "query", "status"),
    [
        ("a customer gets the 404 of a missing page", "customer", "", 404),
        ("an agent too", "agent", "", 404),
        ("bad inputs are a 400 naming the field", "lead", "utilization=0", 400),
    ],
)
def test_capacity_csv_follows_the_pages_permissions(
    history: History, _case: str, who: str, query: str, status: int
) -> None:
    people = {"customer": history.customer, "agent": history.agent, "lead": history.lead}

    download = _download(_client(people[who]), f"/surveys/capacity.csv?{query}")

    assert download.status == status
    if status == 400:
        assert download.rows[0] == ["field", "message"]
        assert [row[0] for row in download.rows[1:]] == ["utilization"]
    else:
        assert download.rows == []


# --- voice of customer -------------------------------------------------------------------------


@pytest.fixture
def report_week(history: History) -> date:
    week_start = MON.date() - timedelta(days=7)
    services.weekly_report_compute(week_start=week_start, now=NOW)
    services.weekly_report_compute(week_start=MON.date(), now=NOW)
    return week_start


def test_the_voice_of_customer_pages_tables_download(history: History, report_week: date) -> None:
    manager = _client(UserFactory(role=Role.MANAGER))

    [list_link] = _csv_links(manager, "/surveys/voice-of-customer/")
    report_links = _csv_links(manager, f"/surveys/voice-of-customer/{MON.date()}/")

    weeks = _by_header(_download(manager, list_link))
    assert [row["week_start"] for row in weeks] == [str(MON.date()), str(report_week)]
    assert weeks[0]["week_end"] == str(MON.date() + timedelta(days=6))
    assert [link.rsplit("/", 1)[1] for link in report_links] == [
        "categories.csv",
        "tags.csv",
        "feedback.csv",
        "at-risk.csv",
        "wins.csv",
    ]
    assert all(_download(manager, link).status == 200 for link in report_links)
    categories = _by_header(_download(manager, report_links[0]))
    assert (categories[0]["category"], categories[0]["count"]) == (
        "Printers",
        "5",
    )  # E, merged into D, counts here


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_voice_of_customer_csv_is_refused_to_customers_and_agents(
    history: History, report_week: date, who: str
) -> None:
    user = history.customer if who == "customer" else history.agent
    client = _client(user)

    for url in ("/surveys/voice-of-customer.csv", f"/surveys/voice-of-customer/{MON.date()}/wins.csv"):
        download = _download(client, url)
        assert (url, download.status, download.rows) == (url, 404, [])


# --- survey follow-ups -------------------------------------------------------------------------


@pytest.fixture
def follow_up(history: History) -> SurveyFollowUp:
    """A low CSAT score on ticket C opens a follow-up owned by the Support team's lead."""
    ticket = history.tickets["C"]
    ticket.refresh_from_db()
    survey = Survey.objects.create(
        kind=SurveyKind.CSAT,
        status=SurveyStatus.SENT,
        requester=history.customer,
        ticket=ticket,
        resolved_at=ticket.resolved_at,
        agent=history.agent,
        team=history.team,
        due_at=NOW - timedelta(hours=2),
        sent_at=NOW - timedelta(hours=2),
        send_attempts=1,
    )
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        services.survey_answer(
            survey_id=survey.pk, score=1, now=NOW - timedelta(hours=1), config=SurveySettings()
        )
        services.survey_comment(
            survey_id=survey.pk,
            comment="=HYPERLINK(evil)",
            effort_score=None,
            now=NOW,
            config=SurveySettings(),
        )
    return SurveyFollowUp.objects.get(survey=survey)


@pytest.mark.parametrize(("_case", "who", "rows"), [("its owner", "lead", 1), ("a manager", "manager", 1)])
def test_the_follow_ups_download_as_listed(
    history: History, follow_up: SurveyFollowUp, _case: str, who: str, rows: int
) -> None:
    user = history.lead if who == "lead" else UserFactory(role=Role.MANAGER)
    client = _client(user)

    [link] = _csv_links(client, "/surveys/follow-ups/")
    download = _by_header(_download(client, link))

    assert len(download) == rows
    assert (download[0]["follow_up_id"], download[0]["ticket_id"], download[0]["score"]) == (
        str(follow_up.pk),
        str(history.tickets["C"].pk),
        "1",
    )
    assert download[0]["comment"] == "'=HYPERLINK(evil)"  # a spreadsheet will not run it


def test_follow_ups_csv_is_refused_to_customers_and_empty_for_an_agent_who_owns_none(
    history: History, follow_up: SurveyFollowUp
) -> None:
    customer = _download(_client(history.customer), "/surveys/follow-ups.csv")
    agent = _download(_client(history.agent), "/surveys/follow-ups.csv")

    assert (customer.status, customer.rows) == (404, [])
    assert agent.status == 200
    assert len(agent.rows) == 1  # the header only: no one else's follow-ups
