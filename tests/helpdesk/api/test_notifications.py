"""The notification centre API: own notifications only, unread filter and count, mark read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from helpdesk import services
from helpdesk.models import Notification, User

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def notify(user: User, index: int, *, kind: str = "sla_warning") -> Notification:
    services.notifications_create(
        recipient_ids=[user.pk],
        kind=kind,
        source=f"test:{index}",
        title=f"Alert {index}",
        data={"level": 80},
        now=T0 + timedelta(minutes=index),
    )
    return Notification.objects.get(recipient=user, source=f"test:{index}")


@pytest.fixture
def inbox(agent: User, other_agent: User) -> list[Notification]:
    """Three notifications for `agent` (newest last), one for another agent."""
    notify(other_agent, 99)
    return [notify(agent, index) for index in range(3)]


def test_list_shows_only_your_own_newest_first(agent_client: APIClient, inbox: list[Notification]) -> None:
    response = agent_client.get(URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [row.pk for row in reversed(inbox)]
    assert response.json()["results"][0] == {
        "id": inbox[2].pk,
        "kind": "sla_warning",
        "title": "Alert 2",
        "ticket": None,
        "data": {"level": 80},
        "created_at": "2026-03-02T09:02:00Z",
        "read_at": None,
        "is_read": False,
    }


def test_list_is_cursor_paginated(agent_client: APIClient, inbox: list[Notification]) -> None:
    first = agent_client.get(URL, {"page_size": 2}).json()
    second = agent_client.get(first["next"]).json()

    assert [row["id"] for row in first["results"] + second["results"]] == [row.pk for row in reversed(inbox)]
    assert second["next"] is None


def test_unread_filter_and_count(agent_client: APIClient, agent: User, inbox: list[Notification]) -> None:
    # given
    services.notification_mark_read(recipient=agent, notification_ids=[inbox[0].pk], now=T0)

    # when
    unread = agent_client.get(URL, {"unread": "true"})
    read = agent_client.get(URL, {"unread": "false"})
    count = agent_client.get(f"{URL}unread-count/")

    # then
    assert [row["id"] for row in unread.json()["results"]] == [inbox[2].pk, inbox[1].pk]
    assert [row["id"] for row in read.json()["results"]] == [inbox[0].pk]
    assert count.status_code == 200
    assert count.json() == {"unread": 2}


def test_mark_read_by_ids_ignores_other_peoples_notifications(
    agent_client: APIClient, other_agent: User, inbox: list[Notification]
) -> None:
    # given
    foreign = Notification.objects.get(recipient=other_agent)

    # when
    response = agent_client.post(f"{URL}mark-read/", {"ids": [inbox[0].pk, foreign.pk]}, format="json")

    # then
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 2}
    foreign.refresh_from_db()
    assert foreign.read_at is None


def test_mark_read_without_ids_marks_all_and_is_idempotent(
    agent_client: APIClient, inbox: list[Notification]
) -> None:
    first = agent_client.post(f"{URL}mark-read/", {}, format="json")
    again = agent_client.post(f"{URL}mark-read/", {}, format="json")

    assert first.json() == {"marked": 3, "unread": 0}
    assert again.json() == {"marked": 0, "unread": 0}
    assert not Notification.objects.filter(pk__in=[row.pk for row in inbox], read_at__isnull=True).exists()


def test_mark_read_replays_with_an_idempotency_key(
    agent_client: APIClient, inbox: list[Notification]
) -> None:
    first = agent_client.post(f"{URL}mark-read/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    retry = agent_client.post(f"{URL}mark-read/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert retry.json() == first.json() == {"marked": 3, "unread": 0}
    assert retry["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("_case", "payload"),
    [
        ("ids not a list", {"ids": 5}),
        ("negative id", {"ids": [-1]}),
        ("float id", {"ids": [1.5]}),
        ("unknown field", {"all": True}),
    ],
)
def test_bad_mark_read_is_400(
    agent_client: APIClient, inbox: list[Notification], _case: str, payload: dict
) -> None:
    response = agent_client.post(f"{URL}mark-read/", payload, format="json")

    assert response.status_code == 400
    assert Notification.objects.filter(read_at__isnull=True).count() == 4


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected"),
    [("anonymous", "api_client", 401), ("customer", "customer_client", 200), ("agent", "agent_client", 200)],
)
def test_notification_access(request, _case: str, client_fixture: str, expected: int) -> None:
    client: APIClient = request.getfixturevalue(client_fixture)

    assert client.get(URL).status_code == expected
    assert client.get(f"{URL}unread-count/").status_code == expected
    assert client.post(f"{URL}mark-read/", {}, format="json").status_code == expected


def test_list_query_count_is_constant(
    django_assert_max_num_queries, agent_client: APIClient, agent: User
) -> None:
    for index in range(30):
        notify(agent, index)

    with django_assert_max_num_queries(3):
        response = agent_client.get(URL, {"page_size": 25})

    assert len(response.json()["results"]) == 25
