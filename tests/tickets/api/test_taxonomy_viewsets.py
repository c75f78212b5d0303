"""Categories, tags and product areas: everyone reads (customers only active ones), admins write."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import CategoryFactory, TagFactory
from tickets.models import Category, ProductArea, Tag


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected"),
    [("customer sees active tags", "customer_client", ["billing"]), ("agent sees all", "agent_client", ["billing", "legacy"])],
)  # fmt: skip
def test_tag_list_visibility(
    request: pytest.FixtureRequest,
    billing_tag: Tag,
    retired_tag: Tag,
    _case: str,
    client_fixture: str,
    expected: list,
) -> None:
    response = request.getfixturevalue(client_fixture).get("/api/v1/tags/")

    assert [row["name"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("path", "payload", "model"),
    [
        ("/api/v1/categories/", {"name": "Hardware"}, Category),
        ("/api/v1/tags/", {"name": "Feature Request"}, Tag),
        ("/api/v1/product-areas/", {"name": "Mobile app"}, ProductArea),
    ],
)
@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_status"),
    [
        ("customer", "customer_client", 403),
        ("agent", "agent_client", 403),
        ("admin", "admin_client_api", 201),
    ],
)
def test_taxonomy_create_access(
    request: pytest.FixtureRequest,
    path: str,
    payload: dict,
    model: type,
    _case: str,
    client_fixture: str,
    expected_status: int,
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.post(path, payload)

    assert response.status_code == expected_status
    assert model.objects.count() == (1 if expected_status == 201 else 0)


def test_admin_retires_a_tag_and_cannot_rename_it(admin_client_api: APIClient) -> None:
    tag = TagFactory(name="old")

    retired = admin_client_api.patch(f"/api/v1/tags/{tag.pk}/", {"is_active": False})
    renamed = admin_client_api.patch(f"/api/v1/tags/{tag.pk}/", {"name": "new"})

    assert retired.status_code == 200
    assert retired.json()["is_active"] is False
    assert renamed.status_code == 400
    assert renamed.json()["name"] == ["Tags cannot be renamed; retire it and add a new one."]


def test_sub_category_path_and_depth_limit(admin_client_api: APIClient) -> None:
    top = CategoryFactory(name="Billing")
    child = admin_client_api.post("/api/v1/categories/", {"name": "Refunds", "parent": top.pk})
    grandchild = admin_client_api.post("/api/v1/categories/", {"name": "Deep", "parent": child.json()["id"]})

    assert child.status_code == 201
    assert child.json()["path"] == "Billing / Refunds"
    assert grandchild.status_code == 400
    assert Category.objects.count() == 2
