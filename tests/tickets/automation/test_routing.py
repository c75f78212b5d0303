"""Routing strategies over plain candidates. Pure, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tickets.routing import Candidate, RouteRequest, route


def agent(pk: int, open_: int = 0, **fields: object) -> Candidate:
    return Candidate(user_id=pk, open_tickets=open_, max_open_tickets=fields.pop("max_", 10), **fields)  # type: ignore[arg-type]


def test_round_robin_takes_the_next_after_the_last_assigned_and_wraps() -> None:
    team = [agent(1), agent(2), agent(3)]

    assert route(RouteRequest("round_robin", last_assigned=None), team).user_id == 1
    assert route(RouteRequest("round_robin", last_assigned=1), team).user_id == 2
    assert route(RouteRequest("round_robin", last_assigned=3), team).user_id == 1


def test_round_robin_skips_away_off_shift_and_full_agents() -> None:
    team = [agent(1), agent(2, is_available=False), agent(3, is_on_shift=False), agent(4, 10), agent(5)]

    decision = route(RouteRequest("round_robin", last_assigned=1), team)

    assert decision.user_id == 5
    assert decision.skipped == {2: "away", 3: "outside working hours", 4: "at capacity (10/10)"}


def test_load_balanced_picks_the_fewest_open() -> None:
    assert route(RouteRequest("load_balanced"), [agent(1, 4), agent(2, 2), agent(3, 3)]).user_id == 2


def test_ramp_share_scales_the_maximum_load() -> None:
    new_hire = agent(1, 5, max_=20, ramp_share=Decimal("0.25"))  # capacity 5: full
    veteran = agent(2, 9, max_=20)

    decision = route(RouteRequest("load_balanced"), [new_hire, veteran])

    assert new_hire.capacity == 5
    assert decision.user_id == 2
    assert decision.skipped == {1: "at capacity (5/5)"}


def test_equal_loads_go_to_the_one_with_more_room() -> None:
    ramping = agent(1, 2, max_=20, ramp_share=Decimal("0.5"))
    veteran = agent(2, 2, max_=20)

    assert route(RouteRequest("load_balanced"), [ramping, veteran]).user_id == 2


def test_nobody_eligible_leaves_the_ticket_unassigned() -> None:
    decision = route(RouteRequest("load_balanced"), [agent(1, is_available=False)])

    assert decision.user_id is None
    assert decision.reason == "no agent available"


@pytest.mark.parametrize(
    ("_case", "tier", "expected"),
    [
        ("the ticket's own tier first", "l2", 3),
        ("a higher tier when none at the ticket's", "l1", 2),
        ("never a lower tier", "l3", None),
    ],
)
def test_skill_based_matches_skill_then_tier(_case: str, tier: str, expected: int | None) -> None:
    team = [
        agent(1, support_tier="l1", skill_ids=frozenset({9})),  # wrong skill
        agent(2, 0, support_tier="l2", skill_ids=frozenset({7})),
        agent(3, 1, support_tier="l2", skill_ids=frozenset({7})),
    ]
    if tier == "l2":
        team[1] = agent(2, 5, support_tier="l2", skill_ids=frozenset({7}))

    assert route(RouteRequest("skill_based", ticket_tier=tier, required_skill=7), team).user_id == expected


def test_skill_based_without_a_mapped_skill_balances_load() -> None:
    decision = route(RouteRequest("skill_based", required_skill=None), [agent(1, 3), agent(2, 1)])

    assert decision.user_id == 2


def test_sticky_goes_to_the_owner_when_they_can_take_it() -> None:
    owner = agent(9, 1)

    assert route(RouteRequest("sticky_owner", owner=owner), [agent(1), agent(2)]).user_id == 9


def test_sticky_falls_back_to_the_least_loaded_member_when_the_owner_is_away() -> None:
    owner = agent(9, is_available=False)

    decision = route(RouteRequest("sticky_owner", owner=owner), [agent(1, 3), agent(2, 1)])

    assert decision.user_id == 2
    assert decision.reason.startswith("owner away")


def test_manual_assigns_nobody() -> None:
    assert route(RouteRequest("manual"), [agent(1)]).user_id is None


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="swarming"):
        route(RouteRequest("swarming"), [agent(1)])
