"""When a failed webhook delivery is tried again. Pure: no Django imports.

Exponential back-off with jitter: the delay doubles after every failed attempt, from `base`
seconds up to `cap`, and is spread ±25 % so that deliveries that failed together (an endpoint
down for a minute) do not all come back in the same second.
"""

from __future__ import annotations

from datetime import timedelta

JITTER_SPREAD = 0.25


def retry_delay(attempt: int, *, base_seconds: float, cap_seconds: float, jitter: float) -> timedelta:
    """Return how long to wait after failed attempt number `attempt` (1 is the first attempt).

    `jitter` is a number in [0, 1) drawn by the caller (0.5 gives the exact doubling).
    Raises ValueError for an attempt below 1 or a jitter outside [0, 1).
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if not 0 <= jitter < 1:
        raise ValueError("jitter must be in [0, 1)")
    nominal = min(cap_seconds, base_seconds * 2 ** min(attempt - 1, 32))
    spread = 1 + JITTER_SPREAD * (2 * jitter - 1)
    return timedelta(seconds=min(cap_seconds, nominal * spread))


def schedule(max_attempts: int, *, base_seconds: float, cap_seconds: float) -> list[timedelta]:
    """Return the nominal (jitter-free) waits between `max_attempts` attempts, for docs and the UI."""
    return [
        retry_delay(attempt, base_seconds=base_seconds, cap_seconds=cap_seconds, jitter=0.5)
        for attempt in range(1, max_attempts)
    ]
