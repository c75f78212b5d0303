"""Capacity planning: how many tickets the coming days will bring and how many agents they need.

Pure: no Django imports. Staffing follows the reference's capacity equation, rounded up to whole
agents; the volume comes from a weekday-seasonal forecast over daily ticket counts; the handle
time is estimated from the ticket event log (see `handle_time_estimate`). docs/metrics.md, "Capacity
planner", states the method with a worked example.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from statistics import median

Number = int | float | Decimal | Fraction

# The reference's example: 500 tickets/day × 20 min, 8 h per agent at 75 % utilization → 28 agents.
REFERENCE_EXAMPLE = {"volume": 500, "handle_minutes": 20, "available_hours": 8, "utilization": 0.75}

# Handle time (see `handle_time_estimate`): a touch's duration is seen when an agent wrote between
# 1 and 30 minutes after the ticket's previous event. Quicker is the same action as that event (a
# reply sent with a status change); slower hides the time the ticket waited in a queue.
TOUCH_OBSERVABLE_MINUTES = (1.0, 30.0)
# Below this many tickets, or observed touches, the estimate is noise and the default applies.
HANDLE_TIME_MIN_SAMPLES = 20
DEFAULT_HANDLE_MINUTES = 15

FORECAST_WEEKS = 4
# A trend factor outside these bounds is a spike or an outage in the history, not growth.
TREND_BOUNDS = (0.5, 2.0)


def _exact(value: Number) -> Fraction:
    # Decimal(str(x)) keeps 0.7 as 7/10, so an exact integer result is not pushed over by float error.
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return Fraction(Decimal(str(value)))


@dataclass(frozen=True, slots=True)
class Staffing:
    """One day's staffing need, with the intermediate figures the page shows."""

    workload_minutes: float  # volume × handle time
    productive_minutes_per_agent: float  # hours × 60 × (1 − shrinkage) × utilization
    exact_agents: float  # workload ÷ productive minutes, before rounding up
    agents: int


def staffing(
    volume: Number,
    handle_minutes: Number,
    available_hours: Number,
    utilization: Number,
    shrinkage: Number = 0,
) -> Staffing:
    """Return the agents needed for `volume` tickets a day, rounded up, with the working figures.

    agents = ⌈(volume × handle minutes) / (available hours × 60 × (1 − shrinkage) × utilization)⌉.
    `utilization` and `shrinkage` are fractions (0.75, not 75). Raises ValueError for a negative
    volume or handle time, hours not above 0 or above 24, utilization outside (0, 1], or shrinkage
    outside [0, 1).
    """
    volume_, handle, hours = _exact(volume), _exact(handle_minutes), _exact(available_hours)
    utilization_, shrinkage_ = _exact(utilization), _exact(shrinkage)
    if volume_ < 0:
        raise ValueError("volume must not be negative")
    if handle < 0:
        raise ValueError("handle_minutes must not be negative")
    if not 0 < hours <= 24:
        raise ValueError("available_hours must be above 0 and at most 24")
    if not 0 < utilization_ <= 1:
        raise ValueError("utilization must be above 0 and at most 1")
    if not 0 <= shrinkage_ < 1:
        raise ValueError("shrinkage must be at least 0 and below 1")
    workload = volume_ * handle
    per_agent = hours * 60 * (1 - shrinkage_) * utilization_
    exact_agents = workload / per_agent
    return Staffing(
        workload_minutes=float(workload),
        productive_minutes_per_agent=float(per_agent),
        exact_agents=float(exact_agents),
        agents=math.ceil(exact_agents),
    )


def required_agents(
    volume: Number,
    handle_minutes: Number,
    available_hours: Number,
    utilization: Number,
    shrinkage: Number = 0,
) -> int:
    """Return the agents needed for `volume` tickets a day (see `staffing`), rounded up."""
    return staffing(volume, handle_minutes, available_hours, utilization, shrinkage).agents


# --- Forecast -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayForecast:
    day: date
    volume: float  # expected tickets, one decimal
    same_weekday_counts: tuple[int, ...]  # the history it averages, oldest first


@dataclass(frozen=True, slots=True)
class Forecast:
    days: tuple[DayForecast, ...]
    trend_factor: float
    history_start: date  # first day read
    history_end: date  # first day not read (today)


def history_window(today: date, *, weeks: int = FORECAST_WEEKS) -> tuple[date, date]:
    """Return [start, end) of the daily counts a forecast made on `today` reads: 2 × `weeks` weeks."""
    return today - timedelta(days=14 * weeks), today


