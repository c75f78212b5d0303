"""The action vocabulary: parsing, normalising and wording. Pure, no database."""

from __future__ import annotations

from typing import Any

import pytest

from tickets.automation import actions
from tickets.automation.conditions import RuleFormatError


def test_every_action_type_round_trips() -> None:
    raw = [
        {"type": "set", "field": "priority", "value": "p2"},
        {"type": "set", "field": "team", "value": None},
        {"type": "add_tags", "tags": ["VIP", "vip", "billing"]},
        {"type": "remove_tags", "tags": ["new"]},
        {"type": "route", "team": 4},
        {"type": "assign", "user": None},
        {"type": "escalate", "to_tier": None, "team": None, "summary": "Stuck for {{ ticket.id }}"},
        {"type": "notify", "to": ["assignee", "team_lead"], "message": "Idle"},
        {"type": "add_note", "body": "Approaching SLA breach"},
        {"type": "reply", "canned_response": 3},
        {"type": "reply", "body": "Hi {{ requester.first_name }}"},
        {"type": "suggest_article", "title": "Password Reset Guide", "url": "/help/articles/reset/"},
        {"type": "webhook", "endpoint": 7},
    ]

    parsed = actions.parse(raw)

    assert actions.parse(actions.to_json(parsed)) == parsed
    assert parsed[2] == actions.AddTags(("vip", "billing"))


@pytest.mark.parametrize(
    ("_case", "raw", "key"),
    [
        ("unknown type", {"type": "delete_ticket"}, "actions[0].type"),
        ("unknown field", {"type": "set", "field": "subject", "value": "x"}, "actions[0].field"),
        ("bad choice", {"type": "set", "field": "status", "value": "open"}, "actions[0].value"),
        ("id as text", {"type": "route", "team": "4"}, "actions[0].team"),
        ("bad recipient", {"type": "notify", "to": ["customer"], "message": "x"}, "actions[0].to"),
        ("unknown placeholder", {"type": "add_note", "body": "{{ ticket.secret }}"}, "actions[0].body"),
        (
            "script url",
            {"type": "suggest_article", "title": "x", "url": "javascript:alert(1)"},
            "actions[0].url",
        ),
        ("webhook by raw URL", {"type": "webhook", "url": "https://hooks.example/x"}, "actions[0].url"),
        ("webhook without endpoint", {"type": "webhook"}, "actions[0].endpoint"),
        ("webhook endpoint as text", {"type": "webhook", "endpoint": "3"}, "actions[0].endpoint"),
        ("type not a text", {"type": ["set"]}, "actions[0].type"),
        (
            "malformed article URL",
            {"type": "suggest_article", "title": "x", "url": "http://[::1"},
            "actions[0].url",
        ),
        ("both body and canned", {"type": "reply", "body": "x", "canned_response": 1}, "actions[0].body"),
        ("stray key", {"type": "assign", "user": 1, "force": True}, "actions[0].force"),
    ],
)
def test_invalid_actions_name_the_place(_case: str, raw: dict[str, Any], key: str) -> None:
    with pytest.raises(RuleFormatError) as error:
        actions.parse([raw])

    assert key in error.value.errors


def test_a_rule_needs_an_action_but_a_macro_may_have_none() -> None:
    with pytest.raises(RuleFormatError):
        actions.parse([])
    assert actions.parse([], allow_empty=True) == ()


def test_descriptions_use_names() -> None:
    parsed = actions.parse(
        [
            {"type": "set", "field": "category", "value": 5},
            {"type": "route", "team": 2},
            {"type": "suggest_article", "title": "Password Reset Guide", "url": "/a/"},
            {"type": "webhook", "endpoint": 3},
        ]
    )
    names = {
        ("category", 5): "Authentication",
        ("team", 2): "Authentication team",
        ("webhook", 3): "“CRM sync”",
    }

    assert [actions.describe(action, names) for action in parsed] == [
        "Set category to Authentication",
        "Route to team Authentication team and assign by the team's strategy",
        "Suggest article “Password Reset Guide” (internal note)",
        "Call webhook “CRM sync”",
    ]


def test_references_collect_every_row_named() -> None:
    parsed = actions.parse(
        [
            {"type": "set", "field": "assignee", "value": 9},
            {"type": "route", "team": 2},
            {"type": "escalate", "to_tier": "l3", "team": 3, "summary": ""},
            {"type": "add_tags", "tags": ["vip"]},
            {"type": "reply", "canned_response": 4},
            {"type": "webhook", "endpoint": 6},
        ]
    )

    refs = actions.references(parsed)

    assert (refs.users, refs.teams, refs.tags, refs.canned_responses, refs.webhooks) == (
        frozenset({9}),
        frozenset({2, 3}),
        frozenset({"vip"}),
        frozenset({4}),
        frozenset({6}),
    )
