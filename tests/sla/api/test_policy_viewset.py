"""SLA policy endpoints: access, validation, ordering, target matrix, versions and re-apply jobs."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from helpdesk.models import User
from sla import services as sla_services
from sla.models import SlaClock, SlaPolicy, SlaPolicyVersion, SlaReapplyJob, SlaTarget, TicketSla
from tests.sla.api.conftest import at, open_ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/sla/policies/"
VIP = {"name": "VIP", "match_tiers": ["enterprise"], "match_priorities": ["p1", "p2"]}


def _first_response_cell(policy_id: int, minutes: int | None) -> dict:
    return {"priority": "p3", "tier": "enterprise", "metric": "first_response", "minutes": minutes}


@pytest.mark.parametrize(
    ("_case", "client_fixture", "read_status", "write_status"),
    [
        ("customer may neither read nor write", "customer_client", 403, 403),
        ("agent reads only", "agent_client", 200, 403),
        ("manager reads only", "manager_client", 200, 403),
        ("admin reads and writes", "admin_client_api", 200, 201),
    ],
)
def test_policy_access(request, _case: str, client_fixture: str, read_status: int, write_status: int) -> None:
    client: APIClient = request.getfixturevalue(client_fixture)

    read = client.get(URL)
    write = client.post(URL, VIP, format="json")

    assert read.status_code == read_status
    assert write.status_code == write_status
    assert SlaPolicy.objects.filter(name="VIP").exists() == (write_status == 201)


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected"),
    [
        ("customer", "customer_client", 403),
        ("agent", "agent_client", 403),
        ("admin", "admin_client_api", 200),
    ],
)
def test_target_edit_access(
    request, default_policy: SlaPolicy, _case: str, client_fixture: str, expected: int
) -> None:
    client: APIClient = request.getfixturevalue(client_fixture)

    response = client.put(
        f"{URL}{default_policy.pk}/targets/",
        {"cells": [_first_response_cell(default_policy.pk, 30)]},
        format="json",
    )

    assert response.status_code == expected
    assert SlaPolicyVersion.objects.filter(policy=default_policy).count() == (2 if expected == 200 else 1)


def test_agents_read_targets_versions_and_jobs(agent_client: APIClient, default_policy: SlaPolicy) -> None:
    targets = agent_client.get(f"{URL}{default_policy.pk}/targets/")
    versions = agent_client.get(f"{URL}{default_policy.pk}/versions/")
    jobs = agent_client.get("/api/v1/sla/reapply-jobs/")

    assert targets.status_code == 200
    assert len(targets.json()["cells"]) == 100  # 5 priorities × 5 tiers × 4 metrics
    assert targets.json()["version"] == 1
    assert [row["number"] for row in versions.json()] == [1]
    assert jobs.status_code == 200


def test_create_fills_the_matrix_and_publishes_version_1(
    admin_client_api: APIClient, admin_user: User
) -> None:
    # when
    response = admin_client_api.post(URL, VIP, format="json")

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    assert body["match_tiers"] == ["enterprise"]
    assert body["pause_statuses"] == ["pending", "on_hold"]
    assert body["warning_levels"] == [50, 80, 90, 100, 200]
    assert SlaTarget.objects.filter(policy_id=body["id"]).count() == 100
    version = SlaPolicyVersion.objects.get(policy_id=body["id"])
    assert (version.number, version.created_by_id) == (1, admin_user.pk)
    assert version.snapshot["targets"]["p1"]["enterprise"]["resolution"] == {
        "minutes": 120,
        "business_hours": False,
        "calendar": None,
    }


@pytest.mark.parametrize(
    ("_case", "change", "field"),
    [
        ("unknown pause status", {"pause_statuses": ["waiting_for_godot"]}, "pause_statuses"),
        ("a closed status cannot pause", {"pause_statuses": ["resolved"]}, "pause_statuses"),
        ("warning level zero", {"warning_levels": [0, 100]}, "warning_levels"),
        ("warning level negative", {"warning_levels": [-50, 100]}, "warning_levels"),
        ("warning levels unsorted", {"warning_levels": [80, 50, 100]}, "warning_levels"),
        ("warning levels repeated", {"warning_levels": [50, 50, 100]}, "warning_levels"),
        ("no breach level", {"warning_levels": [50, 80]}, "warning_levels"),
        ("unknown tier", {"match_tiers": ["platinum"]}, "match_tiers"),
        ("unknown organization", {"match_organizations": [999999]}, "match_organizations"),
        ("float id", {"match_teams": [1.5]}, "match_teams"),
        ("negative position", {"position": -1}, "position"),
        ("version is read-only", {"version": 7}, "version"),
        ("the default may not have conditions", {"is_default": True}, "is_default"),
        ("name taken", {"name": "Standard (catch-all)", "match_tiers": []}, "name"),
    ],
)
def test_invalid_policy_is_400_with_field_errors(
    admin_client_api: APIClient, _case: str, change: dict, field: str
) -> None:
    before = SlaPolicy.objects.count()

    response = admin_client_api.post(URL, {**VIP, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert SlaPolicy.objects.count() == before


@pytest.mark.parametrize(
    ("_case", "cell", "field"),
    [
        ("negative minutes", {"minutes": -5}, "cells"),
        ("zero minutes", {"minutes": 0}, "cells"),
        ("unknown metric", {"metric": "happiness"}, "cells"),
        ("unknown calendar", {"calendar": 999999}, "cells"),
        ("minutes as text", {"minutes": "soon"}, "cells"),
    ],
)
def test_invalid_target_cell_is_400(
    admin_client_api: APIClient, default_policy: SlaPolicy, _case: str, cell: dict, field: str
) -> None:
    response = admin_client_api.put(
        f"{URL}{default_policy.pk}/targets/",
        {"cells": [{**_first_response_cell(0, 30), **cell}]},
        format="json",
    )

    assert response.status_code == 400
    assert field in response.json()
    assert SlaPolicyVersion.objects.filter(policy=default_policy).count() == 1


def test_the_same_cell_twice_is_400(admin_client_api: APIClient, default_policy: SlaPolicy) -> None:
    cell = _first_response_cell(0, 30)

    response = admin_client_api.put(
        f"{URL}{default_policy.pk}/targets/", {"cells": [cell, cell]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["cells"] == ["p3/enterprise/first_response is listed more than once."]


def test_editing_targets_publishes_a_version_and_open_tickets_keep_theirs(
    admin_client_api: APIClient, customer: User, default_policy: SlaPolicy
) -> None:
    # given: a ticket on version 1 (enterprise P3: first response 120 minutes)
    before = open_ticket(customer)

    # when
    response = admin_client_api.put(
        f"{URL}{default_policy.pk}/targets/",
        {"cells": [_first_response_cell(default_policy.pk, 30)]},
        format="json",
    )

    # then
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["published"] is True
    assert TicketSla.objects.get(ticket=before).policy_version.number == 1
    assert SlaClock.objects.get(ticket=before, metric="first_response").target_seconds == 120 * 60
    after = open_ticket(customer, when=at(10))
    assert TicketSla.objects.get(ticket=after).policy_version.number == 2
    assert SlaClock.objects.get(ticket=after, metric="first_response").target_seconds == 30 * 60


def test_putting_unchanged_targets_publishes_nothing(
    admin_client_api: APIClient, default_policy: SlaPolicy
) -> None:
    response = admin_client_api.put(
        f"{URL}{default_policy.pk}/targets/", {"cells": [_first_response_cell(0, 120)]}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["version"], response.json()["published"]) == (1, False)


def test_rule_change_publishes_a_version_and_reordering_does_not(
    admin_client_api: APIClient, default_policy: SlaPolicy
) -> None:
    rules = admin_client_api.patch(
        f"{URL}{default_policy.pk}/", {"pause_statuses": ["pending"]}, format="json"
    )
    order = admin_client_api.patch(f"{URL}{default_policy.pk}/", {"position": 5000}, format="json")

    assert rules.json()["version"] == 2
    assert order.json()["version"] == 2
    assert SlaPolicyVersion.objects.get(policy=default_policy, number=2).snapshot["pause_statuses"] == [
        "pending"
    ]


def test_reapply_moves_open_tickets_to_the_new_version_with_visible_progress(
    admin_client_api: APIClient, customer: User, default_policy: SlaPolicy
) -> None:
    # given: a ticket on version 1, then the policy's P3 response target halves
    ticket = open_ticket(customer)
    admin_client_api.put(
        f"{URL}{default_policy.pk}/targets/",
        {"cells": [_first_response_cell(default_policy.pk, 60)]},
        format="json",
    )

    # when
    queued = admin_client_api.post(f"{URL}{default_policy.pk}/reapply/")
    job_id = queued.json()["id"]
    sla_services.reapply_job_run(job_id=job_id)
    finished = admin_client_api.get(f"/api/v1/sla/reapply-jobs/{job_id}/")

    # then
    assert queued.status_code == 202
    assert (queued.json()["status"], queued.json()["percent"], queued.json()["policy"]) == (
        "queued",
        100,  # nothing counted yet: a job with total 0 reads as complete until it starts
        default_policy.pk,
    )
    assert finished.status_code == 200
    assert {key: finished.json()[key] for key in ("status", "total", "done", "percent")} == {
        "status": "done",
        "total": 1,
        "done": 1,
        "percent": 100,
    }
    assert TicketSla.objects.get(ticket=ticket).policy_version.number == 2
    assert SlaClock.objects.get(ticket=ticket, metric="first_response").target_seconds == 60 * 60


def test_agents_may_not_reapply(agent_client: APIClient, default_policy: SlaPolicy) -> None:
    assert agent_client.post(f"{URL}{default_policy.pk}/reapply/").status_code == 403
    assert not SlaReapplyJob.objects.exists()


def test_fill_matrix_overwrites_every_cell_and_publishes(
    admin_client_api: APIClient, default_policy: SlaPolicy
) -> None:
    # when: every tier at 1x the base, a custom P1 table
    response = admin_client_api.post(
        f"{URL}{default_policy.pk}/fill-matrix/",
        {
            "base": {"p1": {"first_response": {"minutes": 10, "business_hours": False}}},
            "multipliers": {"enterprise": 1, "free": 3},
        },
        format="json",
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["published"]) == (2, True)
    assert sorted((c["tier"], c["minutes"]) for c in body["cells"]) == [("enterprise", 10), ("free", 30)]


@pytest.mark.parametrize(
    ("_case", "payload", "field"),
    [
        ("unknown tier", {"multipliers": {"gold": 2}}, "multipliers"),
        ("zero multiplier", {"multipliers": {"free": 0}}, "multipliers"),
        ("unknown priority", {"base": {"p9": {"resolution": {"minutes": 5}}}}, "base"),
        ("negative minutes", {"base": {"p1": {"resolution": {"minutes": -5}}}}, "base"),
    ],
)
def test_bad_fill_matrix_is_400(
    admin_client_api: APIClient, default_policy: SlaPolicy, _case: str, payload: dict, field: str
) -> None:
    response = admin_client_api.post(f"{URL}{default_policy.pk}/fill-matrix/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert SlaTarget.objects.filter(policy=default_policy).count() == 100


def test_reorder_sets_positions_in_the_given_order(admin_client_api: APIClient) -> None:
    # given
    first = admin_client_api.post(URL, {"name": "A", "match_tiers": ["free"]}, format="json").json()["id"]
    second = admin_client_api.post(URL, {"name": "B", "match_tiers": ["starter"]}, format="json").json()["id"]

    # when
    response = admin_client_api.post(f"{URL}reorder/", {"ids": [second, first]}, format="json")

    # then
    assert response.status_code == 200
    assert [(row["name"], row["position"]) for row in response.json()] == [
        ("B", 10),
        ("A", 20),
        ("Standard (catch-all)", 1000),
    ]


@pytest.mark.parametrize(
    ("_case", "ids"),
    [("unknown id", [999999]), ("repeated id", "repeat"), ("the catch-all", "default")],
)
def test_bad_reorder_is_400(admin_client_api: APIClient, default_policy: SlaPolicy, _case: str, ids) -> None:
    policy = admin_client_api.post(URL, VIP, format="json").json()["id"]
    if ids == "repeat":
        ids = [policy, policy]
    elif ids == "default":
        ids = [default_policy.pk, policy]

    response = admin_client_api.post(f"{URL}reorder/", {"ids": ids}, format="json")

    assert response.status_code == 400
    assert "ids" in response.json()


def test_the_catch_all_cannot_be_deleted_or_deactivated(
    admin_client_api: APIClient, default_policy: SlaPolicy
) -> None:
    delete = admin_client_api.delete(f"{URL}{default_policy.pk}/")
    deactivate = admin_client_api.patch(f"{URL}{default_policy.pk}/", {"is_active": False}, format="json")

    assert delete.status_code == 409
    assert deactivate.status_code == 400
    assert "is_active" in deactivate.json()
    default_policy.refresh_from_db()
    assert default_policy.is_active is True


def test_a_policy_in_use_is_deactivated_not_deleted(admin_client_api: APIClient, customer: User) -> None:
    # given: Acme is an enterprise customer, so its P3 ticket gets the new policy
    policy_id = admin_client_api.post(
        URL, {"name": "Enterprise", "match_tiers": ["enterprise"]}, format="json"
    ).json()["id"]
    open_ticket(customer)

    # when
    response = admin_client_api.delete(f"{URL}{policy_id}/")

    # then
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert SlaPolicy.objects.filter(pk=policy_id, is_active=False).exists()


def test_an_unused_policy_is_deleted(admin_client_api: APIClient) -> None:
    policy_id = admin_client_api.post(URL, VIP, format="json").json()["id"]

    response = admin_client_api.delete(f"{URL}{policy_id}/")

    assert response.status_code == 204
    assert not SlaPolicy.objects.filter(pk=policy_id).exists()
