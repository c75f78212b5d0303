"""The condition format and the matcher: pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.automation import conditions
from tickets.automation.conditions import Condition, Group, RuleFormatError
from tickets.automation.snapshot import TicketSnapshot

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def snap(
    now: datetime = NOW, instants: dict[str, datetime | None] | None = None, **values: Any
) -> TicketSnapshot:
    return TicketSnapshot(ticket_id=1, now=now, values=values, instants=instants or {})


def rule(*items: dict[str, Any], any_: list[dict[str, Any]] | None = None) -> Group:
    return conditions.parse({"all": list(items), "any": any_ or []})


KEYWORDS = {
    "field": "ticket.subject",
    "operator": "contains_any",
    "value": ["password", "login", "can't access"],
}


@pytest.mark.parametrize(
    ("_case", "subject", "expected"),
    [
        ("phrase", "Can't access my account", True),
        ("upper case and typographic apostrophe", "CAN’T ACCESS anything", True),
        ("phrase across extra spaces", "can't   access", True),
        ("word with punctuation", "login, again!", True),
        ("word at the end", "Forgot my password", True),
        ("longer word is not the keyword", "Logins report", False),
        ("keyword inside a word", "passwordless sign-in", False),
        ("nothing related", "Invoice question", False),
    ],
)
def test_keywords_match_whole_words_case_insensitively(_case: str, subject: str, expected: bool) -> None:
    assert conditions.matches(rule(KEYWORDS), snap(**{"ticket.subject": subject})) is expected


def test_contains_none_is_the_negation_of_contains_any() -> None:
    none = {**KEYWORDS, "operator": "contains_none"}
    assert conditions.matches(rule(none), snap(**{"ticket.subject": "Invoice"})) is True
    assert conditions.matches(rule(none), snap(**{"ticket.subject": "login broken"})) is False


def test_all_and_any_groups_combine() -> None:
    group = rule(
        {"field": "ticket.status", "operator": "is", "value": "new"},
        any_=[
            {"field": "ticket.priority", "operator": "in", "value": ["p1", "p2"]},
            {"field": "organization.is_vip", "operator": "is", "value": True},
        ],
    )
    assert conditions.matches(group, snap(**{"ticket.status": "new", "ticket.priority": "p2"})) is True
    assert conditions.matches(group, snap(**{"ticket.status": "new", "organization.is_vip": True})) is True
    assert conditions.matches(group, snap(**{"ticket.status": "new", "ticket.priority": "p4"})) is False
    assert conditions.matches(group, snap(**{"ticket.status": "open", "ticket.priority": "p1"})) is False


def test_empty_conditions_match_everything() -> None:
    assert conditions.matches(conditions.parse({}), snap()) is True


def test_hours_since_are_computed_from_now() -> None:
    group = rule({"field": "hours_since_created", "operator": "gt", "value": 2})
    created = NOW - timedelta(hours=2)

    assert conditions.matches(group, snap(instants={"created": created})) is False
    assert (
        conditions.matches(group, snap(now=NOW + timedelta(minutes=1), instants={"created": created})) is True
    )


def test_hours_since_an_unset_instant_never_matches() -> None:
    group = rule({"field": "hours_since_pending", "operator": "gte", "value": 0})

    assert conditions.matches(group, snap(instants={"pending": None})) is False


def test_a_top_category_matches_its_children() -> None:
    group = rule({"field": "ticket.category", "operator": "is", "value": 3})

    assert conditions.matches(group, snap(**{"ticket.category": (7, 3)})) is True
    assert conditions.matches(group, snap(**{"ticket.category": (3,)})) is True
    assert conditions.matches(group, snap(**{"ticket.category": (8, 4)})) is False


def test_is_null_asks_for_an_empty_field() -> None:
    unassigned = rule({"field": "ticket.assignee", "operator": "is", "value": None})

    assert conditions.matches(unassigned, snap(**{"ticket.assignee": None})) is True
    assert conditions.matches(unassigned, snap(**{"ticket.assignee": 5})) is False


def test_tags_contain_any_all_none() -> None:
    tags = snap(**{"ticket.tags": ("vip", "billing")})

    assert conditions.matches(
        rule({"field": "ticket.tags", "operator": "contains_any", "value": ["VIP"]}), tags
    )
    assert not conditions.matches(
        rule({"field": "ticket.tags", "operator": "contains_all", "value": ["vip", "x"]}), tags
    )
    assert conditions.matches(
        rule({"field": "ticket.tags", "operator": "contains_none", "value": ["no-survey"]}), tags
    )


@pytest.mark.parametrize(
    ("_case", "raw", "path"),
    [
        ("unknown field", {"all": [{"field": "ticket.mood", "operator": "is", "value": 1}]}, "all[0].field"),
        (
            "operator of another kind",
            {"all": [{"field": "ticket.status", "operator": "gt", "value": 1}]},
            "all[0].operator",
        ),
        (
            "unknown choice",
            {"all": [{"field": "ticket.status", "operator": "is", "value": "open"}]},
            "all[0].value",
        ),
        (
            "no keywords",
            {"all": [{"field": "ticket.subject", "operator": "contains_any", "value": []}]},
            "all[0].value",
        ),
        (
            "number as text",
            {"any": [{"field": "hours_since_created", "operator": "gt", "value": "2"}]},
            "any[0].value",
        ),
        ("id as text", {"all": [{"field": "ticket.team", "operator": "is", "value": "4"}]}, "all[0].value"),
        (
            "infinite number (the JSON column refuses it)",
            {"all": [{"field": "hours_since_created", "operator": "gt", "value": float("inf")}]},
            "all[0].value",
        ),
        (
            "not a number",
            {"all": [{"field": "sla.percent_elapsed", "operator": "gte", "value": float("nan")}]},
            "all[0].value",
        ),
        ("missing value", {"all": [{"field": "ticket.team", "operator": "is"}]}, "all[0].value"),
        ("stray key", {"all": [], "none": []}, "conditions"),
    ],
)
def test_invalid_conditions_name_the_place(_case: str, raw: dict[str, Any], path: str) -> None:
    with pytest.raises(RuleFormatError) as error:
        conditions.parse(raw)

    assert path in error.value.errors


def test_every_problem_is_reported_at_once() -> None:
    raw = {
        "all": [
            {"field": "ticket.mood", "operator": "is", "value": 1},
            {"field": "ticket.status", "operator": "is", "value": "open"},
        ]
    }
    with pytest.raises(RuleFormatError) as error:
        conditions.parse(raw)

    assert sorted(error.value.errors) == ["all[0].field", "all[1].value"]


def test_parse_then_to_json_round_trips() -> None:
    raw = {"all": [KEYWORDS, {"any": [{"field": "ticket.priority", "operator": "in", "value": ["p1"]}]}]}

    assert conditions.parse(conditions.to_json(conditions.parse(raw))) == conditions.parse(raw)


def test_required_time_conditions_are_the_top_level_lower_bounds() -> None:
    group = conditions.parse(
        {
            "all": [
                {"field": "hours_since_updated", "operator": "gt", "value": 24},
                {"field": "hours_since_created", "operator": "lt", "value": 100},
            ],
            "any": [{"field": "sla.percent_elapsed", "operator": "gte", "value": 75}],
        }
    )

    assert conditions.required_time_conditions(group) == (Condition("hours_since_updated", "gt", 24.0),)


# --- properties --------------------------------------------------------------------------------------

words = st.text(alphabet="abcdefghij", min_size=1, max_size=8)
separators = st.sampled_from([" ", ", ", ". ", "\n", "! ", " (", ") "])


@given(before=st.lists(words, max_size=4), keyword=words, after=st.lists(words, max_size=4), sep=separators)
def test_a_keyword_between_separators_is_always_found(
    before: list[str], keyword: str, after: list[str], sep: str
) -> None:
    text = sep.join([*before, keyword.upper(), *after])

    assert conditions.text_contains(text, keyword)


@given(prefix=words, keyword=words, suffix=words)
def test_a_keyword_glued_inside_a_longer_word_is_not_found(prefix: str, keyword: str, suffix: str) -> None:
    # One run of letters is one word: the keyword could only match it whole, and it is shorter.
    assert conditions.text_contains(f"{prefix}{keyword}{suffix}", keyword) is False


statuses = st.sampled_from(["new", "triaged", "pending", "resolved"])
priorities = st.sampled_from(["p1", "p2", "p3", "p4", "p5"])
leaf = st.one_of(
    st.builds(lambda v: {"field": "ticket.status", "operator": "is", "value": v}, statuses),
    st.builds(lambda v: {"field": "ticket.priority", "operator": "is_not", "value": v}, priorities),
    st.builds(
        lambda v: {"field": "ticket.priority", "operator": "in", "value": v}, st.lists(priorities, min_size=1)
    ),
)


def _reference(node: dict[str, Any], values: dict[str, Any]) -> bool:
    """A straightforward re-implementation of the group semantics for CHOICE fields."""
    if "field" in node:
        actual = values[node["field"]]
        return {
            "is": lambda: actual == node["value"],
            "is_not": lambda: actual != node["value"],
            "in": lambda: actual in node["value"],
        }[node["operator"]]()
    return all(_reference(n, values) for n in node.get("all", [])) and (
        not node.get("any") or any(_reference(n, values) for n in node["any"])
    )


groups = st.recursive(
    leaf,
    lambda children: st.fixed_dictionaries(
        {"all": st.lists(children, max_size=3), "any": st.lists(children, max_size=3)}
    ),
    max_leaves=8,
)


@given(tree=groups, status=statuses, priority=priorities)
def test_the_matcher_agrees_with_a_reference_evaluation(
    tree: dict[str, Any], status: str, priority: str
) -> None:
    root = tree if "field" not in tree else {"all": [tree]}
    try:
        group = conditions.parse(root)
    except RuleFormatError:
        return  # nested deeper than MAX_DEPTH: refused, which is its own test
    values = {"ticket.status": status, "ticket.priority": priority}

    assert conditions.matches(group, snap(**values)) is _reference(root, values)


@given(tree=groups, status=statuses, priority=priorities)
def test_a_single_member_any_group_is_the_same_as_all(
    tree: dict[str, Any], status: str, priority: str
) -> None:
    root = tree if "field" not in tree else {"all": [tree]}
    try:
        as_all = conditions.parse({"all": [root]})
        as_any = conditions.parse({"any": [root]})
    except RuleFormatError:
        return
    state = snap(**{"ticket.status": status, "ticket.priority": priority})

    assert conditions.matches(as_all, state) is conditions.matches(as_any, state)
