"""Per-token rate limit: a fixed one-minute window counted atomically in Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from helpdesk import ratelimit
from helpdesk.api.authentication import token_of

if TYPE_CHECKING:
    from rest_framework.views import APIView


class PerTokenRateThrottle(BaseThrottle):
    """Allow N requests per minute per API token (or per signed-in user; per IP when anonymous).

    When Redis is unreachable the request is let through: an outage of the limiter must not
    take the API down with it.
    """

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        token = token_of(request)
        limit = settings.API_RATE_LIMIT_PER_MINUTE
        if token is not None:
            identity = f"t{token.pk}"
            limit = token.rate_limit_per_minute or limit
        elif request.user and request.user.is_authenticated:
            identity = f"u{request.user.pk}"
        else:
            identity = f"ip{self.get_ident(request)}"
        self.wait_seconds = ratelimit.hit(scope="api", identity=identity, limit=limit, window_seconds=60)
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds
