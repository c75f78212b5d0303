"""API tokens: real token authentication, revocation, expiry, hashing and rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk import services
from helpdesk.api.authentication import api_token_get_by_hash
from helpdesk.models import ApiToken, User

URL = "/api/v1/tokens/"


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_real_token_authenticates(api_client: APIClient, customer: User, keyword: str) -> None:
    # given
    _, plaintext = services.api_token_create(user=customer, name="ci")
    api_client.credentials(HTTP_AUTHORIZATION=f"{keyword} {plaintext}")
    # when
    response = api_client.get("/api/v1/users/me/")
    # then
    assert response.status_code == 200
    assert response.json()["email"] == "alice@acme.test"


@pytest.mark.parametrize(
    ("_case", "header"),
    [
        ("revoked", "revoked"),
        ("expired", "expired"),
        ("unknown", "Token hd_not-a-real-token"),
        ("two words", "Token a b"),
        ("not utf-8", "Token \xff\xfe"),
    ],
)
def test_bad_tokens_answer_401(api_client: APIClient, customer: User, _case: str, header: str) -> None:
    # given
    if header in ("revoked", "expired"):
        token, plaintext = services.api_token_create(
            user=customer,
            name="t",
            expires_at=timezone.now() - timedelta(seconds=1) if header == "expired" else None,
        )
        if header == "revoked":
            services.api_token_revoke(token_id=token.pk)
        header = f"Token {plaintext}"
    api_client.credentials(HTTP_AUTHORIZATION=header)
    # when
    response = api_client.get("/api/v1/tickets/")
    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_create_returns_plaintext_once_and_stores_only_a_hash(
    customer_client: APIClient, customer: User
) -> None:
    # when
    created = customer_client.post(URL, {"name": "laptop"})
    listed = customer_client.get(URL)
    # then
    assert created.status_code == 201
    plaintext = created.json()["token"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert token.token_hash == services.hash_token(plaintext)
    assert plaintext not in {token.token_hash, token.prefix}
    assert plaintext.startswith(token.prefix)
    assert "token" not in listed.json()["results"][0]
    assert [row["name"] for row in listed.json()["results"]] == ["laptop"]


def test_created_token_works_and_revoking_it_stops_it(
    customer_client: APIClient, api_client: APIClient
) -> None:
    # given
    created = customer_client.post(URL, {"name": "script"}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert api_client.get("/api/v1/tickets/").status_code == 200
    # when
    revoked = customer_client.delete(f"{URL}{created['id']}/")
    # then
    assert revoked.status_code == 204
    assert api_client.get("/api/v1/tickets/").status_code == 401
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is not None


def test_users_see_and_revoke_only_their_own_tokens(
    customer_client: APIClient, coworker: User, customer: User
) -> None:
    # given
    theirs, _ = services.api_token_create(user=coworker, name="theirs")
    services.api_token_create(user=customer, name="mine")
    # when
    listed = customer_client.get(URL)
    revoked = customer_client.delete(f"{URL}{theirs.pk}/")
    # then
    assert [row["name"] for row in listed.json()["results"]] == ["mine"]
    assert revoked.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_token_expiring_in_the_past_is_refused(customer_client: APIClient) -> None:
    response = customer_client.post(URL, {"name": "x", "expires_at": "2000-01-01T00:00:00Z"})

    assert response.status_code == 400
    assert response.json() == {"expires_at": ["Must lie in the future."]}
    assert ApiToken.objects.count() == 0


def test_anonymous_cannot_manage_tokens(api_client: APIClient, db: None) -> None:
    assert api_client.post(URL, {"name": "x"}).status_code == 401
    assert ApiToken.objects.count() == 0


def test_rate_limit_answers_429_with_retry_after(api_client: APIClient, customer: User, settings) -> None:
    # given
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    _, plaintext = services.api_token_create(user=customer, name="limited")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    # when
    statuses = [api_client.get("/api/v1/tickets/").status_code for _ in range(4)]
    limited = api_client.get("/api/v1/tickets/")
    # then
    assert statuses[:2] == [200, 200]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60


@pytest.mark.parametrize("with_organization", [True, False])
def test_token_lookup_loads_the_same_rows_as_the_orm(customer: User, with_organization: bool) -> None:
    # given
    if not with_organization:
        customer.organization = None
        customer.save(update_fields=["organization"])
    token, plaintext = services.api_token_create(user=customer, name="ci")
    # when
    with CaptureQueriesContext(connection) as queries:
        found = api_token_get_by_hash(services.hash_token(plaintext))
        organization = found.user.organization if found else None
    # then: one query, and field for field what select_related would have loaded
    expected = ApiToken.objects.select_related("user", "user__organization").get(pk=token.pk)
    assert found is not None
    assert len(queries.captured_queries) == 1
    pairs = [(found, expected), (found.user, expected.user)]
    if with_organization:
        pairs.append((organization, expected.user.organization))
    else:
        assert organization is None
    for loaded, orm in pairs:
        fields = type(orm)._meta.concrete_fields
        # The raw lookup applies no database converters; a field that needs one must not slip in.
        assert not [field.name for field in fields if field.get_db_converters(connection)]
        assert [getattr(loaded, f.attname) for f in fields] == [getattr(orm, f.attname) for f in fields]
    assert api_token_get_by_hash(services.hash_token(plaintext + "x")) is None
