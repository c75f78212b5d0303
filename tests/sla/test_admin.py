"""The SLA admin: calendars and policies save through sla.services; engine records are read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from helpdesk.models import User
from sla.models import BusinessCalendar, SlaPolicy, SlaPolicyVersion, SlaReapplyJob, SlaTarget, TicketSla
from tests.sla.api.conftest import open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _field_value(bound: Any) -> Any:
    value = bound.field.prepare_value(bound.value())
    if isinstance(value, bool):
        return "on" if value else None
    return value


def form_data(response: Any) -> dict[str, Any]:
    """Return the POST data the change page's forms would send unchanged."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = _field_value(form[name])
        if value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for row in formset.forms:
            for name in row.fields:
                value = _field_value(row[name])
                if value is not None:
                    data[row.add_prefix(name)] = value
    return data


@pytest.mark.parametrize(
    "model",
    [
        "businesscalendar",
        "slapolicy",
        "slapolicyversion",
        "ticketsla",
        "slaclock",
        "slaevent",
        "slareapplyjob",
    ],
)
def test_changelists_load(admin_browser: Client, customer: User, model: str) -> None:
    open_ticket(customer)

    assert admin_browser.get(f"/admin/sla/{model}/").status_code == 200


def test_calendar_rows_save_through_the_service(admin_browser: Client, customer: User) -> None:
    # given: clocks count time on the default calendar
    open_ticket(customer)
    calendar = BusinessCalendar.objects.get(is_default=True)
    stamp = calendar.updated_at
    url = f"/admin/sla/businesscalendar/{calendar.pk}/change/"
    data = form_data(admin_browser.get(url))

    # when: Monday's hours change and a holiday is added
    data["weekly_hours-0-start"] = "08:00:00"
    data.update(
        {
            "holidays-TOTAL_FORMS": "1",
            "holidays-0-date": "2026-12-25",
            "holidays-0-name": "Christmas",
            "holidays-0-calendar": str(calendar.pk),
        }
    )
    response = admin_browser.post(url, data)

    # then
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    calendar.refresh_from_db()
    assert calendar.updated_at > stamp
    assert str(calendar.weekly_hours.get(weekday=0).start) == "08:00:00"
    assert list(calendar.holidays.values_list("name", flat=True)) == ["Christmas"]
    assert SlaReapplyJob.objects.filter(calendar=calendar, rematch=False).count() == 1


def test_a_bad_time_zone_shows_on_the_form(admin_browser: Client) -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    url = f"/admin/sla/businesscalendar/{calendar.pk}/change/"
    data = form_data(admin_browser.get(url))
    data["time_zone"] = "Mars/Olympus_Mons"

    response = admin_browser.post(url, data)

    assert response.status_code == 200
    assert "time_zone" in response.context["adminform"].form.errors
    calendar.refresh_from_db()
    assert calendar.time_zone == "UTC"


def test_policy_target_edit_publishes_one_version_and_tickets_keep_theirs(
    admin_browser: Client, customer: User
) -> None:
    # given
    ticket = open_ticket(customer)
    policy = SlaPolicy.objects.get(is_default=True)
    url = f"/admin/sla/slapolicy/{policy.pk}/change/"
    data = form_data(admin_browser.get(url))
    cell = SlaTarget.objects.get(policy=policy, priority="p3", tier="enterprise", metric="first_response")
    index = next(
        key.split("-")[1] for key, value in data.items() if key.endswith("-id") and str(value) == str(cell.pk)
    )

    # when: the cell and a rule change in one save
    data[f"targets-{index}-minutes"] = "45"
    data["warning_levels"] = "50,75,100,200"
    response = admin_browser.post(url, data)

    # then
    assert response.status_code == 302
    cell.refresh_from_db()
    assert cell.minutes == 45
    assert list(SlaPolicyVersion.objects.filter(policy=policy).values_list("number", flat=True)) == [2, 1]
    snapshot = SlaPolicyVersion.objects.get(policy=policy, number=2).snapshot
    assert snapshot["warning_levels"] == [50, 75, 100, 200]
    assert snapshot["targets"]["p3"]["enterprise"]["first_response"]["minutes"] == 45
    assert TicketSla.objects.get(ticket=ticket).policy_version.number == 1


def test_the_catch_all_policy_has_no_delete(admin_browser: Client) -> None:
    policy = SlaPolicy.objects.get(is_default=True)

    assert admin_browser.get(f"/admin/sla/slapolicy/{policy.pk}/delete/").status_code == 403
