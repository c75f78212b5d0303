"""Users, organizations and teams: who may read and who may change them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from helpdesk.models import Organization, Team, User


@pytest.mark.parametrize(
    ("_case", "client_fixture", "sharing", "expected_emails"),
    [
        ("customer sees only themself", "customer_client", False, ["alice@acme.test"]),
        ("sharing organization shows coworkers", "customer_client", True, ["alice@acme.test", "bob@acme.test"]),
        ("outsider sees only themself", "outsider_client", True, ["eve@globex.test"]),
        ("agent sees everyone", "agent_client", False, ["agent@helpdesk.test", "alice@acme.test", "bob@acme.test", "eve@globex.test"]),
    ],
)  # fmt: skip
def test_user_list_visibility(
    request: pytest.FixtureRequest,
    organization: Organization,
    customer: User,
    coworker: User,
    outsider: User,
    _case: str,
    client_fixture: str,
    sharing: bool,
    expected_emails: list[str],
) -> None:
    organization.members_see_each_other = sharing
    organization.save()
    client = request.getfixturevalue(client_fixture)

    response = client.get("/api/v1/users/?page_size=100")

    assert response.status_code == 200
    assert sorted(row["email"] for row in response.json()["results"]) == expected_emails


def test_me_returns_the_caller(customer_client: APIClient, customer: User) -> None:
    response = customer_client.get("/api/v1/users/me/")

    assert response.status_code == 200
    assert response.json()["id"] == customer.pk
    assert response.json()["organization"]["name"] == "Acme"


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_status"),
    [
        ("customer may not create users", "customer_client", 403),
        ("agent may not create users", "agent_client", 403),
        ("anonymous", "api_client", 401),
        ("admin creates users", "admin_client_api", 201),
    ],
)
def test_user_create_access(
    request: pytest.FixtureRequest,
    organization: Organization,
    _case: str,
    client_fixture: str,
    expected_status: int,
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.post(
        "/api/v1/users/",
        {"email": "New@Acme.test", "role": "agent", "support_tier": "l2", "password": "long-enough-1"},
    )

    assert response.status_code == expected_status
    assert User.objects.filter(email="new@acme.test").exists() is (expected_status == 201)
    if expected_status == 201:
        assert (response.json()["role"], response.json()["support_tier"]) == ("agent", "l2")
        assert "password" not in response.json()


def test_admin_updates_user_and_duplicate_email_is_field_error(
    admin_client_api: APIClient, customer: User, coworker: User
) -> None:
    updated = admin_client_api.patch(f"/api/v1/users/{customer.pk}/", {"full_name": "Alice A."})
    clash = admin_client_api.patch(f"/api/v1/users/{customer.pk}/", {"email": "bob@acme.test"})

    assert updated.status_code == 200
    assert updated.json()["full_name"] == "Alice A."
    assert clash.status_code == 400
    assert clash.json()["email"] == ["A user with this email exists."]
    customer.refresh_from_db()
    assert customer.email == "alice@acme.test"


def test_customer_cannot_change_their_own_role(customer_client: APIClient, customer: User) -> None:
    response = customer_client.patch(f"/api/v1/users/{customer.pk}/", {"role": "admin"})

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.role == "customer"


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_names"),
    [
        ("customer sees their organization", "customer_client", ["Acme"]),
        ("outsider sees theirs", "outsider_client", ["Globex"]),
        ("agent sees all", "agent_client", ["Acme", "Globex"]),
    ],
)
def test_organization_list_visibility(
    request: pytest.FixtureRequest,
    organization: Organization,
    other_organization: Organization,
    _case: str,
    client_fixture: str,
    expected_names: list[str],
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.get("/api/v1/organizations/")

    assert [row["name"] for row in response.json()["results"]] == expected_names


def test_customer_does_not_see_internal_organization_fields(
    customer_client: APIClient, organization: Organization
) -> None:
    body = customer_client.get(f"/api/v1/organizations/{organization.pk}/").json()

    assert set(body) == {"id", "name", "tier", "members_see_each_other", "domains"}


def test_foreign_organization_is_404(customer_client: APIClient, other_organization: Organization) -> None:
    assert customer_client.get(f"/api/v1/organizations/{other_organization.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_status"),
    [
        ("customer", "customer_client", 403),
        ("agent", "agent_client", 403),
        ("admin", "admin_client_api", 201),
    ],
)
def test_organization_create_access(
    request: pytest.FixtureRequest, db: None, _case: str, client_fixture: str, expected_status: int
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.post("/api/v1/organizations/", {"name": "Initech", "domains": ["Initech.test"]})

    assert response.status_code == expected_status
    assert Organization.objects.filter(name="Initech").exists() is (expected_status == 201)
    if expected_status == 201:
        assert response.json()["domains"] == ["initech.test"]


def test_admin_patches_organization_sharing(admin_client_api: APIClient, organization: Organization) -> None:
    response = admin_client_api.patch(
        f"/api/v1/organizations/{organization.pk}/", {"members_see_each_other": True}
    )

    assert response.status_code == 200
    organization.refresh_from_db()
    assert organization.members_see_each_other is True


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_status"),
    [
        ("customer cannot read teams", "customer_client", 403),
        ("agent reads teams", "agent_client", 200),
        ("admin reads teams", "admin_client_api", 200),
        ("anonymous", "api_client", 401),
    ],
)
def test_team_read_access(
    request: pytest.FixtureRequest, team: Team, _case: str, client_fixture: str, expected_status: int
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.get("/api/v1/teams/")

    assert response.status_code == expected_status
    if expected_status == 200:
        assert [row["name"] for row in response.json()["results"]] == ["Support"]


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_status"),
    [
        ("agent", "agent_client", 403),
        ("customer", "customer_client", 403),
        ("admin", "admin_client_api", 201),
    ],
)
def test_team_create_access(
    request: pytest.FixtureRequest, agent: User, _case: str, client_fixture: str, expected_status: int
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.post("/api/v1/teams/", {"name": "Billing", "lead": agent.pk, "default_tier": "l2"})

    assert response.status_code == expected_status
    assert Team.objects.filter(name="Billing").exists() is (expected_status == 201)
    if expected_status == 201:
        assert response.json()["members"] == [agent.pk]
