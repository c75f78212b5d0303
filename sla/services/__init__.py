"""Every write of the SLA engine (STYLE.md C3): policies, clock re-planning, the due-clock sweep."""

from __future__ import annotations

from sla.services.admin import (
    calendar_create,
    calendar_delete,
    calendar_public_holidays_import,
    calendar_update,
    policy_create,
    policy_delete,
    policy_reorder,
    policy_targets_fill,
    policy_targets_set,
    policy_update,
)
from sla.services.calendars import calendar_import_holidays, calendars_load, default_calendar_id
from sla.services.clocks import (
    CHECKED_FIELDS,
    PlannedClock,
    clocks_check,
    clocks_plan,
    clocks_replan,
    clocks_replan_many,
    replans_deferred,
    ticket_sla_apply,
)
from sla.services.policies import (
    DEFAULT_TARGETS,
    TIER_MULTIPLIERS,
    policy_fill_matrix,
    policy_match,
    policy_publish,
    policy_snapshot,
    sla_defaults_ensure,
    version_get,
)
from sla.services.reapply import reapply_job_create, reapply_job_run, reapply_jobs_run_pending
from sla.services.sweep import breaches_claim_for_escalation, clocks_sweep_due

__all__ = [
    "CHECKED_FIELDS",
    "DEFAULT_TARGETS",
    "TIER_MULTIPLIERS",
    "PlannedClock",
    "breaches_claim_for_escalation",
    "calendar_import_holidays",
    "calendars_load",
    "clocks_check",
    "clocks_plan",
    "clocks_replan",
    "clocks_replan_many",
    "clocks_sweep_due",
    "default_calendar_id",
    "policy_fill_matrix",
    "policy_match",
    "policy_publish",
    "policy_snapshot",
    "reapply_job_create",
    "reapply_job_run",
    "reapply_jobs_run_pending",
    "replans_deferred",
    "sla_defaults_ensure",
    "ticket_sla_apply",
    "version_get",
]
__all__ += [
    "calendar_create",
    "calendar_delete",
    "calendar_public_holidays_import",
    "calendar_update",
    "policy_create",
    "policy_delete",
    "policy_reorder",
    "policy_targets_fill",
    "policy_targets_set",
    "policy_update",
]
