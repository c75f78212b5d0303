"""Per-token rate limit: a fixed one-minute window counted atomically in Redis."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from helpdesk.api.authentication import token_of

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.CACHES["default"]["LOCATION"], socket_timeout=0.5, socket_connect_timeout=0.5
        )
    return _client


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
        now = time.time()
        window = int(now // 60)
        key = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:rl:{identity}:{window}"
        try:
            pipe = _redis().pipeline()
            pipe.incr(key)
            pipe.expire(key, 61)
            count = pipe.execute()[0]
        except redis.RedisError:
            logger.warning("rate_limit.redis_unavailable", extra={"identity": identity})
            return True
        if count > limit:
            self.wait_seconds = max(1.0, (window + 1) * 60 - now)
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
