"""Targets are data: admins edit them (through the service), and every figure follows at once."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from metrics.models import MetricTarget
from metrics.reporting import selectors, services
from metrics.reporting.targets import DEFAULTS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _targets() -> None:
    # Transactional tests elsewhere flush the migration-seeded rows; put the defaults back.
    services.metric_targets_ensure()


def test_the_migration_seeds_the_reference_defaults() -> None:
    migration = importlib.import_module("metrics.migrations.0004_metric_facts")

    seeded = {key: (unit, *bounds) for key, unit, *bounds, _ in migration.TARGETS}

    assert seeded == {
        rule.key: (
            rule.unit,
            rule.good_min,
            rule.good_max,
            rule.warn_min,
            rule.warn_max,
            rule.compare_to_previous,
        )
        for rule in DEFAULTS.values()
    }


def test_every_target_has_a_row_to_edit() -> None:
    rows = {row.key: row for row in MetricTarget.objects.all()}

    assert set(rows) == set(DEFAULTS)
    assert (rows["csat"].good_min, rows["csat"].warn_min, rows["csat"].unit) == (90, 85, "percent")
    assert (rows["frt"].good_max, rows["frt"].warn_max, rows["frt"].unit) == (1, 4, "hours")
    assert rows["breaches"].compare_to_previous is True


def test_an_edited_target_changes_the_tone() -> None:
    # when
    services.metric_target_update(
        key="csat", good_min=70, good_max=None, warn_min=60, warn_max=None, now=timezone.now()
    )

    # then
    rule = selectors.target_rules()["csat"]
    assert rule.describe() == "≥ 70 %, warning < 60 %"
    assert str(rule.tone(72.0)) == "good"


@pytest.mark.parametrize(
    ("_case", "bounds", "errors"),
    [
        ("minimum above maximum", {"good_min": 20, "good_max": 10}, {"good_max": ["The target's maximum is below its minimum."]}),
        ("warning above the target", {"good_min": 80, "warn_min": 90}, {"warn_min": ["The warning level is above the target."]}),
        ("warning below the target", {"good_max": 4, "warn_max": 2}, {"warn_max": ["The warning level is below the target."]}),
    ],
)  # fmt: skip
def test_contradicting_bounds_are_refused(
    _case: str, bounds: dict[str, float], errors: dict[str, list[str]]
) -> None:
    before = MetricTarget.objects.get(key="frt")
    values = {"good_min": None, "good_max": None, "warn_min": None, "warn_max": None, **bounds}

    with pytest.raises(DomainError) as refused:
        services.metric_target_update(key="frt", now=timezone.now(), **values)

    assert refused.value.field_errors == errors
    after = MetricTarget.objects.get(key="frt")
    assert (after.good_max, after.warn_max) == (before.good_max, before.warn_max)


def test_admins_edit_a_target_in_the_admin(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    target = MetricTarget.objects.get(key="queue_depth")

    response = client.post(
        f"/admin/metrics/metrictarget/{target.pk}/change/",
        {"key": "queue_depth", "good_max": "5", "warn_max": "15", "source": "our floor"},
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.good_max, target.warn_max, target.source) == (5, 15, "our floor")
