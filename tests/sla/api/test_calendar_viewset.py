"""Business calendar endpoints: who may read and change them, validation, re-plans, holiday import."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from helpdesk.models import User
from sla.models import BusinessCalendar, Holiday, SlaClock, SlaReapplyJob
from tests.sla.api.conftest import open_ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/sla/calendars/"
BERLIN = {
    "name": "Berlin office",
    "time_zone": "Europe/Berlin",
    "weekly_hours": [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)],
    "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
    "special_hours": [{"date": "2026-12-24", "start": "09:00", "end": "12:00", "note": "Christmas Eve"}],
}


@pytest.mark.parametrize(
    ("_case", "client_fixture", "read_status", "write_status"),
    [
        ("customer may neither read nor write", "customer_client", 403, 403),
        ("agent reads only", "agent_client", 200, 403),
        ("team lead reads only", "team_lead_client", 200, 403),
        ("manager reads only", "manager_client", 200, 403),
        ("admin reads and writes", "admin_client_api", 200, 201),
    ],
)
def test_calendar_access(
    request, _case: str, client_fixture: str, read_status: int, write_status: int
) -> None:
    client: APIClient = request.getfixturevalue(client_fixture)

    read = client.get(URL)
    write = client.post(URL, BERLIN, format="json")

    assert read.status_code == read_status
    assert write.status_code == write_status
    assert BusinessCalendar.objects.filter(name="Berlin office").exists() == (write_status == 201)


def test_anonymous_gets_401(api_client: APIClient) -> None:
    assert api_client.get(URL).status_code == 401


def test_create_stores_every_row(admin_client_api: APIClient) -> None:
    # when
    response = admin_client_api.post(URL, BERLIN, format="json")

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["time_zone"] == "Europe/Berlin"
    assert body["weekly_hours"][0] == {"weekday": 0, "start": "09:00:00", "end": "17:00:00"}
    assert len(body["weekly_hours"]) == 5
    assert body["holidays"] == [{"date": "2026-12-25", "name": "Christmas"}]
    assert body["special_hours"] == [
        {"date": "2026-12-24", "start": "09:00:00", "end": "12:00:00", "note": "Christmas Eve"}
    ]
    assert body["is_default"] is False


@pytest.mark.parametrize(
    ("_case", "change", "field"),
    [
        ("unknown time zone", {"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ("a path is not a time zone", {"time_zone": "../../etc/passwd"}, "time_zone"),
        (
            "weekday above 6",
            {"weekly_hours": [{"weekday": 7, "start": "09:00", "end": "17:00"}]},
            "weekly_hours",
        ),
        (
            "weekday below 0",
            {"weekly_hours": [{"weekday": -1, "start": "09:00", "end": "17:00"}]},
            "weekly_hours",
        ),
        ("not a time", {"weekly_hours": [{"weekday": 1, "start": "25:00", "end": "17:00"}]}, "weekly_hours"),
        (
            "the same holiday twice",
            {"holidays": [{"date": "2026-12-25", "name": "a"}, {"date": "2026-12-25", "name": "b"}]},
            "holidays",
        ),
        ("not a date", {"holidays": [{"date": "2026-02-30"}]}, "holidays"),
        (
            "unknown row key",
            {"special_hours": [{"date": "2026-12-24", "start": "09:00", "end": "12:00", "x": 1}]},
            "special_hours",
        ),
        ("unknown field", {"colour": "red"}, "colour"),
        ("name taken", {"name": "Business hours (Mon-Fri 09:00-17:00 UTC)"}, "name"),
    ],
)
def test_invalid_calendar_is_400_with_field_errors(
    admin_client_api: APIClient, _case: str, change: dict, field: str
) -> None:
    # given
    before = BusinessCalendar.objects.count()

    # when
    response = admin_client_api.post(URL, {**BERLIN, **change}, format="json")

    # then
    assert response.status_code == 400
    assert field in response.json()
    assert BusinessCalendar.objects.count() == before


def test_start_equal_to_end_is_a_whole_day(admin_client_api: APIClient) -> None:
    # given: Monday 00:00-00:00 is 24 hours (docs/sla.md)
    body = {
        "name": "Mondays",
        "time_zone": "UTC",
        "weekly_hours": [{"weekday": 0, "start": "00:00", "end": "00:00"}],
    }
    calendar_id = admin_client_api.post(URL, body, format="json").json()["id"]

    # when
    response = admin_client_api.get(
        f"{URL}{calendar_id}/preview/", {"start": "2026-03-01T00:00:00Z", "end": "2026-03-04T00:00:00Z"}
    )

    # then
    assert response.status_code == 200
    assert response.json() == {
        "calendar": calendar_id,
        "open_intervals": [{"start": "2026-03-02T00:00:00Z", "end": "2026-03-03T00:00:00Z"}],
        "open_seconds": 86400,
    }


def test_preview_follows_the_time_zone_and_special_hours(admin_client_api: APIClient) -> None:
    calendar_id = admin_client_api.post(URL, BERLIN, format="json").json()["id"]

    response = admin_client_api.get(
        f"{URL}{calendar_id}/preview/", {"start": "2026-12-24T00:00:00Z", "end": "2026-12-26T00:00:00Z"}
    )

    # Christmas Eve 09:00-12:00 CET is 08:00-11:00 UTC; Christmas Day is a holiday.
    assert response.json()["open_intervals"] == [
        {"start": "2026-12-24T08:00:00Z", "end": "2026-12-24T11:00:00Z"}
    ]


@pytest.mark.parametrize(
    ("_case", "query"),
    [
        ("missing end", {"start": "2026-03-01T00:00:00Z"}),
        ("end before start", {"start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00Z"}),
        ("more than 31 days", {"start": "2026-01-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}),
    ],
)
def test_bad_preview_range_is_400(
    admin_client_api: APIClient, default_calendar, _case: str, query: dict
) -> None:
    assert admin_client_api.get(f"{URL}{default_calendar.pk}/preview/", query).status_code == 400


def test_editing_a_calendar_in_use_bumps_it_and_queues_a_replan(
    admin_client_api: APIClient, customer: User, default_calendar: BusinessCalendar
) -> None:
    # given: a ticket whose clocks count time on the default calendar
    open_ticket(customer)
    assert SlaClock.objects.filter(calendar=default_calendar).exists()
    stamp = default_calendar.updated_at

    # when
    response = admin_client_api.patch(
        f"{URL}{default_calendar.pk}/",
        {"weekly_hours": [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(5)]},
        format="json",
    )

    # then
    assert response.status_code == 200
    assert response.json()["weekly_hours"][0] == {"weekday": 0, "start": "08:00:00", "end": "18:00:00"}
    default_calendar.refresh_from_db()
    assert default_calendar.updated_at > stamp
    job = SlaReapplyJob.objects.get()
    assert (job.calendar_id, job.rematch, job.status) == (default_calendar.pk, False, "queued")


def test_editing_an_unused_calendar_queues_nothing(admin_client_api: APIClient) -> None:
    calendar_id = admin_client_api.post(URL, BERLIN, format="json").json()["id"]

    response = admin_client_api.patch(f"{URL}{calendar_id}/", {"holidays": []}, format="json")

    assert response.status_code == 200
    assert response.json()["holidays"] == []
    assert not SlaReapplyJob.objects.exists()


def test_making_a_calendar_the_default_takes_the_flag(
    admin_client_api: APIClient, default_calendar: BusinessCalendar
) -> None:
    response = admin_client_api.post(URL, {**BERLIN, "is_default": True}, format="json")

    assert response.status_code == 201
    default_calendar.refresh_from_db()
    assert default_calendar.is_default is False
    assert BusinessCalendar.objects.get(is_default=True).name == "Berlin office"


def test_the_default_calendar_cannot_be_undefaulted_or_deleted(
    admin_client_api: APIClient, default_calendar: BusinessCalendar
) -> None:
    patch = admin_client_api.patch(f"{URL}{default_calendar.pk}/", {"is_default": False}, format="json")
    delete = admin_client_api.delete(f"{URL}{default_calendar.pk}/")

    assert patch.status_code == 400
    assert "is_default" in patch.json()
    assert delete.status_code == 409
    default_calendar.refresh_from_db()
    assert default_calendar.is_default is True


def test_an_unused_calendar_can_be_deleted(admin_client_api: APIClient) -> None:
    calendar_id = admin_client_api.post(URL, BERLIN, format="json").json()["id"]

    response = admin_client_api.delete(f"{URL}{calendar_id}/")

    assert response.status_code == 204
    assert not BusinessCalendar.objects.filter(pk=calendar_id).exists()


def test_import_holidays_adds_public_holidays(admin_client_api: APIClient) -> None:
    # given
    calendar_id = admin_client_api.post(URL, BERLIN, format="json").json()["id"]

    # when
    response = admin_client_api.post(
        f"{URL}{calendar_id}/import-holidays/",
        {"country": "DE", "subdivision": "BE", "years": [2026]},
        format="json",
    )

    # then: Berlin has 10 public holidays in 2026; Christmas was already there
    assert response.status_code == 200
    body = response.json()
    assert body["added"] == 9
    assert body["calendar"]["holiday_country"] == "DE"
    assert Holiday.objects.filter(calendar_id=calendar_id).count() == 10
    assert Holiday.objects.get(calendar_id=calendar_id, date="2026-12-25").name == "Christmas"


@pytest.mark.parametrize(
    ("_case", "payload", "field"),
    [
        ("unknown country", {"country": "XX", "years": [2026]}, "country"),
        ("unknown subdivision", {"country": "DE", "subdivision": "ZZ", "years": [2026]}, "subdivision"),
        ("not a country code", {"country": "Germany!", "years": [2026]}, "country"),
        ("no years", {"country": "DE", "years": []}, "years"),
        ("absurd year", {"country": "DE", "years": [99999]}, "years"),
    ],
)
def test_bad_holiday_import_is_400(
    admin_client_api: APIClient, default_calendar: BusinessCalendar, _case: str, payload: dict, field: str
) -> None:
    response = admin_client_api.post(f"{URL}{default_calendar.pk}/import-holidays/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Holiday.objects.filter(calendar=default_calendar).exists()


def test_agent_may_not_import_holidays(agent_client: APIClient, default_calendar: BusinessCalendar) -> None:
    response = agent_client.post(
        f"{URL}{default_calendar.pk}/import-holidays/", {"country": "DE", "years": [2026]}, format="json"
    )

    assert response.status_code == 403
    assert not Holiday.objects.exists()


def test_calendar_list_query_count_is_constant(
    django_assert_max_num_queries, admin_client_api: APIClient
) -> None:
    for index in range(5):
        admin_client_api.post(URL, {**BERLIN, "name": f"Office {index}"}, format="json")

    with django_assert_max_num_queries(6):
        response = admin_client_api.get(URL)

    assert len(response.json()["results"]) == 6
