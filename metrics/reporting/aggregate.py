"""A day's facts and survey answers → that day's rollup rows, one per slice. Pure.

Every measure is additive (a count, a sum of whole seconds, a histogram of counts), so a week,
a month or any window is the sum of its days, and a median read from summed histograms is the
median of the window. Each fact counts on the day of the instant its measure is about: arrivals
on the creation day, first-response time on the day of the first reply, resolution time on the
day of the standing resolution, an SLA outcome on the day it was decided (met: when fulfilled,
breached: when the target was reached), a survey on the day it was first answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from metrics.reporting import histogram
from metrics.reporting.facts import Fact, SlaOutcome

# The slices every measure is kept for; "all" has the single key "".
DIMENSIONS: tuple[str, ...] = (
    "all",
    "team",
    "agent",
    "category",
    "priority",
    "tier",
    "channel",
    "organization",
)
SLICE_DIMENSIONS = DIMENSIONS[1:]
SCALARS: tuple[str, ...] = (
    "created",
    "escalated",
    "responded",
    "frt_sum",
    "frt_business_sum",
    "response_used_sum",
    "response_used_count",
    "resolved",
    "resolved_by_agents",
    "agent_days",
    "ttr_sum",
    "ttr_business_sum",
    "fcr",
    "resolution_used_sum",
    "resolution_used_count",
    "first_resolved",
    "reopened",
    "response_met",
    "response_total",
    "resolution_met",
    "resolution_total",
    "breached",
    "severe",
    "csat_responses",
    "csat_satisfied",
    "csat_score_sum",
    "ces_responses",
    "ces_score_sum",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
)
ARRAYS: dict[str, int] = {
    "arrivals_by_hour": 24,
    "frt_hist": histogram.BUCKETS,
    "frt_business_hist": histogram.BUCKETS,
    "ttr_hist": histogram.BUCKETS,
    "ttr_business_hist": histogram.BUCKETS,
}
MEASURES: tuple[str, ...] = (*SCALARS, *ARRAYS)
HISTOGRAMS: tuple[str, ...] = ("frt_hist", "frt_business_hist", "ttr_hist", "ttr_business_hist")
# The percentiles the figures read from the histograms. The named periods' own rows carry them,
# worked out when those rows are summed (store.windows_recompute), so a breakdown of such a window
# reads 8 numbers per slice instead of 196 bucket counts.
QUANTILES: tuple[tuple[str, float], ...] = tuple(
    (name, fraction) for name in HISTOGRAMS for fraction in (0.5, 0.9)
)
QUANTILES_KEY = "quantiles"  # where rollup_sums puts them: {(histogram, fraction): seconds or None}
# On the 1–5 scale, 4 and 5 are satisfied; on 0–10, 9–10 promote and 0–6 detract.
SATISFIED_FROM = 4
PROMOTER_FROM = 9
DETRACTOR_UNTIL = 6


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """An answered survey: CSAT (with the ticket and the agent it counts for) or NPS."""

    kind: str  # "csat" or "nps"
    score: int
    effort_score: int | None
    answered_at: datetime
    ticket_id: int | None
    agent_id: int | None
    team_id: int | None
    organization_id: int | None  # NPS: the customer's organization
    tier: str  # NPS: its tier


class Totals:
    """The measures of one slice, mutable while adding up."""

    __slots__ = ("_agents", "arrays", "scalars")

    def __init__(self) -> None:
        self.scalars: dict[str, int] = dict.fromkeys(SCALARS, 0)
        self.arrays: dict[str, list[int]] = {name: [0] * size for name, size in ARRAYS.items()}
        self._agents: set[int] = set()

    def as_dict(self) -> dict[str, int | list[int]]:
        self.scalars["agent_days"] += len(self._agents)
        self._agents.clear()
        return {**self.scalars, **{name: list(values) for name, values in self.arrays.items()}}


def _key(value: object) -> str:
    return "" if value is None else str(value)


def fact_keys(fact: Fact) -> tuple[tuple[str, str], ...]:
    """Return the (dimension, key) slices a fact counts in."""
    return (
        ("all", ""),
        ("team", _key(fact.team_id)),
        ("agent", _key(fact.assignee_id)),
        ("category", _key(fact.category_id)),
        ("priority", fact.priority),
        ("tier", fact.tier),
        ("channel", fact.channel),
        ("organization", _key(fact.organization_id)),
    )


def day_of(instant: datetime) -> date:
    """Return the UTC calendar day of an instant (rollup days are UTC days)."""
    return instant.astimezone(UTC).date()


def _on(instant: datetime | None, day: date) -> bool:
    return instant is not None and day_of(instant) == day


@dataclass(slots=True)
class Contribution:
    """What one fact adds to each of its slices on one day."""

    scalars: dict[str, int]
    bumps: list[tuple[str, int]]  # (array, index) to add 1 to
    agent_id: int | None = None  # an agent who resolved something (agent-days)

    def add_to(self, totals: Totals) -> None:
        scalars, arrays = totals.scalars, totals.arrays
        for name, value in self.scalars.items():
            scalars[name] += value
        for name, index in self.bumps:
            arrays[name][index] += 1
        if self.agent_id is not None:
            totals._agents.add(self.agent_id)


def fact_contribution(fact: Fact, day: date) -> Contribution | None:
    """Return what the fact adds to its slices on `day`; None when nothing of it counts that day."""
    scalars: dict[str, int] = {}
    bumps: list[tuple[str, int]] = []
    agent_id = None
    if _on(fact.created_at, day):
        scalars["created"] = 1
        scalars["escalated"] = int(fact.is_escalated)
        bumps.append(("arrivals_by_hour", fact.created_at.astimezone(UTC).hour))
    if _on(fact.first_response_at, day) and fact.frt_seconds is not None:
        frt_business = fact.frt_business_seconds or 0
        scalars.update(responded=1, frt_sum=fact.frt_seconds, frt_business_sum=frt_business)
        bumps.append(("frt_hist", histogram.bucket_of(fact.frt_seconds)))
        bumps.append(("frt_business_hist", histogram.bucket_of(frt_business)))
        if fact.response_target_used is not None:
            scalars.update(response_used_sum=fact.response_target_used, response_used_count=1)
    if _on(fact.resolved_at, day) and fact.ttr_seconds is not None:
        ttr_business = fact.ttr_business_seconds or 0
        scalars.update(
            resolved=1, ttr_sum=fact.ttr_seconds, ttr_business_sum=ttr_business, fcr=int(fact.is_fcr)
        )
        bumps.append(("ttr_hist", histogram.bucket_of(fact.ttr_seconds)))
        bumps.append(("ttr_business_hist", histogram.bucket_of(ttr_business)))
        if fact.assignee_id is not None:
            scalars["resolved_by_agents"] = 1
            agent_id = fact.assignee_id
        if fact.resolution_target_used is not None:
            scalars.update(resolution_used_sum=fact.resolution_target_used, resolution_used_count=1)
    if _on(fact.first_resolved_at, day):
        scalars.update(first_resolved=1, reopened=int(fact.reopen_count > 0))
    for outcome, at, prefix in (
        (fact.response_sla, fact.response_sla_at, "response"),
        (fact.resolution_sla, fact.resolution_sla_at, "resolution"),
    ):
        if outcome in (SlaOutcome.MET, SlaOutcome.BREACHED) and _on(at, day):
            scalars[f"{prefix}_total"] = 1
            scalars[f"{prefix}_met"] = int(outcome == SlaOutcome.MET)
    if _on(fact.breached_at, day):
        scalars["breached"] = 1
    if _on(fact.severely_breached_at, day):
        scalars["severe"] = 1
    if not scalars:
        return None
    return Contribution(scalars, bumps, agent_id)


def day_totals(
    day: date, facts: Iterable[Fact], answers: Iterable[SurveyAnswer], facts_by_ticket: Mapping[int, Fact]
) -> dict[tuple[str, str], dict[str, int | list[int]]]:
    """Return the rollup rows of `day` by (dimension, key): every slice something counted in.

    `facts` are those with any instant on `day`; `answers` the surveys first answered on it;
    `facts_by_ticket` the facts of the answered CSAT surveys' tickets. Excluded tickets (merged,
    spam, duplicates) count nowhere.
    """
    rows: dict[tuple[str, str], Totals] = {}

    def totals_for(slice_key: tuple[str, str]) -> Totals:
        found = rows.get(slice_key)
        if found is None:
            found = rows[slice_key] = Totals()
        return found

    for fact in facts:
        if fact.is_excluded:
            continue
        contribution = fact_contribution(fact, day)
        if contribution is None:
            continue
        for slice_key in fact_keys(fact):
            contribution.add_to(totals_for(slice_key))
    for answer in answers:
        if day_of(answer.answered_at) != day:
            continue
        if answer.kind == "nps":
            slices: tuple[tuple[str, str], ...] = (
                ("all", ""),
                ("organization", _key(answer.organization_id)),
                ("tier", answer.tier),
            )
            for slice_key in slices:
                scalars = totals_for(slice_key).scalars
                scalars["nps_responses"] += 1
                scalars["nps_promoters"] += answer.score >= PROMOTER_FROM
                scalars["nps_detractors"] += answer.score <= DETRACTOR_UNTIL
            continue
        fact = facts_by_ticket.get(answer.ticket_id or 0)
        if fact is None or fact.is_excluded:
            continue
        # A rating counts for the agent and team the ticket was resolved by (Survey.agent/team).
        slices = tuple(
            ("agent", _key(answer.agent_id))
            if dimension == "agent"
            else ("team", _key(answer.team_id))
            if dimension == "team"
            else (dimension, key)
            for dimension, key in fact_keys(fact)
        )
        for slice_key in slices:
            scalars = totals_for(slice_key).scalars
            scalars["csat_responses"] += 1
            scalars["csat_satisfied"] += answer.score >= SATISFIED_FROM
            scalars["csat_score_sum"] += answer.score
            if answer.effort_score is not None:
                scalars["ces_responses"] += 1
                scalars["ces_score_sum"] += answer.effort_score
    return {slice_key: totals.as_dict() for slice_key, totals in rows.items()}
