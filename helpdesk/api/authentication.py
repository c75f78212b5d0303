"""Per-user API tokens: `Authorization: Token hd_…` (or `Bearer hd_…`), looked up by hash."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from helpdesk import services
from helpdesk.models import ApiToken, User


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
        token = (
            ApiToken.objects.select_related("user", "user__organization")
            .filter(token_hash=services.hash_token(plaintext))
            .first()
        )
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
