"""Weekly voice-of-customer report: each section on constructed weeks, storage, the e-mail, the pages."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from smtplib import SMTPException
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client

from helpdesk.models import Organization, Role, User
from metrics import services, voc
from metrics.models import Survey, SurveyKind, SurveyStatus, WeeklyReport
from metrics.services import voc as voc_services
from metrics.tasks import send_weekly_report_task
from tests.factories import AgentFactory, CustomerFactory, OrganizationFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Category, MessageVisibility, Tag, Ticket

WEEK = date(2026, 3, 9)  # Monday
START = datetime(2026, 3, 9, tzinfo=UTC)
END = datetime(2026, 3, 16, tzinfo=UTC)  # the next Monday, 00:00 UTC
LAST_WEEK = START - timedelta(days=7)
MONDAY_MORNING = datetime(2026, 3, 16, 6, 0, tzinfo=UTC)


# --- rules (pure) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "text", "expected"),
    [
        (
            "several words, any case",
            "We will CANCEL and Switch to a competitor.",
            ["cancel", "switch to", "competitor"],
        ),
        ("inflections", "Cancelled twice; cancellation pending; leaving soon", ["cancel", "leave"]),
        ("refund and termination", "Refunds? Termination of the contract.", ["refund", "terminate"]),
        ("not renewing", "We will not be renewing next year", ["not renew"]),
        ("part of a longer word is no match", "Is the plan cancelable? The deposit is refundable.", []),
        ("words inside other words", "A sleeve, a cleaver, churned butter", ["churn"]),
        ("nothing", "The export is slow.", []),
    ],
)
def test_churn_terms(_case: str, text: str, expected: list[str]) -> None:
    assert voc.churn_terms_in(text) == expected


def test_weeks_run_monday_to_monday_in_utc() -> None:
    assert voc.week_bounds(WEEK) == (START, END)
    assert voc.last_completed_week_start(MONDAY_MORNING) == WEEK
    assert voc.last_completed_week_start(END - timedelta(microseconds=1)) == WEEK - timedelta(days=7)
    with pytest.raises(ValueError, match="Monday"):
        voc.week_bounds(WEEK + timedelta(days=1))


@pytest.mark.parametrize(
    ("_case", "current", "previous", "expected"),
    [
        ("growth", 3, 2, {"count": 3, "previous": 2, "change": 1, "change_percent": 50.0}),
        ("new this week", 2, 0, {"count": 2, "previous": 0, "change": 2, "change_percent": None}),
        (
            "a fall too small to show is 0.0",
            6481,
            6482,
            {"count": 6481, "previous": 6482, "change": -1, "change_percent": 0.0},
        ),
    ],
)
def test_week_over_week_change(_case: str, current: int, previous: int, expected: dict[str, Any]) -> None:
    assert voc.change(current, previous) == expected


# --- constructed data -----------------------------------------------------------------------------


@pytest.fixture
def taxonomy(db: None) -> dict[str, Any]:
    billing = ticket_services.category_create(name="Billing")
    product = ticket_services.category_create(name="Product")
    return {
        "refunds": ticket_services.category_create(name="Refunds", parent=billing),
        "bugs": ticket_services.category_create(name="Bug", parent=product),
        "features": ticket_services.category_create(name="Feature request", parent=product),
        **{name: ticket_services.tag_create(name=name) for name in ("bug", "feature-request", "how-to")},
    }


def _ticket(
    customer: User, at: datetime, category: Category | None = None, tags: tuple[Tag, ...] = ()
) -> Ticket:
    return ticket_services.ticket_create(
        requester=customer, subject="Help", category=category, tags=tags, created_at=at
    )


def _rating(customer: User, at: datetime, score: int, comment: str = "") -> Survey:
    ticket = _ticket(customer, at - timedelta(days=1))
    return Survey.objects.create(
        kind=SurveyKind.CSAT,
        status=SurveyStatus.SENT,
        requester=customer,
        ticket=ticket,
        resolved_at=at - timedelta(hours=3),
        due_at=at - timedelta(hours=1),
        sent_at=at - timedelta(hours=1),
        score=score,
        comment=comment,
        answered_at=at,
    )


def _report(week_start: date = WEEK) -> dict[str, Any]:
    return services.weekly_report_compute(week_start=week_start, now=MONDAY_MORNING).data


def test_categories_tags_and_feedback_counts_with_week_over_week_change(taxonomy: dict[str, Any]) -> None:
    # given
    customer = CustomerFactory()
    t = taxonomy
    day = START + timedelta(days=1, hours=10)
    for category, tags in [
        (t["refunds"], (t["how-to"],)),
        (t["refunds"], ()),
        (t["refunds"], (t["bug"],)),  # a bug by its tag
        (t["bugs"], ()),  # a bug by its category
        (t["bugs"], (t["bug"],)),  # both: one bug
        (None, (t["feature-request"],)),
        (t["features"], ()),
    ]:
        _ticket(customer, day, category, tags)
    spam = _ticket(customer, day, t["refunds"], (t["bug"],))
    Ticket.objects.filter(pk=spam.pk).update(status="closed", close_reason="spam")
    last_week = LAST_WEEK + timedelta(days=2)
    for category, tags in [
        (t["refunds"], ()),
        (t["bugs"], (t["bug"],)),
        (t["bugs"], ()),
        (None, (t["how-to"],)),
    ]:
        _ticket(customer, last_week, category, tags)
    _ticket(customer, END, t["refunds"])  # next week's first ticket

    # when
    data = _report()

    # then
    def row(name: str, count: int, previous: int, change: int, percent: float | None) -> dict[str, Any]:
        return {
            "name": name,
            "count": count,
            "previous": previous,
            "change": change,
            "change_percent": percent,
        }

    assert [{key: value for key, value in r.items() if key != "category_id"} for r in data["categories"]] == [
        row("Billing / Refunds", 3, 1, 2, 200.0),
        row("Product / Bug", 2, 2, 0, 0.0),
        row("Product / Feature request", 1, 0, 1, None),
        row("Uncategorised", 1, 1, 0, 0.0),
    ]
    assert data["categories"][0]["category_id"] == t["refunds"].pk
    assert data["categories"][3]["category_id"] is None
    assert data["tags"] == [
        row("bug", 2, 1, 1, 100.0),
        row("feature-request", 1, 0, 1, None),
        row("how-to", 1, 1, 0, 0.0),
    ]
    assert data["feedback"] == {
        "bugs": {"count": 3, "previous": 2, "change": 1, "change_percent": 50.0},
        "feature_requests": {"count": 2, "previous": 0, "change": 2, "change_percent": None},
    }
    assert data["totals"]["tickets"] == {"count": 7, "previous": 4, "change": 3, "change_percent": 75.0}
    assert (data["week_start"], data["week_end"]) == ("2026-03-09", "2026-03-15")


def _escalate(customer: User, agent: User, at: datetime) -> None:
    ticket = _ticket(customer, at - timedelta(hours=1))
    ticket_services.ticket_escalate(
        ticket_id=ticket.pk, actor=agent, handoff={"issue_summary": "Cancel request, needs L2."}, at=at
    )


def _say(customer_or_agent: User | None, ticket: Ticket, body: str, at: datetime, **extra: Any) -> None:
    ticket_services.message_create(ticket_id=ticket.pk, author=customer_or_agent, body=body, at=at, **extra)


def test_at_risk_organizations_and_their_reasons(db: None) -> None:
    # given
    agent = AgentFactory()
    orgs = {
        name: OrganizationFactory(name=name)
        for name in ("Acme", "Globex", "Initech", "Hooli", "Stark", "Wayne")
    }
    people = {name: CustomerFactory(organization=org) for name, org in orgs.items()}

    # Acme: 3 escalations in the 30 days to the week's end (a fourth, 31 days back, is too old)
    for days in (1, 10, 29, 31):
        _escalate(people["Acme"], agent, END - timedelta(days=days))
    # Globex: 2 escalations, and one after the week ended
    for at in (END - timedelta(days=2), END - timedelta(days=3), END + timedelta(hours=1)):
        _escalate(people["Globex"], agent, at)
    # Initech: CSAT 4.67 → 3.33; Hooli: 5.0 → 4.67 (a drop below the 0.5 threshold)
    for name, before, after in (("Initech", (5, 5, 4), (3, 3, 4)), ("Hooli", (5, 5, 5), (4, 5, 5))):
        for index, score in enumerate(before):
            _rating(people[name], END - timedelta(days=40 + index), score)
        for index, score in enumerate(after):
            _rating(people[name], END - timedelta(days=5 + index), score)
    # Stark: a customer's public message this week; Wayne: only agents' words, automatic text,
    # words inside other words, and a customer's "refund" last week
    stark = _ticket(people["Stark"], START)
    _say(people["Stark"], stark, "We may cancel and switch to a competitor.", START + timedelta(days=2))
    _say(people["Stark"], stark, "Seriously, we will cancel.", START + timedelta(days=3))
    wayne = _ticket(people["Wayne"], LAST_WEEK)
    _say(people["Wayne"], wayne, "I want a refund.", LAST_WEEK + timedelta(days=1))
    _say(agent, wayne, "You cannot cancel online, sorry.", START + timedelta(days=1))
    note = MessageVisibility.INTERNAL
    _say(agent, wayne, "Churn risk, tell the owner.", START + timedelta(days=1), visibility=note)
    _say(None, wayne, "Your cancellation request was received.", START + timedelta(days=1), is_automatic=True)
    _say(
        people["Wayne"],
        wayne,
        "Is the plan cancelable? The deposit is refundable.",
        START + timedelta(days=2),
    )

    # when
    data = _report()

    # then
    assert data["at_risk"] == [
        {
            "organization_id": orgs["Acme"].pk,
            "name": "Acme",
            "reasons": [{"kind": "escalations", "count": 3}],
        },
        {
            "organization_id": orgs["Initech"].pk,
            "name": "Initech",
            "reasons": [
                {
                    "kind": "csat_falling",
                    "average": 3.33,
                    "previous_average": 4.67,
                    "responses": 3,
                    "previous_responses": 3,
                }
            ],
        },
        {
            "organization_id": orgs["Stark"].pk,
            "name": "Stark",
            "reasons": [
                {
                    "kind": "churn_words",
                    "words": ["cancel", "switch to", "competitor"],
                    "messages": 2,
                    "ticket_ids": [stark.pk],
                }
            ],
        },
    ]


def test_an_organization_with_several_signals_lists_each_reason_and_comes_first(db: None) -> None:
    agent = AgentFactory()
    first, second = OrganizationFactory(name="Zeta"), OrganizationFactory(name="Alpha")
    zeta, alpha = CustomerFactory(organization=first), CustomerFactory(organization=second)
    for days in (1, 2, 3):
        _escalate(zeta, agent, END - timedelta(days=days))
        _escalate(alpha, agent, END - timedelta(days=days))
    ticket = _ticket(zeta, START)
    _say(zeta, ticket, "We are looking at alternatives.", START + timedelta(hours=5))

    data = _report()

    assert [(row["name"], [reason["kind"] for reason in row["reasons"]]) for row in data["at_risk"]] == [
        ("Zeta", ["escalations", "churn_words"]),
        ("Alpha", ["escalations"]),
    ]


def test_wins_are_five_star_comments_of_the_week(db: None) -> None:
    org = OrganizationFactory(name="Acme")
    customer, loner = CustomerFactory(organization=org), CustomerFactory(organization=None)
    win = _rating(customer, START + timedelta(days=1), 5, "  Brilliant, fixed in minutes!  ")
    later = _rating(loner, START + timedelta(days=2), 5, "Thanks a lot")
    _rating(customer, START + timedelta(days=1, hours=1), 5)  # no comment
    _rating(customer, START + timedelta(days=1, hours=2), 5, "   ")  # blank comment
    _rating(customer, START + timedelta(days=3), 4, "Good")  # four stars
    _rating(customer, LAST_WEEK + timedelta(days=3), 5, "Last week's praise")

    data = _report()

    assert data["wins"] == [
        {
            "survey_id": win.pk,
            "ticket_id": win.ticket_id,
            "organization": "Acme",
            "comment": "Brilliant, fixed in minutes!",
            "answered_at": "2026-03-10T00:00:00+00:00",
        },
        {
            "survey_id": later.pk,
            "ticket_id": later.ticket_id,
            "organization": None,
            "comment": "Thanks a lot",
            "answered_at": "2026-03-11T00:00:00+00:00",
        },
    ]
    assert data["wins_total"] == 2
    # this week's ratings 5, 5, 5, 5, 4 (the blank and empty comments count as ratings)
    assert data["totals"]["csat"] == {
        "average": 4.8,
        "responses": 5,
        "previous_average": 5.0,
        "previous_responses": 1,
    }


# --- storage, the beat task and the e-mail --------------------------------------------------------


def test_recomputing_a_week_replaces_its_data_and_keeps_the_emailed_instant(db: None) -> None:
    # given
    customer = CustomerFactory()
    _ticket(customer, START + timedelta(hours=1))
    first = services.weekly_report_compute(week_start=WEEK, now=MONDAY_MORNING)
    WeeklyReport.objects.filter(pk=first.pk).update(emailed_at=MONDAY_MORNING)
    _ticket(customer, START + timedelta(hours=2))

    # when
    second = services.weekly_report_compute(week_start=WEEK, now=MONDAY_MORNING + timedelta(hours=1))

    # then
    assert WeeklyReport.objects.count() == 1
    assert second.pk == first.pk
    assert second.data["totals"]["tickets"]["count"] == 2
    assert second.computed_at == MONDAY_MORNING + timedelta(hours=1)
    assert second.emailed_at == MONDAY_MORNING


def test_a_report_week_must_start_on_monday(db: None) -> None:
    with pytest.raises(ValueError, match="Monday"):
        services.weekly_report_compute(week_start=WEEK + timedelta(days=2), now=MONDAY_MORNING)
    assert WeeklyReport.objects.count() == 0


@pytest.fixture
def managers(db: None) -> list[User]:
    active = UserFactory(email="morgan@helpdesk.test", role=Role.MANAGER)
    UserFactory(email="gone@helpdesk.test", role=Role.MANAGER, is_active=False)
    UserFactory(email="lead@helpdesk.test", role=Role.TEAM_LEAD)
    UserFactory(email="admin@helpdesk.test", role=Role.ADMIN)
    return [active]


def test_beat_task_emails_last_weeks_report_to_active_managers_once(
    managers: list[User], settings: Any
) -> None:
    # given
    settings.SITE_URL = "https://help.example.com"
    _ticket(CustomerFactory(), START + timedelta(days=1))

    # when: the Monday run and the hourly runs after it
    with time_machine.travel(MONDAY_MORNING, tick=False):
        first = send_weekly_report_task()
    with time_machine.travel(MONDAY_MORNING + timedelta(hours=1), tick=False):
        second = send_weekly_report_task()

    # then
    assert (first, second) == (True, False)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["morgan@helpdesk.test"]
    assert message.subject == "[Helpdesk] Voice of customer, week of 9 March 2026"
    assert "https://help.example.com/surveys/voice-of-customer/2026-03-09/" in message.body
    assert "Tickets: 1 (+1 vs 0 last week)" in message.body
    report = WeeklyReport.objects.get()
    assert (report.week_start, report.emailed_at, report.computed_at) == (
        WEEK,
        MONDAY_MORNING,
        MONDAY_MORNING,
    )


def test_a_refused_send_leaves_the_report_for_the_next_run(
    managers: list[User], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> None:
        raise SMTPException("try later")

    monkeypatch.setattr(voc_services, "send_mail", refuse)
    with time_machine.travel(MONDAY_MORNING, tick=False), pytest.raises(SMTPException):
        send_weekly_report_task()
    assert WeeklyReport.objects.get().emailed_at is None

    monkeypatch.undo()
    with time_machine.travel(MONDAY_MORNING + timedelta(hours=1), tick=False):
        assert send_weekly_report_task() is True
    assert len(mail.outbox) == 1
    assert WeeklyReport.objects.get().emailed_at == MONDAY_MORNING + timedelta(hours=1)


def test_a_preview_computed_during_the_week_is_recomputed_before_sending(managers: list[User]) -> None:
    customer = CustomerFactory()
    _ticket(customer, START + timedelta(days=1))
    services.weekly_report_compute(week_start=WEEK, now=START + timedelta(days=2))
    _ticket(customer, START + timedelta(days=5))

    with time_machine.travel(MONDAY_MORNING, tick=False):
        send_weekly_report_task()

    report = WeeklyReport.objects.get()
    assert (report.computed_at, report.data["totals"]["tickets"]["count"]) == (MONDAY_MORNING, 2)


def test_no_active_manager_means_nothing_is_claimed(db: None) -> None:
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert send_weekly_report_task() is False

    assert mail.outbox == []
    assert WeeklyReport.objects.get().emailed_at is None


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_email_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: the first run is inside its send (holding the claim) when the second one starts
    manager = UserFactory(email="morgan@helpdesk.test", role=Role.MANAGER)
    report = services.weekly_report_compute(week_start=WEEK, now=MONDAY_MORNING)
    sending, sent, results = threading.Event(), [], {}

    def slow_send(**kwargs: Any) -> None:
        sending.set()
        time.sleep(0.5)
        sent.append(kwargs["recipient_list"])

    monkeypatch.setattr(voc_services, "send_mail", slow_send)

    def run(name: str) -> None:
        try:
            results[name] = services.weekly_report_email(report_id=report.pk, now=MONDAY_MORNING)
        finally:
            connection.close()

    # when
    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert sending.wait(5)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    first.join(10)
    second.join(10)

    # then
    assert results == {"first": True, "second": False}
    assert sent == [[manager.email]]


# --- pages and CSV --------------------------------------------------------------------------------


@pytest.fixture
def lead_web(client: Client, db: None) -> Client:
    client.force_login(UserFactory(email="lead@voc.test", role=Role.TEAM_LEAD))
    return client


@pytest.fixture
def stored_report(db: None) -> WeeklyReport:
    org = OrganizationFactory(name="Acme")
    customer = CustomerFactory(organization=org)
    _ticket(customer, START + timedelta(hours=3), ticket_services.category_create(name="Billing"))
    _rating(customer, START + timedelta(days=1), 5, '=HYPERLINK("http://evil.example","click")')
    ticket = _ticket(customer, START + timedelta(hours=4))
    _say(customer, ticket, "We will cancel.", START + timedelta(hours=5))
    return services.weekly_report_compute(week_start=WEEK, now=MONDAY_MORNING)


@pytest.mark.parametrize(
    ("_case", "role", "expected_status"),
    [
        ("customers do not see reports", Role.CUSTOMER, 404),
        ("agents do not see reports", Role.AGENT, 404),
        ("team leads read them", Role.TEAM_LEAD, 200),
        ("managers read them", Role.MANAGER, 200),
        ("admins read them", Role.ADMIN, 200),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/surveys/voice-of-customer/",
        "/surveys/voice-of-customer/2026-03-09/",
        "/surveys/voice-of-customer/2026-03-09/wins.csv",
    ],
)
def test_report_pages_access(
    client: Client, stored_report: WeeklyReport, _case: str, role: str, expected_status: int, path: str
) -> None:
    client.force_login(UserFactory(role=role))

    assert client.get(path).status_code == expected_status


def test_report_list_and_page_show_the_week(lead_web: Client, stored_report: WeeklyReport) -> None:
    listed = lead_web.get("/surveys/voice-of-customer/")
    shown = lead_web.get("/surveys/voice-of-customer/2026-03-09/")

    assert 'href="/surveys/voice-of-customer/2026-03-09/"' in listed.content.decode()
    page = shown.content.decode()
    assert "Voice of customer: week of 9 Mar 2026" in page
    assert "Billing" in page
    assert "Acme" in page
    assert "churn words in 1 message" in page
    assert "=HYPERLINK" in page  # shown escaped on the page, as written


@pytest.mark.parametrize(
    "path",
    [
        "/surveys/voice-of-customer/2026-03-02/",  # no report that week
        "/surveys/voice-of-customer/2026-13-01/",  # no such date
        "/surveys/voice-of-customer/2026-03-09/secrets.csv",  # no such section
        "/surveys/voice-of-customer/2026-03-02/tags.csv",
    ],
)
def test_unknown_weeks_and_sections_are_404(lead_web: Client, stored_report: WeeklyReport, path: str) -> None:
    assert lead_web.get(path).status_code == 404


def test_csv_export_of_each_section(lead_web: Client, stored_report: WeeklyReport) -> None:
    def rows(section: str) -> list[str]:
        response = lead_web.get(f"/surveys/voice-of-customer/2026-03-09/{section}.csv")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="voice-of-customer-2026-03-09-{section}.csv"'
        )
        return response.content.decode().splitlines()

    org_id = Organization.objects.get(name="Acme").pk
    billing_id = Category.objects.get(name="Billing").pk
    survey = Survey.objects.get(score=5)
    churned = Ticket.objects.get(messages__body="We will cancel.")

    assert rows("categories") == [
        "category_id,category,count,previous,change,change_percent",
        ",Uncategorised,2,0,2,",
        f"{billing_id},Billing,1,0,1,",
    ]
    assert rows("tags") == ["tag,count,previous,change,change_percent"]
    assert rows("feedback") == [
        "kind,count,previous,change,change_percent",
        "bugs,0,0,0,",
        "feature_requests,0,0,0,",
    ]
    assert rows("at-risk") == [
        "organization_id,organization,escalations_30_days,csat_average,csat_previous_average,"
        "churn_words,churn_messages,churn_ticket_ids",
        f"{org_id},Acme,,,,cancel,1,{churned.pk}",
    ]
    # a comment starting like a formula is defused for spreadsheets
    assert rows("wins") == [
        "survey_id,ticket_id,organization,answered_at,comment",
        f'{survey.pk},{survey.ticket_id},Acme,2026-03-10T00:00:00+00:00,"\'=HYPERLINK(""http://evil.example"",""click"")"',
    ]