def trend_factor(recent_total: int, previous_total: int, *, weeks: int = FORECAST_WEEKS) -> float:
    """Return the growth to apply to a `weeks`-week same-weekday average to reach next week.

    The weekly growth g = (recent ÷ previous)^(1/weeks) compares two `weeks`-week blocks whose
    centres lie `weeks` weeks apart; the average is centred (weeks + 1) / 2 weeks before the day
    forecast, so the factor is g^((weeks + 1) / 2). 1.0 when either block is empty; clamped to
    TREND_BOUNDS.
    """
    if recent_total <= 0 or previous_total <= 0:
        return 1.0
    weekly = (recent_total / previous_total) ** (1 / weeks)
    factor = weekly ** ((weeks + 1) / 2)
    return min(max(factor, TREND_BOUNDS[0]), TREND_BOUNDS[1])


def forecast_days(
    daily_counts: Mapping[date, int],
    *,
    today: date,
    days: int = 7,
    weeks: int = FORECAST_WEEKS,
    trend: bool = True,
) -> Forecast:
    """Forecast tickets for `today` and the `days` − 1 days after it, from daily history.

    A day's volume is the average of the same weekday in the last `weeks` weeks before today
    (days absent from `daily_counts` count 0), times the trend factor when `trend` is on. The
    history read is `history_window(today, weeks=weeks)`. `days` is 1–7: every sample must lie
    before today.
    """
    if not 1 <= days <= 7:
        raise ValueError("days must be between 1 and 7")
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    start, end = history_window(today, weeks=weeks)
    middle = today - timedelta(days=7 * weeks)

    def total(first: date, stop: date) -> int:
        return sum(daily_counts.get(first + timedelta(days=i), 0) for i in range((stop - first).days))

    factor = trend_factor(total(middle, end), total(start, middle), weeks=weeks) if trend else 1.0
    forecasts = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        samples = tuple(daily_counts.get(day - timedelta(days=7 * back), 0) for back in range(weeks, 0, -1))
        volume = round(sum(samples) / weeks * factor, 1)
        forecasts.append(DayForecast(day=day, volume=volume, same_weekday_counts=samples))
    return Forecast(
        days=tuple(forecasts), trend_factor=round(factor, 3), history_start=start, history_end=end
    )


# --- Handle time ----------------------------------------------------------------------------------

# One event of a ticket's log, in (occurred_at, id) order: when, and whether it is an agent-written
# message (a public reply or an internal note, not an automatic one).
TimelineEntry = tuple[datetime, bool]


@dataclass(frozen=True, slots=True)
class HandleTime:
    touches_per_ticket: float | None  # median agent-written messages per measured ticket
    minutes_per_touch: float | None  # median observed touch duration
    tickets: int  # resolved tickets measured (with at least one agent-written message)
    observed_touches: int  # touches whose duration could be seen
    measured_minutes: float | None  # touches_per_ticket × minutes_per_touch; None when too few samples
    minutes: float  # what the planner uses: the measurement, or the default


def handle_time_estimate(
    timelines: Iterable[Sequence[TimelineEntry]],
    *,
    default_minutes: float = DEFAULT_HANDLE_MINUTES,
    min_samples: int = HANDLE_TIME_MIN_SAMPLES,
    observable: tuple[float, float] = TOUCH_OBSERVABLE_MINUTES,
) -> HandleTime:
    """Estimate agent minutes per resolved ticket from the tickets' event timelines.

    handle time = median touches per ticket × median observed touch duration. A touch is an
    agent-written message; its duration is the time since the ticket's previous event when that
    lies within `observable` (the agent picked the ticket up and worked it through), unknown
    otherwise. Tickets nobody wrote on are not measured. Below `min_samples` measured tickets or
    observed touches, the measurement is None and `default_minutes` applies.
    """
    low, high = observable
    touches: list[int] = []
    durations: list[float] = []
    for timeline in timelines:
        count = 0
        for (previous_at, _), (at, is_agent_message) in pairwise(timeline):
            if is_agent_message:
                count += 1
                gap = (at - previous_at).total_seconds() / 60
                if low <= gap <= high:
                    durations.append(gap)
        if count:
            touches.append(count)
    if len(touches) < min_samples or len(durations) < min_samples:
        return HandleTime(
            touches_per_ticket=median(touches) if touches else None,
            minutes_per_touch=round(median(durations), 1) if durations else None,
            tickets=len(touches),
            observed_touches=len(durations),
            measured_minutes=None,
            minutes=default_minutes,
        )
    per_ticket, per_touch = median(touches), median(durations)
    measured = round(per_ticket * per_touch, 1)
    return HandleTime(
        touches_per_ticket=per_ticket,
        minutes_per_touch=round(per_touch, 1),
        tickets=len(touches),
        observed_touches=len(durations),
        measured_minutes=measured,
        minutes=measured,
    )
