"""Per-user API tokens: `Authorization: Token hd_…` (or `Bearer hd_…`), looked up by hash."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from helpdesk import services
from helpdesk.api import rows
from helpdesk.models import ApiToken, User


@cache
def _token_sql() -> str:
    """Return the token lookup, with its user and their organization, as SQL built from the models."""
    token, user = ApiToken._meta, User._meta
    return (
        f"SELECT {rows.select_list(ApiToken, 't')}, {rows.user_select_sql('u', 'o')} "  # noqa: S608 - names from the models
        f'FROM "{token.db_table}" t JOIN "{user.db_table}" u ON u."{user.pk.column}" = t."{token.get_field("user").column}" '
        f'{rows.organization_join_sql("u", "o")} WHERE t."{token.get_field("token_hash").column}" = %s'
    )


def api_token_get_by_hash(token_hash: str) -> ApiToken | None:
    """Return the token with that hash, its user and the user's organization loaded, in one query.

    The same rows as `select_related("user", "user__organization")`, without compiling the ORM
    query on every request (that compile was most of authentication's CPU).
    """
    row = rows.fetch_one(_token_sql(), [token_hash])
    if row is None:
        return None
    token, end = rows.instance_at(ApiToken, row, 0)
    token.user = rows.user_from_row(row, end)
    return token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: give exactly one token.")
        try:
            plaintext = header[1].decode()
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token header: not valid text.") from error
        token = api_token_get_by_hash(services.hash_token(plaintext))
        now = timezone.now()
        if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive.")
        services.api_token_touch(token=token, now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'


def token_of(request: Request) -> Any:
    """Return the ApiToken the request authenticated with, or None for session auth."""
    return request.auth if isinstance(request.auth, ApiToken) else None
