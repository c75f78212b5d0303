"""Figures from summed rollup measures: each metric's formula, once. Pure.

Every formula here is written out in docs/metrics.md ("Metrics"), with its target. A figure
carries its value, the counts behind it, its target in words and its tone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metrics.reporting import histogram
from metrics.reporting.aggregate import QUANTILES_KEY
from metrics.reporting.targets import DEFAULTS, TargetRule, Tone

Measures = Mapping[str, "int | Sequence[int]"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One metric for one slice and window."""

    name: str
    label: str
    value: float | None  # None: nothing to measure in the window
    unit: str  # seconds, percent, score, count, per_day
    tone: Tone
    target: str  # the target in words ("≤ 1 h, warning > 4 h"), or "no target"
    target_key: str  # the MetricTarget row that colours it ("" for none)
    sample: int  # how many tickets or answers the figure is computed from
    previous: float | None = None  # the same figure in the previous window, when asked for

    @property
    def tone_words(self) -> str:
        from metrics.reporting.targets import TONE_WORDS

        return TONE_WORDS[self.tone]


def _ratio(numerator: int, denominator: int, scale: float = 100.0) -> float | None:
    return scale * numerator / denominator if denominator else None


def _mean(total: int, count: int) -> float | None:
    return total / count if count else None


@dataclass(frozen=True, slots=True)
class _Definition:
    name: str
    label: str
    unit: str
    target_key: str


def _rule_value(unit: str, rule: TargetRule, value: float | None) -> float | None:
    """Convert a figure's value into its rule's unit (durations are ruled in hours)."""
    if value is None:
        return None
    if unit == "seconds" and rule.unit == "hours":
        return value / 3600
    return value


@dataclass(frozen=True, slots=True)
class _Planned:
    """One figure to compute, with its rule resolved and worded once (not once per slice)."""

    definition: _Definition
    rule: TargetRule | None
    words: str


def _plan(names: Sequence[str], rules: Mapping[str, TargetRule]) -> list[_Planned]:
    planned = []
    for name in names:
        definition = _BY_NAME[name]
        rule = rules.get(definition.target_key) if definition.target_key else None
        if rule is not None and not rule.has_target:
            rule = None
        planned.append(_Planned(definition, rule, "no target" if rule is None else rule.describe()))
    return planned


def _figure(planned: _Planned, value: float | None, sample: int, previous: float | None = None) -> Figure:
    definition, rule = planned.definition, planned.rule
    tone = Tone.NONE
    if rule is not None:
        tone = rule.tone(
            _rule_value(definition.unit, rule, value),
            previous=_rule_value(definition.unit, rule, previous),
        )
    return Figure(
        definition.name,
        definition.label,
        value,
        definition.unit,
        tone,
        planned.words,
        definition.target_key,
        sample,
        previous,
    )


Formula = Callable[[Measures], tuple[float | None, int]]


def _count(name: str) -> Formula:
    return lambda m: (float(int(m[name])), int(m[name]))  # type: ignore[arg-type]


def _rate(numerator: str, denominator: str, scale: float = 100.0) -> Formula:
    def formula(m: Measures) -> tuple[float | None, int]:
        total = int(m[denominator])  # type: ignore[arg-type]
        return _ratio(int(m[numerator]), total, scale), total  # type: ignore[arg-type]

    return formula


def _average(total: str, count: str) -> Formula:
    def formula(m: Measures) -> tuple[float | None, int]:
        n = int(m[count])  # type: ignore[arg-type]
        return _mean(int(m[total]), n), n  # type: ignore[arg-type]

    return formula


def _percentile(hist: str, count: str, fraction: float) -> Formula:
    def formula(m: Measures) -> tuple[float | None, int]:
        known = m.get(QUANTILES_KEY)  # a named period's own row: worked out when it was summed
        if known is not None:
            return known[(hist, fraction)], int(m[count])  # type: ignore[index,arg-type]
        return histogram.percentile(m[hist], fraction), int(m[count])  # type: ignore[arg-type]

    return formula


def _difference(total: str, met: str) -> Formula:
    return lambda m: (float(int(m[total]) - int(m[met])), int(m[total]))  # type: ignore[arg-type]


def _nps(m: Measures) -> tuple[float | None, int]:
    n = int(m["nps_responses"])  # type: ignore[arg-type]
    return _ratio(int(m["nps_promoters"]) - int(m["nps_detractors"]), n), n  # type: ignore[arg-type]


