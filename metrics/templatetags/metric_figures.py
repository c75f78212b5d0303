"""Formatting metric figures for pages (format only: no queries, no rules; STYLE.md C15)."""

from __future__ import annotations

from django import template

from metrics.reporting.formulas import Figure

register = template.Library()


def duration(seconds: float) -> str:
    """Return a duration in words: 45 s, 12 min, 2 h 05 min, 3 d 4 h."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = round(whole / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


@register.filter
def figure_value(figure: Figure | None) -> str:
    """Return a figure's value for reading: "96.0 %", "2 h 05 min", "12", or "—" without one."""
    if figure is None or figure.value is None:
        return "—"
    value = figure.value
    if figure.unit == "percent":
        return f"{value:.1f} %"
    if figure.unit == "seconds":
        return duration(value)
    if figure.unit == "count":
        return f"{value:,.0f}"
    if figure.unit == "score":
        return f"{value:.1f}"
    return f"{value:.1f}"
