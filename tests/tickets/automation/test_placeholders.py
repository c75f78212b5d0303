"""{{ placeholders }}: only the listed names, nothing else reachable. Pure."""

from __future__ import annotations

from tickets.automation.placeholders import render, unknown_placeholders


def test_known_placeholders_are_filled_with_or_without_spaces() -> None:
    text = "Hi {{requester.first_name}}, ticket #{{ ticket.id }} is with {{ agent.first_name }}."

    assert render(text, {"requester.first_name": "Casey", "ticket.id": "42", "agent.first_name": "Alex"}) == (
        "Hi Casey, ticket #42 is with Alex."
    )


def test_unknown_or_missing_values_become_empty() -> None:
    assert render("[{{ ticket.secret }}][{{ team.name }}]", {}) == "[][]"


def test_template_syntax_is_not_interpreted() -> None:
    text = "{% load x %}{{ ticket.requester.password }}{{ ticket.id|upper }}"

    assert unknown_placeholders(text) == ["ticket.requester.password"]
    assert render(text, {"ticket.id": "7"}) == "{% load x %}{{ ticket.id|upper }}"
