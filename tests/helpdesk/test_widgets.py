"""The fast select widgets render exactly what Django's own would."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html

from helpdesk.widgets import FastSelect, FastSelectMultiple

CHOICES = [("", "None"), ("a", 'A & <b>"quoted"</b>'), ("b", "B"), ("Group", [("c", "C"), ("d", "D")])]


@pytest.mark.parametrize(
    ("django_widget", "fast_widget", "value"),
    [
        (forms.Select, FastSelect, "b"),
        (forms.Select, FastSelect, None),
        (forms.SelectMultiple, FastSelectMultiple, ["a", "c"]),
    ],
)
def test_fast_select_renders_the_same_html_as_django(
    django_widget: Any, fast_widget: Any, value: Any
) -> None:
    # given the same choices, attributes and value
    attrs = {"id": "id_pick", "aria-describedby": "id_pick_helptext", "size": 4}
    slow, fast = django_widget(attrs=attrs), fast_widget(attrs=attrs)
    slow.choices = fast.choices = CHOICES

    # when / then: the same elements, attributes, escaping and selection
    assert parse_html(fast.render("pick", value)) == parse_html(slow.render("pick", value))
