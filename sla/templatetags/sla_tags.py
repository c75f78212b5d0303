"""The SLA chip: a clock's time left or overdue, coloured by the warning ladder."""

from __future__ import annotations

from typing import Any

from django import template

from sla.selectors import SlaChip

register = template.Library()


@register.inclusion_tag("sla/_chip.html")
def sla_chip(chip: SlaChip | None) -> dict[str, Any]:
    return {"chip": chip}
