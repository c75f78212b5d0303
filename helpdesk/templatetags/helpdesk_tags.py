"""Template helpers of the web shell: instants in the viewer's time zone, short durations."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

register = template.Library()


def short_duration(value: timedelta) -> str:
    """Return a duration as a queue shows it: '45s', '12m', '3h 05m', '2d 4h' (sign dropped)."""
    seconds = abs(int(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


@register.filter(name="short_duration")
def short_duration_filter(value: timedelta | None) -> str:
    return "" if value is None else short_duration(value)


@register.simple_tag
def instant(value: datetime | None, style: str = "short") -> str:
    """Render an instant in the viewer's time zone, with the exact instant and zone on hover.

    `style` is "short" (today: time only; this year: day and time; else the date) or "full".
    """
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    local = timezone.localtime(value)
    today = timezone.localtime(timezone.now(), local.tzinfo).date()
    if style == "full":
        text = local.strftime("%d %b %Y %H:%M")
    elif local.date() == today:
        text = local.strftime("%H:%M")
    elif local.year == today.year:
        text = local.strftime("%d %b %H:%M")
    else:
        text = local.strftime("%d %b %Y")
    exact = local.strftime("%A %d %B %Y, %H:%M:%S %Z (UTC%z)")
    # The parts are a timestamp and strftime output of fixed formats: nothing to escape.
    return mark_safe(f'<time datetime="{value.isoformat(timespec="seconds")}" title="{exact}">{text}</time>')  # noqa: S308
