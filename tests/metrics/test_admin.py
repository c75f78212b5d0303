"""Django admin for surveys: the policy row saves through the service; survey records are read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client

from helpdesk.models import User
from metrics.models import Survey, SurveySettings
from tests.metrics.conftest import DELAY, T0, World, resolved_ticket, sweep

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    model._meta.model_name for model in admin.site._registry if model._meta.app_label == "metrics"
)


@pytest.fixture
def admin_web(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def test_every_survey_model_is_registered() -> None:
    assert REGISTERED == ["metrictarget", "npsschedule", "survey", "surveyfollowup", "surveysettings"]


@pytest.mark.parametrize("model_name", ["npsschedule", "survey", "surveyfollowup"])
def test_records_list_for_admins_and_cannot_be_added(
    admin_web: Client, world: World, survey_settings: SurveySettings, model_name: str
) -> None:
    resolved_ticket(world, at=T0)
    sweep(T0 + DELAY)

    assert admin_web.get(f"/admin/metrics/{model_name}/").status_code == 200
    assert admin_web.get(f"/admin/metrics/{model_name}/add/").status_code == 403


def test_settings_list_opens_the_one_row(admin_web: Client, survey_settings: SurveySettings) -> None:
    response = admin_web.get("/admin/metrics/surveysettings/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/metrics/surveysettings/1/change/"
    assert admin_web.get(response["Location"]).status_code == 200


def test_settings_save_through_the_service_and_refuse_a_negative_delay(
    admin_web: Client, survey_settings: SurveySettings
) -> None:
    form = {
        "csat_enabled": "on",
        "csat_delay": "00:30:00",
        "csat_send_window": "7 00:00:00",
        "skip_tag": "no-survey",
        "quiet_period": "14 00:00:00",
        "link_lifetime": "30 00:00:00",
        "low_score_threshold": "2",
        "follow_up_window": "1 00:00:00",
        "nps_interval": "91 00:00:00",
    }

    saved = admin_web.post("/admin/metrics/surveysettings/1/change/", form)
    refused = admin_web.post("/admin/metrics/surveysettings/1/change/", {**form, "csat_delay": "-1:00:00"})

    assert saved.status_code == 302
    assert refused.status_code == 200
    assert b"Must not be negative." in refused.content
    row = SurveySettings.objects.get()
    assert (row.csat_delay, row.nps_enabled) == (timedelta(minutes=30), False)
    assert Survey.objects.count() == 0