FORMULAS: dict[str, Formula] = {
    "created": _count("created"),
    "resolved": _count("resolved"),
    "fcr_rate": _rate("fcr", "resolved"),
    "reopen_rate": _rate("reopened", "first_resolved"),
    "escalation_rate": _rate("escalated", "created"),
    "csat": _rate("csat_satisfied", "csat_responses"),
    "csat_average": _average("csat_score_sum", "csat_responses"),
    "nps": _nps,
    "ces": _average("ces_score_sum", "ces_responses"),
    "response_sla": _rate("response_met", "response_total"),
    "resolution_sla": _rate("resolution_met", "resolution_total"),
    "response_breaches": _difference("response_total", "response_met"),
    "resolution_breaches": _difference("resolution_total", "resolution_met"),
    "breaches": _count("breached"),
    "severe_breaches": _count("severe"),
    # Stored in hundredths of a percent per ticket.
    "response_of_target": _rate("response_used_sum", "response_used_count", scale=0.01),
    "resolution_of_target": _rate("resolution_used_sum", "resolution_used_count", scale=0.01),
    "tickets_per_agent_day": _rate("resolved_by_agents", "agent_days", scale=1.0),
}
# Which histogram a percentile figure reads (what a query must sum for it).
HISTOGRAM_OF: dict[str, str] = {}
for _prefix, _count_name in (("frt", "responded"), ("ttr", "resolved")):
    for _kind in ("", "_business"):
        _hist = f"{_prefix}{_kind}_hist"
        FORMULAS[f"{_prefix}{_kind}_mean"] = _average(f"{_prefix}{_kind}_sum", _count_name)
        FORMULAS[f"{_prefix}{_kind}_median"] = _percentile(_hist, _count_name, 0.5)
        FORMULAS[f"{_prefix}{_kind}_p90"] = _percentile(_hist, _count_name, 0.9)
        HISTOGRAM_OF[f"{_prefix}{_kind}_median"] = HISTOGRAM_OF[f"{_prefix}{_kind}_p90"] = _hist


class _Recorder(dict[str, Any]):
    """Measures that remember which of them a formula read (all zero)."""

    def __missing__(self, name: str) -> Any:
        self.setdefault("__read__", set()).add(name)
        return [0] * histogram.BUCKETS if name.endswith("_hist") else 0


def _measures_read(formula: Formula) -> frozenset[str]:
    recorder = _Recorder()
    formula(recorder)
    return frozenset(recorder.get("__read__", set()))


# The measures each figure's formula reads: what a query must sum for it.
MEASURES_OF: dict[str, frozenset[str]] = {name: _measures_read(formula) for name, formula in FORMULAS.items()}


def measures_for(names: Iterable[str]) -> set[str]:
    """Return the measures the named figures read."""
    return set().union(*(MEASURES_OF[name] for name in names))


DEFINITIONS: tuple[_Definition, ...] = (
    _Definition("created", "Tickets created", "count", ""),
    _Definition("resolved", "Tickets resolved", "count", ""),
    _Definition("frt_mean", "First response time, mean", "seconds", "frt"),
    _Definition("frt_median", "First response time, median", "seconds", "frt"),
    _Definition("frt_p90", "First response time, 90th percentile", "seconds", "frt"),
    _Definition("frt_business_mean", "First response time, mean (business hours)", "seconds", "frt"),
    _Definition("frt_business_median", "First response time, median (business hours)", "seconds", "frt"),
    _Definition("frt_business_p90", "First response time, 90th percentile (business hours)", "seconds", "frt"),
    _Definition("ttr_mean", "Time to resolution, mean", "seconds", "ttr"),
    _Definition("ttr_median", "Time to resolution, median", "seconds", "ttr"),
    _Definition("ttr_p90", "Time to resolution, 90th percentile", "seconds", "ttr"),
    _Definition("ttr_business_mean", "Time to resolution, mean (business hours)", "seconds", "ttr"),
    _Definition("ttr_business_median", "Time to resolution, median (business hours)", "seconds", "ttr"),
    _Definition("ttr_business_p90", "Time to resolution, 90th percentile (business hours)", "seconds", "ttr"),
    _Definition("fcr_rate", "First contact resolution", "percent", "fcr"),
    _Definition("reopen_rate", "Reopen rate", "percent", "reopen_rate"),
    _Definition("escalation_rate", "Escalation rate", "percent", "escalation_rate"),
    _Definition("csat", "CSAT (satisfied)", "percent", "csat"),
    _Definition("csat_average", "CSAT average score (1–5)", "score", ""),
    _Definition("nps", "NPS", "score", "nps"),
    _Definition("ces", "CES (ease, 1–7)", "score", "ces"),
    _Definition("response_sla", "Response SLA met", "percent", "response_sla"),
    _Definition("resolution_sla", "Resolution SLA met", "percent", "resolution_sla"),
    _Definition("response_breaches", "Response SLA breaches", "count", ""),
    _Definition("resolution_breaches", "Resolution SLA breaches", "count", ""),
    _Definition("breaches", "Tickets breaching an SLA", "count", "breaches"),
    _Definition("severe_breaches", "Tickets severely breaching (2× target)", "count", "severe_breaches"),
    _Definition("response_of_target", "Response time as % of its SLA, mean", "percent", "response_of_target"),
    _Definition("resolution_of_target", "Resolution time as % of its SLA, mean", "percent", "resolution_of_target"),
    _Definition("tickets_per_agent_day", "Tickets resolved per agent per day", "per_day", "tickets_per_agent_day"),
)  # fmt: skip
FIGURE_NAMES: tuple[str, ...] = tuple(definition.name for definition in DEFINITIONS)
# What a breakdown shows unless asked for more: every figure but the medians and 90th percentiles,
# whose histograms are four fifths of the cost of summing a wide dimension (500 organizations).
BREAKDOWN_NAMES: tuple[str, ...] = tuple(name for name in FIGURE_NAMES if name not in HISTOGRAM_OF)
_BY_NAME = {definition.name: definition for definition in DEFINITIONS}


