"""The status workflow table and the customer's narrower rights. Pure: no database."""

from __future__ import annotations

import itertools

import pytest

from tickets import transitions
from tickets.models import OPEN_STATUSES, TicketStatus

S = TicketStatus
ALL_PAIRS = list(itertools.product(S.values, S.values))


def test_every_status_has_a_row_in_the_table() -> None:
    # given / when
    rows = set(transitions.ALLOWED_TRANSITIONS)

    # then
    assert rows == set(S.values)


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_is_allowed_answers_from_the_table_for_every_pair(current: str, target: str) -> None:
    # given
    expected = target in transitions.ALLOWED_TRANSITIONS[current]

    # when
    result = transitions.is_allowed(current, target)

    # then
    assert result is expected


@pytest.mark.parametrize("status", S.values)
def test_no_status_may_move_to_itself(status: str) -> None:
    assert transitions.is_allowed(status, status) is False


def test_the_table_matches_the_reference_lifecycle() -> None:
    # given
    expected = {
        "new": [
            "triaged",
            "assigned",
            "in_progress",
            "pending",
            "on_hold",
            "escalated",
            "resolved",
            "closed",
        ],
        "triaged": ["assigned", "in_progress", "pending", "on_hold", "escalated", "resolved", "closed"],
        "assigned": ["triaged", "in_progress", "pending", "on_hold", "escalated", "resolved", "closed"],
        "in_progress": ["assigned", "pending", "on_hold", "escalated", "engineering", "resolved"],
        "pending": ["assigned", "in_progress", "on_hold", "escalated", "resolved", "closed"],
        "on_hold": ["assigned", "in_progress", "pending", "escalated", "engineering", "resolved"],
        "escalated": ["triaged", "assigned", "in_progress", "pending", "on_hold", "engineering", "resolved"],
        "engineering": ["in_progress", "pending", "on_hold", "escalated", "resolved"],
        "resolved": ["triaged", "assigned", "in_progress", "closed"],
        "closed": [],
    }

    # when
    result = {status: transitions.allowed_targets(status) for status in S.values}

    # then
    assert result == expected


def test_closed_is_terminal() -> None:
    # given / when
    targets = [target for target in S.values if transitions.is_allowed(S.CLOSED, target)]

    # then
    assert targets == []
    assert transitions.allowed_targets(S.CLOSED) == []


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_any_open_ticket_may_be_resolved(status: str) -> None:
    assert transitions.is_allowed(status, S.RESOLVED) is True


def test_allowed_targets_of_an_unknown_status_is_empty() -> None:
    assert transitions.allowed_targets("bogus") == []
    assert transitions.is_allowed("bogus", S.NEW) is False


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_is_reopen_only_for_resolved_back_into_an_open_status(current: str, target: str) -> None:
    # given
    expected = current == S.RESOLVED and target in OPEN_STATUSES

    # when / then
    assert transitions.is_reopen(current, target) is expected


@pytest.mark.parametrize(
    ("_case", "has_assignee", "expected"),
    [
        ("assigned ticket goes back to work", True, S.IN_PROGRESS),
        ("unassigned ticket goes back to triage", False, S.TRIAGED),
    ],
)
def test_reopen_target(_case: str, has_assignee: bool, expected: str) -> None:
    assert transitions.reopen_target(has_assignee=has_assignee) == expected


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_customer_may_only_close_or_reopen(current: str, target: str) -> None:
    # given
    closing = target == S.CLOSED and current != S.CLOSED
    reopening = current == S.RESOLVED and target in OPEN_STATUSES
    expected = closing or reopening

    # when
    result = transitions.customer_may_move(current, target)

    # then
    assert result is expected


@pytest.mark.parametrize(
    ("_case", "current", "target", "expected"),
    [
        ("close an open ticket", S.IN_PROGRESS, S.CLOSED, True),
        ("close a resolved ticket", S.RESOLVED, S.CLOSED, True),
        ("reopen a resolved ticket", S.RESOLVED, S.IN_PROGRESS, True),
        ("set pending", S.IN_PROGRESS, S.PENDING, False),
        ("resolve", S.IN_PROGRESS, S.RESOLVED, False),
        ("escalate", S.NEW, S.ESCALATED, False),
        ("reopen a closed ticket", S.CLOSED, S.IN_PROGRESS, False),
        ("close a closed ticket", S.CLOSED, S.CLOSED, False),
    ],
)
def test_customer_may_move_examples(_case: str, current: str, target: str, expected: bool) -> None:
    assert transitions.customer_may_move(current, target) is expected
