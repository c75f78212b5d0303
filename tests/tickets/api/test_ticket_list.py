"""The ticket list: filters, keyset pagination under concurrent inserts, change feed, query count."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.serializers import Serializer
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.utils import encoders

from helpdesk.models import Team, User
from tests.factories import CategoryFactory, TagFactory, TicketFactory
from tickets import selectors, services
from tickets.api.serializers import TicketCustomerOutputSerializer, TicketOutputSerializer
from tickets.models import ProductArea, Ticket

URL = "/api/v1/tickets/"


def _at(minutes: int) -> datetime:
    return timezone.now().replace(microsecond=0) - timedelta(days=10) + timedelta(minutes=minutes)


def _walk(client: APIClient, url: str) -> list[int]:
    ids: list[int] = []
    while url:
        body = client.get(url).json()
        ids.extend(row["id"] for row in body["results"])
        url = body["next"]
    return ids


def _ids(client: APIClient, query: str) -> list[int]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    return sorted(row["id"] for row in response.json()["results"])


@pytest.fixture
def queue(customer: User, agent: User, team: Team) -> dict[str, Ticket]:
    """Five tickets with different status, team, assignee, tags and category."""
    parent = CategoryFactory(name="Billing")
    child = CategoryFactory(name="Invoices", parent=parent)
    vip, bug = TagFactory(name="vip"), TagFactory(name="bug")
    tickets = {
        "open_team": services.ticket_create(requester=customer, subject="Invoice wrong", team=team, category=child),
        "open_assigned": services.ticket_create(requester=customer, subject="Login loop", assignee=agent, tags=[vip]),
        "resolved": services.ticket_create(requester=customer, subject="Old thing", team=team, tags=[vip, bug]),
        "p1": services.ticket_create(requester=customer, subject="Outage", priority="p1", category=parent),
        "email": services.ticket_create(requester=customer, subject="By mail", channel="email", tags=[bug]),
    }  # fmt: skip
    services.ticket_change_status(ticket_id=tickets["resolved"].pk, to="resolved", actor=agent)
    return tickets


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("is_open=true", ["open_team", "open_assigned", "p1", "email"]),
        ("is_open=false", ["resolved"]),
        ("status=resolved&status=assigned", ["open_assigned", "resolved"]),
        ("priority=p1", ["p1"]),
        ("assignee=none", ["open_team", "resolved", "p1", "email"]),
        ("unassigned=false", ["open_assigned"]),
        ("tag=vip", ["open_assigned", "resolved"]),
        ("tag=vip,bug", ["open_assigned", "resolved", "email"]),
        ("channel=email", ["email"]),
        ("q=invoice", ["open_team"]),
    ],
)
def test_filters(agent_client: APIClient, queue: dict[str, Ticket], query: str, expected: list[str]) -> None:
    assert _ids(agent_client, query) == sorted(queue[name].pk for name in expected)


def test_filter_by_team_assignee_and_category_tree(
    agent_client: APIClient, queue: dict[str, Ticket], team: Team, agent: User
) -> None:
    parent_id = queue["p1"].category_id

    assert _ids(agent_client, f"team={team.pk}&is_open=true") == [queue["open_team"].pk]
    assert _ids(agent_client, f"assignee={agent.pk}") == [queue["open_assigned"].pk]
    assert _ids(agent_client, f"category={parent_id}") == sorted([queue["p1"].pk, queue["open_team"].pk])
    assert _ids(agent_client, f"q=%23{queue['email'].pk}") == [queue["email"].pk]


def test_customer_filters_cannot_widen_visibility(
    customer_client: APIClient, outsider_ticket: Ticket, customer: User
) -> None:
    query = f"organization={outsider_ticket.organization_id}&requester={outsider_ticket.requester_id}"

    assert _ids(customer_client, query) == []


def test_pagination_never_skips_or_repeats_while_rows_are_inserted(
    agent_client: APIClient, customer: User
) -> None:
    # given
    original = [TicketFactory(requester=customer, created_at=_at(minute)) for minute in range(0, 100, 10)]
    url: str | None = f"{URL}?page_size=3"
    seen: list[int] = []
    inserted_older: list[int] = []
    step = 0
    # when
    while url:
        body = agent_client.get(url).json()
        seen.extend(row["id"] for row in body["results"])
        url = body["next"]
        # Between pages: one ticket newer than everything, one older than everything seen.
        TicketFactory(requester=customer, created_at=_at(1000 + step))
        inserted_older.append(TicketFactory(requester=customer, created_at=_at(-100 - step)).pk)
        step += 1
    # then
    assert len(seen) == len(set(seen))
    assert set(seen) >= {ticket.pk for ticket in original}
    assert set(inserted_older[:-1]) <= set(seen)
    created = dict(Ticket.objects.filter(pk__in=seen).values_list("pk", "created_at"))
    assert [created[pk] for pk in seen] == sorted((created[pk] for pk in seen), reverse=True)


def test_previous_link_walks_back_to_the_same_page(agent_client: APIClient, customer: User) -> None:
    for minute in range(7):
        TicketFactory(requester=customer, created_at=_at(minute))
    first = agent_client.get(f"{URL}?page_size=3").json()
    second = agent_client.get(first["next"]).json()

    back = agent_client.get(second["previous"]).json()

    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]


def test_updated_since_change_feed(agent_client: APIClient, customer: User, agent: User) -> None:
    # given
    old = [TicketFactory(requester=customer, created_at=_at(m), updated_at=_at(m)) for m in range(5)]
    since = _at(100)
    changed = [
        TicketFactory(requester=customer, created_at=_at(m), updated_at=_at(200 + m)) for m in range(4)
    ]
    # when
    feed = _walk(
        agent_client,
        f"{URL}?updated_since={since.isoformat().replace('+00:00', 'Z')}&ordering=updated_at&page_size=2",
    )
    later = services.ticket_update(ticket_id=old[0].pk, actor=agent, changes={"priority": "p1"})
    next_feed = _walk(
        agent_client,
        f"{URL}?updated_since={changed[-1].updated_at.isoformat().replace('+00:00', 'Z')}&ordering=updated_at",
    )
    # then
    assert feed == [ticket.pk for ticket in changed]
    assert next_feed == [changed[-1].pk, later.pk]


def test_list_query_count_does_not_grow_with_page_size(
    agent_client: APIClient, customer: User, agent: User, team: Team
) -> None:
    # given
    tags = [TagFactory(name=f"t{i}") for i in range(3)]
    category = CategoryFactory(name="Sub", parent=CategoryFactory(name="Top"))
    for _ in range(60):
        ticket = TicketFactory(requester=customer, team=team, assignee=agent, category=category)
        ticket.tags.set(tags)
    # when
    with CaptureQueriesContext(connection) as small:
        assert len(agent_client.get(f"{URL}?page_size=5&is_open=true&team={team.pk}").json()["results"]) == 5
    with CaptureQueriesContext(connection) as large:
        assert (
            len(agent_client.get(f"{URL}?page_size=50&is_open=true&team={team.pk}").json()["results"]) == 50
        )
    # then
    assert len(small.captured_queries) == len(large.captured_queries)
    # the page of tickets, then people, tags and lookup rows for the whole page in one query
    assert len(large.captured_queries) == 2


def test_list_uses_a_fixed_number_of_queries(
    django_assert_max_num_queries, agent_client: APIClient, queue: dict
) -> None:
    with django_assert_max_num_queries(2):
        agent_client.get(f"{URL}?page_size=100")


def test_invalid_ordering_is_400(agent_client: APIClient) -> None:
    response = agent_client.get(f"{URL}?ordering=subject")

    assert response.status_code == 400
    assert response.json() == {
        "ordering": ["Order by one of: created_at, updated_at, priority, id (prefix '-' for descending)."]
    }


@pytest.mark.parametrize("serializer_class", [TicketOutputSerializer, TicketCustomerOutputSerializer])
def test_fast_ticket_output_matches_the_declared_fields(
    queue: dict[str, Ticket], agent: User, serializer_class: type[TicketOutputSerializer]
) -> None:
    # given
    services.ticket_assign(ticket_id=queue["open_team"].pk, assignee=agent, actor=agent)
    request = APIRequestFactory().get(URL)
    for ticket in selectors.ticket_list_visible_to(agent):
        serializer = serializer_class(context={"request": request})
        # when
        fast = serializer.to_representation(ticket)
        generic = Serializer.to_representation(serializer, ticket)
        # then
        assert fast == dict(generic)
        assert list(fast) == list(generic)


@pytest.mark.parametrize(
    ("user_fixture", "serializer_class"),
    [("agent", TicketOutputSerializer), ("customer", TicketCustomerOutputSerializer)],
)
def test_list_rows_match_the_ticket_output_serializer(
    request: pytest.FixtureRequest,
    queue: dict[str, Ticket],
    agent: User,
    user_fixture: str,
    serializer_class: type[TicketOutputSerializer],
) -> None:
    # given: every kind of value a row can hold (nulls, parent category, area, dates, merges)
    area = ProductArea.objects.create(name="Mobile app", slug="mobile-app")
    services.ticket_assign(ticket_id=queue["open_team"].pk, assignee=agent, actor=agent)
    services.ticket_update(ticket_id=queue["p1"].pk, actor=agent, changes={"product_area": area})
    services.ticket_merge(duplicate_id=queue["email"].pk, original_id=queue["p1"].pk, actor=agent)
    viewer = request.getfixturevalue(user_fixture)
    client = request.getfixturevalue(f"{user_fixture}_client")
    # when
    rows = client.get(f"{URL}?page_size=100").json()["results"]
    # then
    context = {"request": APIRequestFactory().get(URL)}
    expected = [
        serializer_class(ticket, context=context).data
        for ticket in selectors.ticket_list_visible_to(viewer).order_by("-created_at", "-pk")
    ]
    assert rows == json.loads(json.dumps(expected, cls=encoders.JSONEncoder))
    assert [list(row) for row in rows] == [list(row) for row in expected]
