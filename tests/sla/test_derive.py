"""The clock rules: which clocks a ticket's history implies (sla/derive.py, pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sla.clock import ClockEvent, ClockEventKind
from sla.derive import ClockRules, Metric, TicketFact, derive_clocks

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = ClockRules(pause_statuses=frozenset({"pending", "on_hold"}))
K = ClockEventKind


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def created(minute: int = 0, status: str = "new", priority: str = "p3") -> TicketFact:
    return TicketFact("created", at(minute), {"status": status, "priority": priority})


def message(minute: int, author: str, *, visibility: str = "public", automatic: bool = False) -> TicketFact:
    data: dict[str, Any] = {"visibility": visibility, "author_kind": author, "is_automatic": automatic}
    return TicketFact("message_added", at(minute), data)


def status(minute: int, old: str, new: str, reason: str = "") -> TicketFact:
    data = {"from": old, "to": new, **({"reason": reason} if reason else {})}
    return TicketFact("status_changed", at(minute), data)


def priority(minute: int, old: str, new: str) -> TicketFact:
    return TicketFact("field_changed", at(minute), {"field": "priority", "from": old, "to": new})


def by_key(
    facts: list[TicketFact], rules: ClockRules = RULES
) -> dict[tuple[str, int], tuple[ClockEvent, ...]]:
    return {(str(c.metric), c.period): c.events for c in derive_clocks(facts, rules)}


def test_creation_starts_first_response_and_resolution() -> None:
    # when
    clocks = by_key([created()])

    # then
    assert clocks == {
        ("first_response", 1): (ClockEvent(K.STARTED, at(0)),),
        ("resolution", 1): (ClockEvent(K.STARTED, at(0)),),
    }


def test_first_public_agent_reply_fulfils_first_response_and_starts_updates() -> None:
    # when
    clocks = by_key([created(), message(10, "agent", visibility="internal"), message(30, "agent")])

    # then
    assert clocks[("first_response", 1)] == (ClockEvent(K.STARTED, at(0)), ClockEvent(K.FULFILLED, at(30)))
    assert clocks[("periodic_update", 1)] == (ClockEvent(K.STARTED, at(30)),)
    assert clocks[("resolution", 1)] == (ClockEvent(K.STARTED, at(0)),)


@pytest.mark.parametrize(
    ("_case", "counts", "fulfilled"),
    [
        ("an automatic acknowledgement does not count by default", False, False),
        ("the policy can let it count", True, True),
    ],
)
def test_automatic_acknowledgement_counts_only_when_the_policy_says(
    _case: str, counts: bool, fulfilled: bool
) -> None:
    # given
    rules = ClockRules(RULES.pause_statuses, automatic_reply_counts=counts)

    # when
    clocks = by_key([created(), message(1, "agent", automatic=True)], rules)

    # then
    assert (len(clocks[("first_response", 1)]) == 2) is fulfilled


def test_pending_pauses_resolution_with_its_reason_and_a_customer_reply_resumes() -> None:
    # when
    clocks = by_key(
        [
            created(),
            message(20, "agent"),
            status(21, "new", "pending"),
            message(80, "customer"),
            status(80, "pending", "in_progress", "customer_replied"),
        ]
    )

    # then
    assert clocks[("resolution", 1)] == (
        ClockEvent(K.STARTED, at(0)),
        ClockEvent(K.PAUSED, at(21), "pending"),
        ClockEvent(K.RESUMED, at(80)),
    )
    assert clocks[("next_reply", 1)] == (ClockEvent(K.STARTED, at(80)),)
    # first response is never paused: it measures the team's first answer
    assert clocks[("first_response", 1)] == (ClockEvent(K.STARTED, at(0)), ClockEvent(K.FULFILLED, at(20)))


def test_moving_from_pending_to_on_hold_keeps_paused_with_the_new_reason() -> None:
    # when
    clocks = by_key([created(), status(5, "new", "pending"), status(9, "pending", "on_hold")])

    # then
    assert clocks[("resolution", 1)] == (
        ClockEvent(K.STARTED, at(0)),
        ClockEvent(K.PAUSED, at(5), "pending"),
        ClockEvent(K.PAUSED, at(9), "on_hold"),
    )


def test_pause_statuses_come_from_the_policy() -> None:
    # given: a policy that pauses for engineering too, not for on hold
    rules = ClockRules(frozenset({"pending", "engineering"}))

    # when
    clocks = by_key([created(), status(5, "new", "on_hold"), status(9, "on_hold", "engineering")], rules)

    # then
    assert clocks[("resolution", 1)] == (
        ClockEvent(K.STARTED, at(0)),
        ClockEvent(K.PAUSED, at(9), "engineering"),
    )


def test_resolving_fulfils_resolution_and_stops_the_rest() -> None:
    # when
    clocks = by_key([created(), message(5, "agent"), message(6, "customer"), status(60, "new", "resolved")])

    # then
    assert clocks[("resolution", 1)][-1] == ClockEvent(K.FULFILLED, at(60))
    assert clocks[("next_reply", 1)][-1] == ClockEvent(K.STOPPED, at(60), "resolved")
    assert clocks[("periodic_update", 1)][-1] == ClockEvent(K.STOPPED, at(60), "resolved")


def test_reopening_starts_a_new_resolution_period_and_keeps_first_response_answered() -> None:
    # when
    clocks = by_key(
        [
            created(),
            message(5, "agent"),
            status(60, "new", "resolved"),
            message(90, "customer"),
            status(90, "resolved", "in_progress", "customer_replied"),
        ]
    )

    # then
    assert clocks[("resolution", 2)] == (ClockEvent(K.STARTED, at(90)),)
    assert clocks[("next_reply", 1)] == (ClockEvent(K.STARTED, at(90)),)
    assert ("first_response", 2) not in clocks


def test_a_merged_duplicate_stops_every_clock() -> None:
    # when
    clocks = by_key([created(), message(5, "agent"), status(30, "new", "closed", "merged")])

    # then
    assert clocks[("resolution", 1)][-1] == ClockEvent(K.STOPPED, at(30), "merged")
    assert clocks[("periodic_update", 1)][-1] == ClockEvent(K.STOPPED, at(30), "merged")


def test_priority_change_retargets_running_clocks_but_not_finished_ones() -> None:
    # when
    derived = derive_clocks([created(priority="p3"), message(5, "agent"), priority(50, "p3", "p1")], RULES)

    # then
    priorities = {(str(c.metric), c.period): c.priority for c in derived}
    assert priorities == {
        ("first_response", 1): "p3",
        ("resolution", 1): "p1",
        ("periodic_update", 1): "p1",
    }


def test_customer_messages_start_one_next_reply_clock_until_an_agent_answers() -> None:
    # when
    clocks = by_key(
        [
            created(),
            message(5, "agent"),
            message(10, "customer"),
            message(12, "customer"),
            message(40, "agent"),
        ]
    )

    # then
    assert clocks[("next_reply", 1)] == (ClockEvent(K.STARTED, at(10)), ClockEvent(K.FULFILLED, at(40)))
    assert ("next_reply", 2) not in clocks


def test_each_agent_update_closes_one_update_period_and_opens_the_next() -> None:
    # when
    clocks = by_key([created(), message(5, "agent"), message(65, "agent")])

    # then
    assert clocks[("periodic_update", 1)] == (ClockEvent(K.STARTED, at(5)), ClockEvent(K.FULFILLED, at(65)))
    assert clocks[("periodic_update", 2)] == (ClockEvent(K.STARTED, at(65)),)


def test_update_clock_started_while_waiting_on_the_customer_starts_paused() -> None:
    # when
    clocks = by_key([created(), message(5, "agent"), status(6, "new", "pending"), message(20, "agent")])

    # then
    assert clocks[("periodic_update", 2)] == (
        ClockEvent(K.STARTED, at(20)),
        ClockEvent(K.PAUSED, at(20), "pending"),
    )


def test_notes_and_system_messages_start_or_stop_nothing() -> None:
    # when
    clocks = by_key([created(), message(5, "agent", visibility="internal"), message(6, "system")])

    # then
    assert clocks == by_key([created()])


def test_every_derived_clock_is_a_valid_event_log() -> None:
    # given: a long, messy history
    facts = [
        created(),
        message(1, "agent"),
        status(2, "new", "pending"),
        message(3, "customer"),
        status(3, "pending", "in_progress", "customer_replied"),
        status(4, "in_progress", "on_hold"),
        message(5, "agent"),
        status(6, "on_hold", "escalated"),
        priority(7, "p3", "p2"),
        status(8, "escalated", "resolved"),
        message(9, "customer"),
        status(9, "resolved", "triaged", "customer_replied"),
        status(10, "triaged", "closed"),
    ]

    # when
    derived = derive_clocks(facts, RULES)

    # then: each clock starts once, ends at most once, and its events are in order
    for clock in derived:
        kinds = [event.kind for event in clock.events]
        assert kinds[0] == K.STARTED
        assert kinds.count(K.STARTED) == 1
        assert sum(kind in (K.FULFILLED, K.STOPPED) for kind in kinds) <= 1
        assert [event.at for event in clock.events] == sorted(event.at for event in clock.events)
    assert {c.metric for c in derived} == set(Metric)
