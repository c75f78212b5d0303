"""Form widgets of the web shell."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class _RenderedInPython:
    """Render a select and its options with format_html instead of one template per option.

    Django builds a dict per option and renders each through its own template; a side panel with a
    hundred agents to pick from spent most of the ticket page's time there. Same markup, same
    escaping (a test compares the two).
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget: Any = self
        final_attrs = widget.build_attrs(widget.attrs, attrs)
        if widget.allow_multiple_selected:
            final_attrs["multiple"] = True
        selected = set(widget.format_value(value))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(final_attrs),
            options_html(widget.choices, selected),
        )


def options_html(choices: Iterable[tuple[Any, Any]], selected: set[str]) -> SafeString:
    """Return <option>s (and <optgroup>s) for (value, label) choices, those in `selected` selected."""
    parts = []
    for option_value, option_label in choices:
        if isinstance(option_label, (list, tuple)):
            parts.append(format_html('<optgroup label="{}">', option_value))
            parts.extend(_option(value_, label, selected) for value_, label in option_label)
            parts.append("</optgroup>")
        else:
            parts.append(_option(option_value, option_label, selected))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html


def _option(value: Any, label: Any, selected: set[str]) -> str:
    text = "" if value is None else str(value)
    if text in selected:
        return format_html('<option value="{}" selected>{}</option>', text, label)
    return format_html('<option value="{}">{}</option>', text, label)


class FastSelect(_RenderedInPython, forms.Select):
    pass


class FastSelectMultiple(_RenderedInPython, forms.SelectMultiple):
    pass
