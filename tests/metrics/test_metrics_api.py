"""API v1 metrics endpoints: who may read them, how parameters are checked, JSON and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from helpdesk.models import Role, User
from metrics.api import serializers as s
from metrics.reporting.refresh import metrics_refresh
from tests.factories import CustomerFactory, UserFactory
from tests.metrics.history import MON, NOW, WED, History, build_history

BASE = "/api/v1/metrics"
WINDOW = {"start": MON.date().isoformat(), "end": WED.date().isoformat()}


@pytest.fixture
def history(db: None) -> History:
    built = build_history()
    metrics_refresh(now=NOW)
    return built


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def staff(history: History) -> APIClient:
    return _client(UserFactory(email="boss@helpdesk.test", role=Role.MANAGER))


def _get(client: APIClient, path: str, **params: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        return client.get(f"{BASE}/{path}/", params)


def _figures(body: dict[str, Any]) -> dict[str, Any]:
    return {figure["name"]: figure for figure in body["figures"]}


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- who may read ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["summary", "series", "heatmap", "live", "targets"])
@pytest.mark.parametrize(
    ("_case", "role", "expected_status"),
    [
        ("a customer may not", Role.CUSTOMER, 403),
        ("an agent may", Role.AGENT, 200),
        ("a team lead may", Role.TEAM_LEAD, 200),
        ("a manager may", Role.MANAGER, 200),
        ("an admin may", Role.ADMIN, 200),
    ],
)
def test_metrics_are_for_staff_only(
    history: History, path: str, _case: str, role: str, expected_status: int
) -> None:
    user = CustomerFactory() if role == Role.CUSTOMER else UserFactory(role=role)

    response = _get(_client(user), path)

    assert response.status_code == expected_status
    if expected_status == 403:
        assert response.json() == {"detail": "Only support staff may read metrics."}


def test_anonymous_requests_are_refused(history: History) -> None:
    response = _get(APIClient(), "summary")

    assert response.status_code in (401, 403)


def test_nobody_writes_through_the_metrics_api(staff: APIClient) -> None:
    response = staff.post(f"{BASE}/summary/", {})

    assert response.status_code == 405


# --- JSON -----------------------------------------------------------------------------------------


def test_summary_returns_every_figure_with_its_target(staff: APIClient) -> None:
    response = _get(staff, "summary", **WINDOW)

    assert response.status_code == 200
    body = response.json()
    assert body["window"] == {"start": "2026-03-02", "end": "2026-03-04", "days": 3}
    assert body["slice"] == {"dimension": "all", "key": "", "label": "All tickets"}
    figures = _figures(body)
    assert figures["response_sla"] == {
        "name": "response_sla",
        "label": "Response SLA met",
        "value": 50.0,
        "unit": "percent",
        "tone": "bad",
        "tone_words": "Below warning",
        "target": "≥ 95 %, warning < 90 %",
        "target_key": "response_sla",
        "sample": 4,
        "previous": None,  # nothing was decided in the three days before
    }
    assert figures["frt_median"]["value"] == 4050.0


def test_summary_of_one_team(staff: APIClient, history: History) -> None:
    response = _get(staff, "summary", dimension="team", key=str(history.team.pk), **WINDOW)

    body = response.json()
    assert body["slice"] == {"dimension": "team", "key": str(history.team.pk), "label": "Support"}
    assert _figures(body)["created"]["value"] == 4.0


def test_series_by_day(staff: APIClient) -> None:
    response = _get(staff, "series", interval="day", metrics="created,resolved", **WINDOW)

    body = response.json()
    assert [
        (point["window"]["start"], [(f["name"], f["value"]) for f in point["figures"]])
        for point in body["points"]
    ] == [
        ("2026-03-02", [("created", 4.0), ("resolved", 2.0)]),
        ("2026-03-03", [("created", 0.0), ("resolved", 0.0)]),
        ("2026-03-04", [("created", 0.0), ("resolved", 1.0)]),
    ]


def test_breakdown_by_priority(staff: APIClient) -> None:
    response = _get(staff, "breakdown", dimension="priority", metrics="created", **WINDOW)

    body = response.json()
    assert [(row["slice"]["key"], row["share_of_created"]) for row in body["rows"]] == [
        ("p3", 75.0),
        ("p1", 25.0),
    ]


def test_heatmap_in_a_time_zone(staff: APIClient) -> None:
    response = _get(staff, "heatmap", tz="Europe/Berlin", **WINDOW)

    body = response.json()
    assert body["total"] == 4
    assert body["cells"][0][10] == 3
    assert body["weekdays"][0] == "Monday"


def test_live_figures(staff: APIClient) -> None:
    response = _get(staff, "live")

    [row] = response.json()["rows"]
    assert (row["open"], row["backlog"], row["breached"], row["severe"]) == (1, 1, 1, 1)


# --- bad parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "path", "params", "errors"),
    [
        ("unknown period", "summary", {"period": "2y"}, {"period": ['"2y" is not a valid choice.']}),
        ("period and dates", "summary", {"period": "1w", **WINDOW}, {"period": ["Give a period or start and end, not both."]}),
        ("start without end", "summary", {"start": "2026-03-02"}, {"end": ["Give both start and end."]}),
        ("end before start", "summary", {"start": "2026-03-04", "end": "2026-03-02"}, {"end": ["The end is before the start."]}),
        ("window too long", "summary", {"start": "2025-01-01", "end": "2026-03-02"}, {"end": ["A window is at most 366 days."]}),
        ("malformed date", "summary", {"start": "yesterday", "end": "2026-03-02"}, {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ("key without dimension", "summary", {"key": "3"}, {"key": ["A key needs a dimension other than all."]}),
        ("unknown dimension", "summary", {"dimension": "planet"}, {"dimension": ['"planet" is not a valid choice.']}),
        ("unknown metric", "series", {"metrics": "created,happiness"}, {"metrics": ["Unknown metrics: happiness."]}),
        ("unknown interval", "series", {"interval": "hour"}, {"interval": ['"hour" is not a valid choice.']}),
        ("breakdown of everything", "breakdown", {"dimension": "all"}, {"dimension": ['"all" is not a valid choice.']}),
        ("breakdown without dimension", "breakdown", {}, {"dimension": ["This field is required."]}),
        ("unknown time zone", "heatmap", {"tz": "Mars/Olympus"}, {"tz": ["Unknown time zone."]}),
    ],
)  # fmt: skip
def test_bad_parameters_are_a_400_with_field_errors(
    staff: APIClient, _case: str, path: str, params: dict[str, str], errors: dict[str, list[str]]
) -> None:
    response = _get(staff, path, **params)

    assert response.status_code == 400
    assert response.json() == errors


def test_bad_parameters_in_csv_are_a_400_too(staff: APIClient) -> None:
    response = _get(staff, "summary", period="2y", format="csv")

    assert response.status_code == 400
    assert _csv(response) == [["field", "message"], ["period", '"2y" is not a valid choice.']]


# --- CSV ------------------------------------------------------------------------------------------


def test_summary_as_csv(staff: APIClient) -> None:
    response = _get(staff, "summary", format="csv", **WINDOW)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="metrics-summary-2026-03-02-2026-03-04.csv"'
    )
    rows = _csv(response)
    assert rows[0] == ["metric", "label", "value", "unit", "tone", "target", "sample", "previous"]
    by_metric = {row[0]: row for row in rows[1:]}
    assert by_metric["response_sla"][:7] == [
        "response_sla", "Response SLA met", "50.0", "percent", "bad", "≥ 95 %, warning < 90 %", "4",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "params", "header"),
    [
        ("series", {"metrics": "created"}, ["start", "end", "created"]),
        ("breakdown", {"dimension": "channel", "metrics": "created"}, ["dimension", "key", "label", "share_of_created", "created"]),
        ("heatmap", {}, ["weekday", *[f"h{hour:02d}" for hour in range(24)]]),
        ("live", {"dimension": "team"}, ["dimension", "key", "label", "open", "unassigned", "waiting", "backlog", "age_under_1d", "age_1_to_3d", "age_3_to_7d", "age_7_to_30d", "age_over_30d", "breached", "at_risk", "severe"]),
        ("targets", {}, ["key", "label", "unit", "good_min", "good_max", "warn_min", "warn_max", "compare_to_previous", "description", "source"]),
    ],
)  # fmt: skip
def test_every_table_exports_as_csv(
    staff: APIClient, path: str, params: dict[str, str], header: list[str]
) -> None:
    extra = WINDOW if path in ("series", "breakdown", "heatmap") else {}

    response = _get(staff, path, format="csv", **params, **extra)

    assert response.status_code == 200
    rows = _csv(response)
    assert rows[0] == header
    assert len(rows) > 1


def test_breakdown_csv_rows(staff: APIClient) -> None:
    response = _get(staff, "breakdown", format="csv", dimension="channel", metrics="created", **WINDOW)

    assert _csv(response)[1:] == [
        ["channel", "email", "Email", "50.0", "2.0"],
        ["channel", "chat", "Chat", "25.0", "1.0"],
        ["channel", "portal", "Portal", "25.0", "1.0"],
    ]


# --- cost -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("summary", {"period": "6m"}),
        ("series", {"period": "6m", "interval": "week"}),
        ("breakdown", {"period": "6m", "dimension": "agent"}),
        ("heatmap", {"period": "6m"}),
        ("live", {"dimension": "team"}),
    ],
)
def test_each_endpoint_reads_a_handful_of_rows_in_few_queries(
    staff: APIClient, django_assert_max_num_queries: Any, path: str, params: dict[str, str]
) -> None:
    # targets (1), rollups or snapshot (1), labels (1), knowledge base (summary: 2)
    with django_assert_max_num_queries(5):
        response = _get(staff, path, **params)

    assert response.status_code == 200


def test_the_schema_documents_the_metrics_endpoints(staff: APIClient) -> None:
    response = staff.get("/api/v1/schema/", {"format": "json"})

    paths = response.json()["paths"]
    for name in ("summary", "series", "breakdown", "heatmap", "live", "targets"):
        assert f"/api/v1/metrics/{name}/" in paths
    parameters = {parameter["name"] for parameter in paths["/api/v1/metrics/summary/"]["get"]["parameters"]}
    assert {"period", "start", "end", "dimension", "key", "format"} <= parameters


@pytest.mark.parametrize(
    ("path", "params", "serializer"),
    [
        ("summary", {}, s.SummaryOutputSerializer),
        ("series", {"interval": "week"}, s.SeriesOutputSerializer),
        ("breakdown", {"dimension": "team"}, s.BreakdownOutputSerializer),
        ("heatmap", {}, s.HeatmapOutputSerializer),
        ("live", {"dimension": "team"}, s.LiveOutputSerializer),
    ],
)
def test_bodies_have_the_documented_shape(
    staff: APIClient, path: str, params: dict[str, str], serializer: type[Any]
) -> None:
    body = _get(staff, path, **params, **WINDOW if path != "live" else {}).json()

    checked = serializer(data=body)

    assert checked.is_valid(), checked.errors
    assert set(body) == set(serializer().fields)
