"""Back-off: doubling from the base, capped, spread ±25 % by jitter."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.webhooks.backoff import retry_delay, schedule


def test_nominal_schedule_doubles_from_thirty_seconds() -> None:
    assert schedule(8, base_seconds=30, cap_seconds=3600) == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=16),
        timedelta(minutes=32),
    ]


def test_delay_is_capped_even_with_jitter() -> None:
    assert retry_delay(12, base_seconds=30, cap_seconds=3600, jitter=0.999) == timedelta(seconds=3600)
    assert retry_delay(500, base_seconds=30, cap_seconds=3600, jitter=0.0) == timedelta(seconds=2700)


@pytest.mark.parametrize(
    ("_case", "jitter", "expected_seconds"),
    [
        ("lowest draw is 75 %", 0.0, 45.0),
        ("middle draw is exact", 0.5, 60.0),
        ("highest draw approaches 125 %", 0.999, 74.97),
    ],
)
def test_jitter_spreads_a_quarter_either_way(_case: str, jitter: float, expected_seconds: float) -> None:
    delay = retry_delay(2, base_seconds=30, cap_seconds=3600, jitter=jitter)

    assert delay.total_seconds() == pytest.approx(expected_seconds)


@pytest.mark.parametrize(("attempt", "jitter"), [(0, 0.5), (1, 1.0), (1, -0.1)])
def test_invalid_input_is_refused(attempt: int, jitter: float) -> None:
    with pytest.raises(ValueError, match=r"attempt|jitter"):
        retry_delay(attempt, base_seconds=30, cap_seconds=3600, jitter=jitter)
