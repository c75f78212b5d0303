"""Every write of the metrics reporting (STYLE.md C3): targets, the refresh sweep, rebuilds.

The sweep and the rebuild live in refresh.py and rebuild.py; they are re-exported here so there
is one place to look for what writes metric tables.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from helpdesk.exceptions import DomainError
from metrics.reporting.models import MetricTarget
from metrics.reporting.rebuild import CheckReport, RebuildReport, metrics_check, metrics_rebuild
from metrics.reporting.refresh import RefreshReport, metrics_refresh
from metrics.reporting.targets import DEFAULTS


@transaction.atomic
def metric_target_update(
    *,
    key: str,
    good_min: float | None,
    good_max: float | None,
    warn_min: float | None,
    warn_max: float | None,
    compare_to_previous: bool = False,
    source: str = "",
    now: datetime,
) -> MetricTarget:
    """Set a figure's target and warning level (creating its row if a flushed database lost it).

    Raises DomainError for an unknown key, or bounds that contradict each other (a warning level
    inside the target, a minimum above the maximum).
    """
    default = DEFAULTS.get(key)
    if default is None:
        raise DomainError("Unknown metric.", field_errors={"key": [f"'{key}' has no target."]})
    errors: dict[str, list[str]] = {}
    if good_min is not None and good_max is not None and good_min > good_max:
        errors["good_max"] = ["The target's maximum is below its minimum."]
    if warn_min is not None and good_min is not None and warn_min > good_min:
        errors["warn_min"] = ["The warning level is above the target."]
    if warn_max is not None and good_max is not None and warn_max < good_max:
        errors["warn_max"] = ["The warning level is below the target."]
    if errors:
        raise DomainError("Contradicting bounds.", field_errors=errors)
    target, _ = MetricTarget.objects.select_for_update().get_or_create(
        key=key, defaults={"unit": default.unit}
    )
    target.unit = default.unit
    target.good_min, target.good_max, target.warn_min, target.warn_max = (
        good_min,
        good_max,
        warn_min,
        warn_max,
    )
    target.compare_to_previous = compare_to_previous
    target.source = source or target.source
    target.updated_at = now
    target.save()
    return target


def metric_targets_ensure() -> int:
    """Write the reference default of every target that has no row (a flushed database); return how many.

    Rows that exist are kept as edited.
    """
    rows = [
        MetricTarget(
            key=rule.key,
            unit=rule.unit,
            good_min=rule.good_min,
            good_max=rule.good_max,
            warn_min=rule.warn_min,
            warn_max=rule.warn_max,
            compare_to_previous=rule.compare_to_previous,
            source=rule.source,
        )
        for rule in DEFAULTS.values()
    ]
    existing = set(MetricTarget.objects.values_list("key", flat=True))
    missing = [row for row in rows if row.key not in existing]
    MetricTarget.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


__all__ = [
    "CheckReport",
    "RebuildReport",
    "RefreshReport",
    "metric_target_update",
    "metric_targets_ensure",
    "metrics_check",
    "metrics_rebuild",
    "metrics_refresh",
]
