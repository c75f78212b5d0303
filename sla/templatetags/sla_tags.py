"""The SLA chip: a clock's time left or overdue, coloured by the warning ladder."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from helpdesk.templatetags.helpdesk_tags import short_duration
from sla.selectors import SlaChip

register = template.Library()


@register.simple_tag
def sla_chip(chip: SlaChip | None) -> SafeString:
    """Render a chip: "2h 05m left", "Overdue 35m" or "Paused", its colour also said in words.

    Built in Python rather than an inclusion template: a queue page renders one per row.
    """
    if chip is None or chip.colour == "none":
        return format_html(
            '<span class="sla-chip sla-chip--none">—<span class="visually-hidden">{}</span></span>',
            "no SLA running",
        )
    if chip.colour == "paused":
        title = f"{chip.metric_label} paused" + (f": {chip.pause_reason}" if chip.pause_reason else "")
        text, spoken = "Paused", f" ({chip.metric_label})"
    else:
        due = timezone.localtime(chip.due_at).strftime("%a %d %b %Y %H:%M %Z") if chip.due_at else "unknown"
        title = f"{chip.metric_label} due {due} ({chip.percent}% of target used)"
        if chip.left is None:
            text = f"{chip.percent}%"
        elif chip.is_overdue:
            text = f"Overdue {short_duration(chip.left)}"
        else:
            text = f"{short_duration(chip.left)} left"
        spoken = f" ({chip.metric_label}, {chip.colour})"
    return format_html(
        '<span class="sla-chip sla-chip--{}" title="{}">{}<span class="visually-hidden">{}</span></span>',
        chip.colour,
        title,
        text,
        spoken,
    )
