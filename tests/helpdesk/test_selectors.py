"""Reads of organizations, users, teams and tokens, limited to what the viewer may see."""

from __future__ import annotations

import pytest

from helpdesk import selectors, services
from helpdesk.models import Organization, User
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_agents_see_every_organization(
    agent: User, organization: Organization, other_organization: Organization
) -> None:
    assert set(selectors.organization_list_visible_to(agent)) == {organization, other_organization}


def test_customer_sees_only_their_organization(
    customer: User, organization: Organization, other_organization: Organization
) -> None:
    assert list(selectors.organization_list_visible_to(customer)) == [organization]


def test_customer_without_organization_sees_none(db: None) -> None:
    assert list(selectors.organization_list_visible_to(CustomerFactory(organization=None))) == []


@pytest.mark.parametrize(
    ("_case", "shares", "expected"),
    [
        ("private organization: only themself", False, {"customer"}),
        ("sharing: all members", True, {"customer", "coworker"}),
    ],
)
def test_customer_sees_users(
    customer: User,
    coworker: User,
    outsider: User,
    organization: Organization,
    _case: str,
    shares: bool,
    expected: set[str],
) -> None:
    # given
    Organization.objects.filter(pk=organization.pk).update(members_see_each_other=shares)
    viewer = User.objects.get(pk=customer.pk)
    names = {customer.pk: "customer", coworker.pk: "coworker", outsider.pk: "outsider"}

    # when
    visible = {names[pk] for pk in selectors.user_list_visible_to(viewer).values_list("pk", flat=True)}

    # then
    assert visible == expected


def test_teams_are_internal(agent: User, customer: User, team: object) -> None:
    assert (len(selectors.team_list_visible_to(agent)), len(selectors.team_list_visible_to(customer))) == (
        1,
        0,
    )


def test_api_token_list_for_returns_only_own_tokens(agent: User, other_agent: User) -> None:
    # given
    mine, _ = services.api_token_create(user=agent, name="mine")
    services.api_token_create(user=other_agent, name="theirs")

    # when / then
    assert list(selectors.api_token_list_for(agent)) == [mine]


@pytest.mark.parametrize(
    ("_case", "viewer"), [("inactive agent", "agent"), ("inactive customer", "customer")]
)
def test_inactive_users_see_no_organizations_users_or_teams(
    request: pytest.FixtureRequest, team: object, _case: str, viewer: str
) -> None:
    # given
    user = request.getfixturevalue(viewer)
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()

    # when
    counts = (
        selectors.organization_list_visible_to(user).count(),
        selectors.user_list_visible_to(user).count(),
        selectors.team_list_visible_to(user).count(),
    )

    # then
    assert counts == (0, 0, 0)
