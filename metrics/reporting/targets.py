"""Targets and warning levels: what colours a figure good, watch or bad. Pure.

The defaults are the reference's tables ("Support Metrics Framework", "SLA Compliance Dashboard",
"Knowledge Base Metrics", "Real-Time Management"); where the reference names a target but no
warning level, the warning here is the product's choice (marked below). Admins edit them as
`MetricTarget` rows; a missing row means the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Tone(StrEnum):
    GOOD = "good"
    WATCH = "watch"
    BAD = "bad"
    NONE = "none"  # no figure (nothing to measure) or no target


TONE_WORDS = {Tone.GOOD: "On target", Tone.WATCH: "Watch", Tone.BAD: "Below warning", Tone.NONE: "No target"}


@dataclass(frozen=True, slots=True)
class TargetRule:
    """Good between good_min and good_max; bad below warn_min or above warn_max; watch between.

    Bounds are inclusive and in the figure's unit (percent 0-100, hours, a score, a count). With
    `compare_to_previous`, a count is good when it fell against the previous window (or is 0),
    watch when equal, bad when it rose: the reference's "trending down".
    """

    key: str
    label: str
    unit: str
    good_min: float | None = None
    good_max: float | None = None
    warn_min: float | None = None
    warn_max: float | None = None
    compare_to_previous: bool = False
    source: str = "reference"
    # Worked out once: tone() runs for every figure of every slice (15,000 in a wide breakdown).
    has_target: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bounds = (self.good_min, self.good_max, self.warn_min, self.warn_max)
        object.__setattr__(
            self, "has_target", self.compare_to_previous or any(bound is not None for bound in bounds)
        )

    def tone(self, value: float | None, *, previous: float | None = None) -> Tone:
        """Return the tone of `value` (in this rule's unit); NONE without a value or a target."""
        if value is None or not self.has_target:
            return Tone.NONE
        if self.compare_to_previous:
            if value == 0 or (previous is not None and value < previous):
                return Tone.GOOD
            if previous is None or value == previous:
                return Tone.WATCH
            return Tone.BAD
        if (self.warn_min is not None and value < self.warn_min) or (
            self.warn_max is not None and value > self.warn_max
        ):
            return Tone.BAD
        if (self.good_min is None or value >= self.good_min) and (
            self.good_max is None or value <= self.good_max
        ):
            return Tone.GOOD
        return Tone.WATCH

    def describe(self) -> str:
        """Return the target in words, e.g. "≥ 90 %, warning < 85 %"."""
        unit = {"percent": " %", "hours": " h", "count": "", "score": ""}.get(self.unit, "")

        def number(value: float) -> str:
            return f"{value:g}{unit}"

        if self.compare_to_previous:
            return "fewer than the previous period"
        parts = []
        if self.good_min is not None and self.good_max is not None:
            parts.append(f"{number(self.good_min)}–{number(self.good_max)}")
        elif self.good_min is not None:
            parts.append(f"≥ {number(self.good_min)}")
        elif self.good_max is not None:
            parts.append(f"≤ {number(self.good_max)}")
        warnings = []
        if self.warn_min is not None:
            warnings.append(f"< {number(self.warn_min)}")
        if self.warn_max is not None:
            warnings.append(f"> {number(self.warn_max)}")
        if warnings:
            parts.append("warning " + " or ".join(warnings))
        return ", ".join(parts) if parts else "no target"


DEFAULT_RULES: tuple[TargetRule, ...] = (
    TargetRule("csat", "CSAT", "percent", good_min=90, warn_min=85),
    TargetRule("frt", "First response time", "hours", good_max=1, warn_max=4),
    TargetRule("ttr", "Time to resolution", "hours", good_max=24, warn_max=72),
    TargetRule("fcr", "First contact resolution", "percent", good_min=70, warn_min=50),
    TargetRule("nps", "NPS", "score", good_min=30, warn_min=10),
    # Reference: "<2 (low effort)" on an effort scale; ours asks ease, 1 very difficult – 7 very
    # easy, so effort 2 is ease 6. The warning level is the product's choice.
    TargetRule("ces", "CES (ease, 1–7)", "score", good_min=6, warn_min=5, source="reference (mirrored); warning: product"),
    TargetRule("reopen_rate", "Reopen rate", "percent", good_max=5, warn_max=10),
    TargetRule("escalation_rate", "Escalation rate", "percent", good_min=10, good_max=20, warn_max=30),
    TargetRule("deflection_rate", "Deflection rate", "percent", good_min=30, warn_min=20),
    TargetRule("article_helpfulness", "Article helpfulness", "percent", good_min=80, warn_min=60),
    TargetRule("response_sla", "Response SLA", "percent", good_min=95, warn_min=90, source="reference; warning: product"),
    TargetRule("resolution_sla", "Resolution SLA", "percent", good_min=90, warn_min=80, source="reference; warning: product"),
    TargetRule("response_of_target", "Response time as % of SLA", "percent", good_max=50, warn_max=80, source="reference; warning: product (the 80 % alert level)"),
    TargetRule("resolution_of_target", "Resolution time as % of SLA", "percent", good_max=75, warn_max=100, source="reference; warning: product (the breach level)"),
    TargetRule("breaches", "Breaches", "count", compare_to_previous=True),
    TargetRule("severe_breaches", "Severe breaches", "count", good_max=0, warn_max=0),
    TargetRule("queue_depth", "Queue depth (open, unassigned)", "count", good_max=9, warn_max=25),
    TargetRule("backlog", "Backlog (open > 24 h)", "count", source="reference gives no number"),
    TargetRule("tickets_per_agent_day", "Tickets per agent per day", "count", source="reference gives no number"),
    TargetRule("breached_now", "Breached now", "count", good_max=0, warn_max=0, source="product: any open breach is a miss"),
    TargetRule("at_risk", "At risk now", "count", good_max=0, source="product: watch any ticket at risk"),
)  # fmt: skip
DEFAULTS: dict[str, TargetRule] = {rule.key: rule for rule in DEFAULT_RULES}
