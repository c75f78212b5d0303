"""Fixed-window rate limits counted atomically in Redis (the API throttle and account e-mails).

When Redis is unreachable a request is let through: an outage of the limiter must not take the
product down with it.
"""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.CACHES["default"]["LOCATION"], socket_timeout=0.5, socket_connect_timeout=0.5
        )
    return _client


def hit(
    *, scope: str, identity: str, limit: int, window_seconds: int, now: float | None = None
) -> float | None:
    """Count one request for `identity` in `scope`; return None if allowed, else seconds to wait."""
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    key = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:rl:{scope}:{identity}:{window}"
    try:
        pipe = _redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, window_seconds + 1)
        count = pipe.execute()[0]
    except redis.RedisError:
        logger.warning("rate_limit.redis_unavailable", extra={"scope": scope, "identity": identity})
        return None
    if count > limit:
        return max(1.0, (window + 1) * window_seconds - now)
    return None
