"""Organizations, users, teams, API tokens and idempotency records."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpdesk import services
from helpdesk.exceptions import DomainError
from helpdesk.models import ApiToken, IdempotencyKey, Organization, OrganizationDomain, Role, Team, User
from tests.factories import AgentFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _domains() -> list[tuple[str, str]]:
    return list(OrganizationDomain.objects.order_by("domain").values_list("organization__name", "domain"))


# --- organizations ---------------------------------------------------------------------------------


def test_organization_create_normalises_and_deduplicates_domains() -> None:
    # when
    organization = services.organization_create(
        name="  Initech ", domains=[" Initech.COM", "@initech.com", "mail.initech.com"], tier="enterprise"
    )

    # then
    assert (organization.name, organization.tier) == ("Initech", "enterprise")
    assert _domains() == [("Initech", "initech.com"), ("Initech", "mail.initech.com")]


@pytest.mark.parametrize(
    ("_case", "domain"),
    [
        ("no dot", "localhost"),
        ("empty", "  "),
        ("an email address", "bob@initech.com"),
        ("space", "ini tech.com"),
    ],
)
def test_organization_create_refuses_a_malformed_domain(_case: str, domain: str) -> None:
    # when
    with pytest.raises(DomainError) as raised:
        services.organization_create(name="Initech", domains=[domain])

    # then
    assert raised.value.field_errors == {"domains": [f"'{domain}' is not a domain."]}
    assert (Organization.objects.count(), _domains()) == (0, [])


def test_a_domain_belongs_to_one_organization_only() -> None:
    # given
    services.organization_create(name="Initech", domains=["initech.com"])

    # when
    with pytest.raises(DomainError) as raised:
        services.organization_create(name="Initrode", domains=["INITECH.com", "initrode.com"])

    # then
    assert raised.value.field_errors == {
        "domains": ["'initech.com' already belongs to another organization."]
    }
    assert list(Organization.objects.values_list("name", flat=True)) == ["Initech"]
    assert _domains() == [("Initech", "initech.com")]


def test_organization_names_are_unique_ignoring_case() -> None:
    # given
    services.organization_create(name="Initech")

    # when
    with pytest.raises(DomainError) as raised:
        services.organization_create(name=" INITECH ")

    # then
    assert raised.value.field_errors == {"name": ["An organization with this name exists."]}
    assert Organization.objects.count() == 1


def test_organization_create_ignores_fields_it_does_not_own() -> None:
    # when
    organization = services.organization_create(name="Initech", created_at=NOW, pk=999)

    # then
    assert organization.pk != 999
    assert organization.created_at != NOW


def test_organization_update_replaces_domains() -> None:
    # given
    organization = services.organization_create(name="Initech", domains=["initech.com", "old.com"])

    # when
    services.organization_update(
        organization_id=organization.pk, domains=["initech.com", "New.com"], is_vip=True
    )

    # then
    organization.refresh_from_db()
    assert organization.is_vip is True
    assert _domains() == [("Initech", "initech.com"), ("Initech", "new.com")]


def test_organization_update_refuses_a_name_taken_by_another() -> None:
    # given
    services.organization_create(name="Initech")
    other = services.organization_create(name="Initrode")

    # when
    with pytest.raises(DomainError) as raised:
        services.organization_update(organization_id=other.pk, name="initech", is_vip=True)

    # then
    assert raised.value.field_errors == {"name": ["An organization with this name exists."]}
    other.refresh_from_db()
    assert (other.name, other.is_vip) == ("Initrode", False)


# --- users -----------------------------------------------------------------------------------------


def test_customer_joins_the_organization_owning_their_email_domain() -> None:
    # given
    organization = services.organization_create(name="Initech", domains=["initech.com"])

    # when
    user = services.user_create(email="  Peter@INITECH.com ", full_name="Peter")

    # then
    assert (user.email, user.role, user.organization_id) == ("peter@initech.com", "customer", organization.pk)
    assert user.has_usable_password() is False


def test_agents_do_not_join_organizations_by_domain() -> None:
    # given
    services.organization_create(name="Initech", domains=["initech.com"])

    # when
    user = services.user_create(email="support@initech.com", role=Role.AGENT, password="long-enough-pass")

    # then
    assert (user.organization_id, user.check_password("long-enough-pass")) == (None, True)


def test_customer_with_an_unknown_domain_has_no_organization() -> None:
    # when
    user = services.user_create(email="joe@gmail.example")

    # then
    assert user.organization_id is None


def test_an_explicit_organization_wins_over_the_domain() -> None:
    # given
    services.organization_create(name="Initech", domains=["initech.com"])
    other = OrganizationFactory(name="Contractors")

    # when
    user = services.user_create(email="temp@initech.com", organization=other)

    # then
    assert user.organization_id == other.pk


def test_email_is_unique_ignoring_case() -> None:
    # given
    services.user_create(email="peter@initech.com")

    # when
    with pytest.raises(DomainError) as raised:
        services.user_create(email="PETER@initech.com ", full_name="Impostor")

    # then
    assert raised.value.field_errors == {"email": ["A user with this email exists."]}
    assert list(User.objects.values_list("email", "full_name")) == [("peter@initech.com", "")]


@pytest.mark.parametrize(
    ("_case", "email"), [("no at sign", "peter"), ("two at signs", "a@b@initech.com"), ("empty", " ")]
)
def test_user_create_refuses_a_malformed_email(_case: str, email: str) -> None:
    # when
    with pytest.raises(DomainError) as raised:
        services.user_create(email=email)

    # then
    assert raised.value.field_errors == {"email": [f"'{email.strip()}' is not an email address."]}
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("_case", "zone"), [("made up", "Mars/Olympus"), ("empty", ""), ("path", "../etc/passwd")]
)
def test_user_create_refuses_an_unknown_time_zone(_case: str, zone: str) -> None:
    # when
    with pytest.raises(DomainError) as raised:
        services.user_create(email="peter@initech.com", time_zone=zone)

    # then
    assert raised.value.field_errors == {"time_zone": [f"'{zone}' is not an IANA time zone."]}
    assert User.objects.count() == 0


def test_user_create_accepts_an_iana_time_zone() -> None:
    # when
    user = services.user_create(email="peter@initech.com", time_zone="Europe/Berlin")

    # then
    assert User.objects.get(pk=user.pk).time_zone == "Europe/Berlin"


def test_user_update_lowercases_a_new_email_and_refuses_a_taken_one() -> None:
    # given
    peter = services.user_create(email="peter@initech.com")
    services.user_create(email="bill@initech.com")

    # when
    services.user_update(user_id=peter.pk, email=" Pete@Initech.com ")
    with pytest.raises(DomainError) as raised:
        services.user_update(user_id=peter.pk, email="BILL@initech.com")

    # then
    assert raised.value.field_errors == {"email": ["A user with this email exists."]}
    assert User.objects.get(pk=peter.pk).email == "pete@initech.com"


def test_customer_get_or_create_returns_the_existing_user() -> None:
    # given
    existing = services.user_create(email="peter@initech.com")

    # when
    again = services.customer_get_or_create(email="Peter@Initech.com")

    # then
    assert (again.pk, User.objects.count()) == (existing.pk, 1)


def test_customer_get_or_create_refuses_a_malformed_email() -> None:
    # when
    with pytest.raises(DomainError) as raised:
        services.customer_get_or_create(email="not-an-address")

    # then
    assert raised.value.field_errors == {"email": ["'not-an-address' is not an email address."]}
    assert User.objects.count() == 0


# --- teams -----------------------------------------------------------------------------------------


def test_team_lead_is_always_a_member() -> None:
    # given
    lead, member = AgentFactory(), AgentFactory()

    # when
    team = services.team_create(name="Billing Desk", lead=lead, members=[member])

    # then
    assert (team.name, team.slug, team.lead_id) == ("Billing Desk", "billing-desk", lead.pk)
    assert set(team.members.values_list("pk", flat=True)) == {lead.pk, member.pk}


def test_team_update_keeps_a_new_lead_among_the_members() -> None:
    # given
    first, second = AgentFactory(), AgentFactory()
    team = services.team_create(name="Billing", lead=first)

    # when
    services.team_update(team_id=team.pk, lead=second, members=[first])

    # then
    assert set(team.members.values_list("pk", flat=True)) == {first.pk, second.pk}


@pytest.mark.parametrize(
    ("_case", "name", "expected_errors"),
    [
        ("same name", "Billing", {"name": ["A team with this name exists."]}),
        ("same slug", "billing!", {"name": ["A team with this name exists."]}),
        ("no letters", "!!!", {"name": ["Give the team a name with letters or digits."]}),
    ],
)
def test_team_create_refuses_bad_names(_case: str, name: str, expected_errors: dict[str, list[str]]) -> None:
    # given
    services.team_create(name="Billing")

    # when
    with pytest.raises(DomainError) as raised:
        services.team_create(name=name)

    # then
    assert raised.value.field_errors == expected_errors
    assert list(Team.objects.values_list("name", flat=True)) == ["Billing"]


# --- API tokens ------------------------------------------------------------------------------------


def test_api_token_create_returns_the_plaintext_once_and_stores_only_its_hash(agent: User) -> None:
    # when
    token, plaintext = services.api_token_create(user=agent, name="  CI  ", rate_limit_per_minute=60)

    # then
    assert plaintext.startswith("hd_")
    assert len(plaintext) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert (
        stored.token_hash == hashlib.sha256(plaintext.encode()).hexdigest() == services.hash_token(plaintext)
    )
    assert (stored.name, stored.prefix, stored.rate_limit_per_minute) == ("CI", plaintext[:9], 60)
    stored_values = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert plaintext not in stored_values


def test_api_tokens_are_unique(agent: User) -> None:
    # when
    plaintexts = {services.api_token_create(user=agent, name="t")[1] for _ in range(5)}

    # then
    assert len(plaintexts) == 5
    assert ApiToken.objects.values("token_hash").distinct().count() == 5


def test_api_token_blank_name_gets_a_default(agent: User) -> None:
    token, _plaintext = services.api_token_create(user=agent, name="   ")
    assert token.name == "API token"


def test_revoking_twice_keeps_the_first_revocation_time(agent: User) -> None:
    # given
    token, _plaintext = services.api_token_create(user=agent, name="CI")

    # when
    services.api_token_revoke(token_id=token.pk, now=NOW)
    services.api_token_revoke(token_id=token.pk, now=NOW + timedelta(days=1))

    # then
    token.refresh_from_db()
    assert (token.revoked_at, token.is_revoked) == (NOW, True)


@pytest.mark.parametrize(
    ("_case", "last_used", "now", "expected"),
    [
        ("never used: written", None, NOW, NOW),
        ("used 30 s ago: not written", NOW - timedelta(seconds=30), NOW, NOW - timedelta(seconds=30)),
        (
            "used exactly a minute ago: not written",
            NOW - timedelta(minutes=1),
            NOW,
            NOW - timedelta(minutes=1),
        ),
        ("used 61 s ago: written", NOW - timedelta(seconds=61), NOW, NOW),
    ],
)
def test_api_token_touch_writes_at_most_once_a_minute(
    agent: User, _case: str, last_used: datetime | None, now: datetime, expected: datetime
) -> None:
    # given
    token, _plaintext = services.api_token_create(user=agent, name="CI")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=last_used)
    token.refresh_from_db()

    # when
    services.api_token_touch(token=token, now=now)

    # then
    assert token.last_used_at == expected
    assert ApiToken.objects.get(pk=token.pk).last_used_at == expected


def test_api_token_touch_within_the_minute_makes_no_query(
    agent: User, django_assert_num_queries: Any
) -> None:
    # given
    token, _plaintext = services.api_token_create(user=agent, name="CI")
    services.api_token_touch(token=token, now=NOW)

    # when / then
    with django_assert_num_queries(0):
        services.api_token_touch(token=token, now=NOW + timedelta(seconds=59))


# --- idempotency keys ------------------------------------------------------------------------------


def test_idempotency_keys_purge_deletes_only_expired_records(agent: User) -> None:
    # given
    ttl = timedelta(hours=24)
    for key, age in (("old", timedelta(hours=25)), ("edge", ttl), ("fresh", timedelta(hours=1))):
        IdempotencyKey.objects.create(
            user=agent,
            key=key,
            method="POST",
            path="/api/v1/tickets/",
            request_fingerprint="f",
            created_at=NOW - age,
        )

    # when
    deleted = services.idempotency_keys_purge(now=NOW, ttl=ttl)

    # then
    assert deleted == 1
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["edge", "fresh"]