# Tones as plain strings: a breakdown holds thousands, and a dict of plain strings is one the
# garbage collector never has to track (an enum member would make it a container of objects).
TONE_TEXT: dict[Tone, str] = {tone: tone.value for tone in Tone}
NO_TONE = TONE_TEXT[Tone.NONE]


class FigureSet:
    """Computes the same figures for many slices, with rules resolved once (a breakdown's rows)."""

    def __init__(
        self,
        names: Sequence[str] = FIGURE_NAMES,
        rules: Mapping[str, TargetRule] = DEFAULTS,
        previous_names: Collection[str] | None = None,
    ) -> None:
        self.planned = [(FORMULAS[item.definition.name], item) for item in _plan(names, rules)]
        self.previous_names = previous_names

    def __call__(self, measures: Measures, previous: Measures | None = None) -> dict[str, Figure]:
        result = {}
        wanted = self.previous_names
        for formula, planned in self.planned:
            name = planned.definition.name
            value, sample = formula(measures)
            before = None
            if previous is not None and (wanted is None or name in wanted):
                before = formula(previous)[0]
            result[name] = _figure(planned, value, sample, before)
        return result

    def compact(
        self, measures: Measures, previous: Measures | None = None
    ) -> tuple[dict[str, float | None], dict[str, str], dict[str, int]]:
        """Return (values, tones, samples) by name: what __call__ gives, without Figure objects."""
        values: dict[str, float | None] = {}
        tones: dict[str, str] = {}
        samples: dict[str, int] = {}
        for name, formula, rule, in_hours, compared in self._compact_plan:
            value, sample = formula(measures)
            values[name] = value
            samples[name] = sample
            if rule is None:
                tones[name] = NO_TONE
                continue
            before = formula(previous)[0] if compared and previous is not None else None
            if in_hours:
                value = None if value is None else value / 3600
                before = None if before is None else before / 3600
            tones[name] = TONE_TEXT[rule.tone(value, previous=before)]
        return values, tones, samples

    @functools.cached_property
    def _compact_plan(self) -> list[tuple[str, Formula, TargetRule | None, bool, bool]]:
        # Everything compact() would otherwise work out again for each of hundreds of slices.
        wanted = self.previous_names
        return [
            (
                planned.definition.name,
                formula,
                planned.rule,
                planned.rule is not None
                and planned.definition.unit == "seconds"
                and planned.rule.unit == "hours",
                wanted is None or planned.definition.name in wanted,
            )
            for formula, planned in self.planned
        ]


def figures(
    measures: Measures,
    *,
    rules: Mapping[str, TargetRule] = DEFAULTS,
    previous: Measures | None = None,
    names: Sequence[str] = FIGURE_NAMES,
    previous_names: Collection[str] | None = None,
) -> dict[str, Figure]:
    """Return the named figures of one window's summed measures, toned by `rules`.

    With `previous` (the window before), each figure also carries its previous value, which is
    what "trending down" targets compare with; `previous_names` limits that to some figures.
    """
    return FigureSet(names, rules, previous_names)(measures, previous)


def trend_names(names: Iterable[str], rules: Mapping[str, TargetRule]) -> set[str]:
    """Return which of the named figures are toned against the previous window."""
    found = set()
    for name in names:
        rule = rules.get(_BY_NAME[name].target_key)
        if rule is not None and rule.compare_to_previous:
            found.add(name)
    return found


def figure_from_value(
    name: str, label: str, value: float | None, *, unit: str, target_key: str, sample: int,
    rules: Mapping[str, TargetRule] = DEFAULTS,
) -> Figure:  # fmt: skip
    """Return a figure computed elsewhere (live counts, knowledge-base rates), toned by `rules`."""
    return value_plan(name, label, unit=unit, target_key=target_key, rules=rules)(value, sample)


def value_plan(
    name: str, label: str, *, unit: str, target_key: str, rules: Mapping[str, TargetRule] = DEFAULTS
) -> Callable[[float | None, int], Figure]:
    """Return figure_from_value with all but the value and sample settled (one plan, many slices)."""
    definition = _Definition(name, label, unit, target_key)
    rule = rules.get(target_key) if target_key else None
    if rule is not None and not rule.has_target:
        rule = None
    planned = _Planned(definition, rule, "no target" if rule is None else _words(rule))
    return lambda value, sample: _figure(planned, value, sample)


@functools.lru_cache(maxsize=256)
def _words(rule: TargetRule) -> str:
    # Live figures word the same few rules once per slice (500 organizations).
    return rule.describe()
