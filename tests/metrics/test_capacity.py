"""Capacity planner: the reference's staffing equation, the weekday forecast, handle time, and the page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from helpdesk.models import Role, User
from metrics import capacity
from tests.factories import AgentFactory, CustomerFactory, UserFactory
from tickets import selectors
from tickets import services as ticket_services
from tickets.models import MessageVisibility, TicketStatus

MONDAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)  # a Monday; history runs to Sunday 15 March


# --- required agents (pure) -----------------------------------------------------------------------


def test_reference_worked_example_needs_28_agents() -> None:
    # 500 tickets × 20 min = 10,000 min; 8 h × 60 × 75 % = 360 min per agent; 27.8 → 28.
    result = capacity.staffing(500, 20, 8, 0.75)

    assert result == capacity.Staffing(
        workload_minutes=10_000.0,
        productive_minutes_per_agent=360.0,
        exact_agents=10_000 / 360,
        agents=28,
    )
    assert capacity.required_agents(**capacity.REFERENCE_EXAMPLE) == 28


@pytest.mark.parametrize(
    ("_case", "arguments", "expected"),
    [
        ("shrinkage takes a quarter of the hours", (500, 20, 8, 0.75, 0.25), 38),  # 10,000 / 270 = 37.04
        ("an exact multiple is not rounded up", (360, 1, 8, 0.75, 0), 1),
        ("no float error pushes an exact result up", (252, 1, 6, 0.7, 0), 1),  # 6 × 60 × 0.7 = 252
        ("decimals from a form", (Decimal("500"), Decimal("20"), Decimal("8"), Decimal("0.75"), 0), 28),
        ("no tickets need no agents", (0, 20, 8, 0.75, 0), 0),
        ("one ticket needs one agent", (1, 1, 8, 1, 0), 1),
    ],
)
def test_required_agents_rounds_up_exactly(_case: str, arguments: tuple, expected: int) -> None:
    assert capacity.required_agents(*arguments) == expected


@pytest.mark.parametrize(
    ("_case", "arguments", "message"),
    [
        ("negative volume", (-1, 20, 8, 0.75, 0), "volume"),
        ("negative handle time", (1, -1, 8, 0.75, 0), "handle_minutes"),
        ("no hours", (1, 20, 0, 0.75, 0), "available_hours"),
        ("more than a day", (1, 20, 25, 0.75, 0), "available_hours"),
        ("utilization as a percent", (1, 20, 8, 75, 0), "utilization"),
        ("no utilization", (1, 20, 8, 0, 0), "utilization"),
        ("all time lost to shrinkage", (1, 20, 8, 0.75, 1), "shrinkage"),
        ("not a number", (float("nan"), 20, 8, 0.75, 0), "finite"),
    ],
)
def test_staffing_refuses_impossible_inputs(_case: str, arguments: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        capacity.staffing(*arguments)


# --- forecast (pure) ------------------------------------------------------------------------------


def _history(first: date, days: int, count_for) -> dict[date, int]:
    return {first + timedelta(days=i): count_for(first + timedelta(days=i)) for i in range(days)}


def test_forecast_averages_the_same_weekday_of_the_last_four_weeks() -> None:
    # given: eight flat weeks where Mondays get 10 + the week number and other days 2
    today = MONDAY + timedelta(weeks=8)
    history = _history(MONDAY, 56, lambda day: 10 + (day - MONDAY).days // 7 if day.weekday() == 0 else 2)

    # when
    result = capacity.forecast_days(history, today=today, trend=False)

    # then: Mondays 14, 15, 16, 17 of weeks 4–7 average 15.5
    assert [day.volume for day in result.days] == [15.5, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    assert result.days[0].same_weekday_counts == (14, 15, 16, 17)
    assert [day.day for day in result.days] == [today + timedelta(days=i) for i in range(7)]
    assert (result.history_start, result.history_end, result.trend_factor) == (MONDAY, today, 1.0)


def test_forecast_counts_missing_days_as_zero() -> None:
    today = MONDAY + timedelta(weeks=8)
    history = {today - timedelta(days=7): 8}  # one Monday with tickets, nothing else recorded

    result = capacity.forecast_days(history, today=today, trend=False)

    assert result.days[0].same_weekday_counts == (0, 0, 0, 8)
    assert [day.volume for day in result.days] == [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_forecast_applies_the_growth_between_the_two_history_blocks() -> None:
    # given: one-week blocks; 10 a day the week before last, 12 a day last week (20 % growth)
    today = MONDAY + timedelta(weeks=2)
    history = _history(MONDAY, 14, lambda day: 10 if day < MONDAY + timedelta(weeks=1) else 12)

    # when
    result = capacity.forecast_days(history, today=today, weeks=1)

    # then: last week's 12 grows another 20 %
    assert result.trend_factor == 1.2
    assert [day.volume for day in result.days] == [14.4] * 7


@pytest.mark.parametrize(
    ("_case", "recent", "previous", "weeks", "expected"),
    [
        ("flat", 400, 400, 4, 1.0),
        ("10 % a week over three weeks, centred two weeks back", 1331, 1000, 3, 1.21),
        ("a spike is capped", 100, 10, 1, 2.0),
        ("a collapse is capped", 1, 10, 1, 0.5),
        ("no earlier history", 50, 0, 4, 1.0),
    ],
)
def test_trend_factor(_case: str, recent: int, previous: int, weeks: int, expected: float) -> None:
    assert capacity.trend_factor(recent, previous, weeks=weeks) == pytest.approx(expected)


def test_forecast_reaches_at_most_a_week_ahead() -> None:
    with pytest.raises(ValueError, match="days"):
        capacity.forecast_days({}, today=MONDAY, days=8)


# --- handle time (pure) ---------------------------------------------------------------------------


def _at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_handle_time_is_touches_per_ticket_times_the_observed_touch_duration() -> None:
    # given: three tickets; each agent message's gap since the previous event
    timelines = [
        # created, reply 12 min later (seen), customer 3 h later, reply 50 min later (not seen: waited)
        [(_at(0), False), (_at(12), True), (_at(192), False), (_at(242), True)],
        # created, reply 6 min later (seen), a note 20 s after it (same action: not seen)
        [(_at(0), False), (_at(6), True), (_at(6.3), True)],
        # created, reply 8 min later (seen), customer, reply 30 min later (seen), note 10 min later
        [(_at(0), False), (_at(8), True), (_at(100), False), (_at(130), True), (_at(140), True)],
        # nobody wrote: not measured
        [(_at(0), False), (_at(5), False)],
    ]

    # when
    result = capacity.handle_time_estimate(timelines, min_samples=3)

    # then: 2, 2 and 3 touches (median 2); seen 12, 6, 8, 30, 10 (median 10) → 20 min
    assert result == capacity.HandleTime(
        touches_per_ticket=2,
        minutes_per_touch=10.0,
        tickets=3,
        observed_touches=5,
        measured_minutes=20.0,
        minutes=20.0,
    )


def test_handle_time_falls_back_to_the_default_with_too_few_samples() -> None:
    timelines = [[(_at(0), False), (_at(4), True)], [(_at(0), False), (_at(400), True)]]

    result = capacity.handle_time_estimate(timelines, default_minutes=15, min_samples=2)

    # two tickets, but only one touch whose duration could be seen
    assert result == capacity.HandleTime(
        touches_per_ticket=1,
        minutes_per_touch=4.0,
        tickets=2,
        observed_touches=1,
        measured_minutes=None,
        minutes=15,
    )


# --- selectors ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_daily_counts_group_by_utc_day_within_the_range() -> None:
    customer = CustomerFactory()
    for instant in (
        datetime(2026, 3, 1, 23, 59, tzinfo=UTC),  # before the range
        datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
        datetime(2026, 3, 3, 1, 0, tzinfo=UTC),  # 2 March 20:00 in New York: still the 3rd in UTC
        datetime(2026, 3, 4, 0, 0, tzinfo=UTC),  # the end is exclusive
    ):
        ticket_services.ticket_create(requester=customer, subject="Help", created_at=instant)

    result = selectors.ticket_daily_created_counts(
        since=datetime(2026, 3, 2, tzinfo=UTC), until=datetime(2026, 3, 4, tzinfo=UTC)
    )

    assert result == {date(2026, 3, 2): 2, date(2026, 3, 3): 1}


@pytest.mark.django_db
def test_handle_time_timelines_read_resolved_tickets_agent_messages() -> None:
    # given: an automatic acknowledgement, an agent reply 6 min after it, a customer reply, an
    # internal note 9 min after that, the resolution; and a ticket still open
    customer, agent = CustomerFactory(), AgentFactory()
    created = NOW - timedelta(days=2)
    ticket = ticket_services.ticket_create(requester=customer, subject="Help", created_at=created)
    steps = [
        (1, None, MessageVisibility.PUBLIC, True),
        (7, agent, MessageVisibility.PUBLIC, False),
        (60, customer, MessageVisibility.PUBLIC, False),
        (69, agent, MessageVisibility.INTERNAL, False),
    ]
    for minutes, author, visibility, automatic in steps:
        ticket_services.message_create(
            ticket_id=ticket.pk,
            author=author,
            body="…",
            visibility=visibility,
            is_automatic=automatic,
            at=created + timedelta(minutes=minutes),
        )
    ticket_services.ticket_change_status(
        ticket_id=ticket.pk, to=TicketStatus.RESOLVED, actor=agent, at=created + timedelta(minutes=80)
    )
    still_open = ticket_services.ticket_create(requester=customer, subject="Other", created_at=created)
    ticket_services.message_create(
        ticket_id=still_open.pk, author=agent, body="…", at=created + timedelta(minutes=5)
    )

    # when
    timelines = selectors.ticket_timelines_recently_resolved(since=NOW - timedelta(days=28), until=NOW)

    # then: one timeline; its agent-written messages are the reply and the note
    assert len(timelines) == 1
    assert [(at - created, is_agent) for at, is_agent in timelines[0] if is_agent] == [
        (timedelta(minutes=7), True),
        (timedelta(minutes=69), True),
    ]
    result = capacity.handle_time_estimate(timelines, min_samples=1)
    assert (result.touches_per_ticket, result.minutes_per_touch, result.measured_minutes) == (2, 7.5, 15.0)


# --- the page -------------------------------------------------------------------------------------


@pytest.fixture
def lead(db: None) -> User:
    return UserFactory(email="lead@capacity.test", role=Role.TEAM_LEAD)


@pytest.fixture
def lead_web(client: Client, lead: User) -> Client:
    client.force_login(lead)
    return client


@pytest.mark.parametrize(
    ("_case", "role", "expected_status"),
    [
        ("customers do not see the page", Role.CUSTOMER, 404),
        ("agents do not see the page", Role.AGENT, 404),
        ("team leads plan", Role.TEAM_LEAD, 200),
        ("managers plan", Role.MANAGER, 200),
        ("admins plan", Role.ADMIN, 200),
    ],
)
def test_capacity_page_access(client: Client, db: None, _case: str, role: str, expected_status: int) -> None:
    client.force_login(UserFactory(role=role))

    assert client.get("/surveys/capacity/").status_code == expected_status


def test_capacity_page_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/surveys/capacity/")

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_reference_example_link_reproduces_28_agents(lead_web: Client) -> None:
    page = lead_web.get("/surveys/capacity/")
    link = page.context["reference_url"]

    response = lead_web.get(link)

    assert response.status_code == 200
    assert [row["staffing"].agents for row in response.context["rows"]] == [28] * 7
    assert "27.78 → <strong>28 agents</strong>" in response.content.decode()


def test_capacity_page_plans_the_forecast_with_the_default_handle_time_when_none_is_measured(
    lead_web: Client,
) -> None:
    # given: 3 tickets every day for the last eight weeks (no resolved tickets: default handle time)
    customer = CustomerFactory()
    today = NOW.date()
    for back in range(1, 57):
        for hour in (9, 11, 15):
            at = datetime.combine(today - timedelta(days=back), datetime.min.time(), tzinfo=UTC)
            ticket_services.ticket_create(
                requester=customer, subject="Help", created_at=at + timedelta(hours=hour)
            )

    # when
    with time_machine.travel(NOW, tick=False):
        response = lead_web.get(
            "/surveys/capacity/", {"hours": "7.5", "utilization": "80", "shrinkage": "10"}
        )

    # then: 3 × 15 min = 45 min ÷ (7.5 h × 60 × 0.9 × 0.8 = 324 min) = 0.14 → 1 agent a day
    assert response.status_code == 200
    assert response.context["handle_time"].minutes == capacity.DEFAULT_HANDLE_MINUTES
    assert [row["day"].volume for row in response.context["rows"]] == [3.0] * 7
    assert [row["staffing"].agents for row in response.context["rows"]] == [1] * 7
    assert response.context["rows"][0]["staffing"].productive_minutes_per_agent == 324.0


@pytest.mark.parametrize(
    ("_case", "query", "field", "message"),
    [
        ("utilization of zero", {"utilization": "0"}, "utilization", "greater than or equal to 1"),
        ("utilization above 100 %", {"utilization": "120"}, "utilization", "less than or equal to 100"),
        ("hours that are not a number", {"hours": "eight"}, "hours", "Enter a number."),
        ("not-a-number", {"handle_minutes": "NaN"}, "handle_minutes", "Enter a number."),
        ("infinity", {"volume": "Infinity"}, "volume", "Enter a number."),
        ("negative tickets", {"volume": "-5"}, "volume", "greater than or equal to 0"),
        ("all time lost to shrinkage", {"shrinkage": "100"}, "shrinkage", "less than or equal to 90"),
        ("an unknown forecast", {"trend": "maybe"}, "trend", "Select a valid choice."),
    ],
)
def test_invalid_inputs_answer_400_with_the_field_message(
    lead_web: Client, _case: str, query: dict[str, str], field: str, message: str
) -> None:
    response = lead_web.get("/surveys/capacity/", query)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode()
    assert response.context["rows"] == []


def test_capacity_page_reads_in_a_fixed_number_of_queries(
    lead_web: Client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(6):
        assert lead_web.get("/surveys/capacity/").status_code == 200
