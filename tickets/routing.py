"""Who gets a ticket: the routing strategies, over plain data about the candidates. Pure.

tickets.services.routing loads the candidates (a team's members; for sticky routing also the
organization's owner), locks the team's routing row and calls `route`. Every strategy only
picks among *eligible* agents: available (not away), on shift (their working hours are open
now) and under their effective maximum load, `max_open_tickets × ramp_share` (a new hire at
0.5 takes half the normal load). When nobody is eligible the ticket stays unassigned in the
team's queue and the decision says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

TIER_ORDER = ("l1", "l2", "l3")


class Strategy(StrEnum):
    MANUAL = "manual"
    ROUND_ROBIN = "round_robin"
    LOAD_BALANCED = "load_balanced"
    SKILL_BASED = "skill_based"
    STICKY_OWNER = "sticky_owner"


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: int
    open_tickets: int
    max_open_tickets: int
    ramp_share: Decimal = Decimal("1")
    is_available: bool = True
    is_on_shift: bool = True
    support_tier: str = ""
    skill_ids: frozenset[int] = frozenset()

    @property
    def capacity(self) -> int:
        """Open tickets this agent may hold: the maximum scaled by the ramp share (at least 1)."""
        if self.max_open_tickets <= 0:
            return 0
        return max(1, math.floor(Decimal(self.max_open_tickets) * Decimal(self.ramp_share)))

    def refusal(self) -> str:
        """Return why this agent cannot take a ticket now, or "" when they can."""
        if not self.is_available:
            return "away"
        if not self.is_on_shift:
            return "outside working hours"
        if self.open_tickets >= self.capacity:
            return f"at capacity ({self.open_tickets}/{self.capacity})"
        return ""


@dataclass(frozen=True, slots=True)
class RouteRequest:
    strategy: str
    ticket_tier: str = "l1"
    required_skill: int | None = None  # skill-based: the category's skill, None when it has none
    owner: Candidate | None = None  # sticky: the organization's account owner
    last_assigned: int | None = None  # round-robin: who got the team's previous ticket


@dataclass(frozen=True, slots=True)
class Decision:
    user_id: int | None
    strategy: str
    reason: str
    skipped: Mapping[int, str] = field(default_factory=dict)  # agent id → why not eligible


def _tier_rank(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else 0


def _least_loaded(candidates: Sequence[Candidate]) -> Candidate:
    # Fewest open tickets first; equal counts go to the one with the most room relative to their
    # capacity (a veteran before a ramping new hire), then to the lower id (stable).
    return min(candidates, key=lambda c: (c.open_tickets, c.open_tickets / c.capacity, c.user_id))


def _load_balanced(
    strategy: str, eligible: Sequence[Candidate], skipped: Mapping[int, str], why: str = ""
) -> Decision:
    if not eligible:
        return Decision(None, strategy, "no agent available" + (f" ({why})" if why else ""), skipped)
    chosen = _least_loaded(eligible)
    reason = f"fewest open tickets ({chosen.open_tickets} of {chosen.capacity})"
    return Decision(chosen.user_id, strategy, f"{why}; {reason}" if why else reason, skipped)


def route(request: RouteRequest, candidates: Sequence[Candidate]) -> Decision:
    """Return who should get the ticket under `request.strategy`, and why.

    Raises ValueError for an unknown strategy.
    """
    strategy = Strategy(request.strategy)
    if strategy is Strategy.MANUAL:
        return Decision(None, strategy, "manual routing")
    unique = {candidate.user_id: candidate for candidate in candidates}
    ordered = [unique[pk] for pk in sorted(unique)]
    skipped = {c.user_id: c.refusal() for c in ordered if c.refusal()}
    eligible = [c for c in ordered if c.user_id not in skipped]

    if strategy is Strategy.ROUND_ROBIN:
        if not eligible:
            return Decision(None, strategy, "no agent available", skipped)
        last = request.last_assigned
        after = [c for c in eligible if last is not None and c.user_id > last]
        chosen = (after or eligible)[0]
        return Decision(chosen.user_id, strategy, "next in rotation", skipped)

    if strategy is Strategy.LOAD_BALANCED:
        return _load_balanced(strategy, eligible, skipped)

    if strategy is Strategy.SKILL_BASED:
        if request.required_skill is None:
            return _load_balanced(strategy, eligible, skipped, "the category needs no particular skill")
        skilled = [c for c in eligible if request.required_skill in c.skill_ids]
        if not skilled:
            return Decision(None, strategy, "no agent with the skill is available", skipped)
        wanted = _tier_rank(request.ticket_tier)
        # The ticket's own tier first; failing that the nearest tier above it, never below.
        for rank in range(wanted, len(TIER_ORDER)):
            at_tier = [c for c in skilled if _tier_rank(c.support_tier) == rank]
            if at_tier:
                chosen = _least_loaded(at_tier)
                reason = f"has the skill at {TIER_ORDER[rank].upper()}; {chosen.open_tickets} open"
                return Decision(chosen.user_id, strategy, reason, skipped)
        return Decision(None, strategy, "no agent with the skill at this tier or above", skipped)

    # Sticky: the account owner when they can take it, else the team's least loaded agent.
    owner = request.owner
    if owner is not None:
        refusal = owner.refusal()
        if not refusal:
            return Decision(owner.user_id, strategy, "the organization's owner", skipped)
        return _load_balanced(strategy, eligible, skipped, f"owner {refusal}")
    return _load_balanced(strategy, eligible, skipped, "the organization has no owner")
