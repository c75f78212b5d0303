"""Small bar charts as inline SVG, drawn on the server: no JavaScript, no third-party assets.

Bars take the tone class of their value (dashboard.css colours them), a dashed line marks the
target, and every bar has a <title> so hovering (or a screen reader) gives its exact value. The
dashboard also shows the same figures as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 24


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # x-axis label (a day or a week)
    value: float | None  # None: nothing to measure
    tone: str  # good, watch, bad, none
    text: str  # the value in words, for the tooltip


def bar_chart(
    bars: Sequence[Bar], *, title: str, maximum: float, target: float | None = None, unit: str = ""
) -> SafeString:
    """Return an SVG bar chart of `bars` scaled to `maximum` (at least the largest value)."""
    top = max([maximum, *(bar.value for bar in bars if bar.value is not None)]) or 1.0
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(bars), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="chart__axis" x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_height}"/>',
        f'<text class="chart__tick" x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{top:g}{escape(unit)}</text>',
        f'<text class="chart__tick" x="{LEFT - 4}" y="{TOP + plot_height}" text-anchor="end">0</text>',
    ]
    every = max(1, len(bars) // 8)
    for index, bar in enumerate(bars):
        x = LEFT + index * step + step * 0.15
        width = step * 0.7
        if bar.value is None:
            height, css = 2.0, "chart__bar chart__bar--empty"
        else:
            height, css = max(1.0, plot_height * bar.value / top), f"chart__bar chart__bar--{bar.tone}"
        y = TOP + plot_height - height
        parts.append(
            f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}">'
            f"<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>"
        )
        if index % every == 0 or index == len(bars) - 1:
            parts.append(
                f'<text class="chart__tick" x="{x + width / 2:.1f}" y="{HEIGHT - 6}" '
                f'text-anchor="middle">{escape(bar.label)}</text>'
            )
    if target is not None and target <= top:
        y = TOP + plot_height - plot_height * target / top
        parts.append(
            f'<line class="chart__target" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="chart__tick chart__tick--target" x="{WIDTH - RIGHT}" y="{y - 3:.1f}" '
            f'text-anchor="end">target {target:g}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
