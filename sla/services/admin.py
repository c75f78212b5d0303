"""Editing SLA configuration: business calendars with their rows, and policies with their targets.

Every calendar edit bumps `BusinessCalendar.updated_at` (processes rebuild their cached copy) and,
when open clocks count time on that calendar, queues a re-plan job for them. Every policy edit
that changes what a version stores publishes a new version; open tickets keep the version they
were given until an admin re-applies the policy (a re-apply job).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from helpdesk.exceptions import Conflict, DomainError
from helpdesk.models import Organization, Team, User
from sla.models import (
    BusinessCalendar,
    Holiday,
    SlaPolicy,
    SlaPolicyVersion,
    SlaReapplyJob,
    SlaTarget,
    SpecialHours,
    WeeklyInterval,
)
from sla.selectors import calendar_is_in_use, calendar_is_referenced, policy_is_in_use
from sla.services.calendars import calendar_cache_clear, calendar_import_holidays
from sla.services.policies import (
    DEFAULT_TARGETS,
    TIER_MULTIPLIERS,
    policy_cache_clear,
    policy_fill_matrix,
    policy_publish,
    policy_snapshot,
)
from sla.services.reapply import reapply_job_create
from tickets.models import OPEN_STATUSES

CALENDAR_FIELDS = frozenset({"name", "time_zone", "is_24_7", "is_default"})
POLICY_FIELDS = frozenset(
    {
        "name",
        "position",
        "is_active",
        "is_default",
        "match_tiers",
        "match_priorities",
        "match_channels",
        "pause_statuses",
        "automatic_reply_counts",
        "warning_levels",
        "escalate_raise_tier",
        "escalation_team",
        "escalate_raise_priority",
        "director",
    }
)
POLICY_RELATIONS = frozenset({"match_organizations", "match_categories", "match_teams", "match_tags"})
CONDITION_FIELDS = ("match_tiers", "match_priorities", "match_channels", *sorted(POLICY_RELATIONS))
BREACH_LEVEL = 100
POSITION_STEP = 10


# --- calendars -------------------------------------------------------------------------------------


def _check_calendar(
    calendar: BusinessCalendar,
    weekly_hours: Sequence[Mapping[str, Any]] | None,
    holidays: Sequence[Mapping[str, Any]] | None,
) -> None:
    errors: dict[str, list[str]] = {}
    try:
        ZoneInfo(calendar.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = [f"'{calendar.time_zone}' is not an IANA time zone such as 'Europe/Berlin'."]
    if not calendar.name.strip():
        errors["name"] = ["Give the calendar a name."]
    elif BusinessCalendar.objects.filter(name=calendar.name).exclude(pk=calendar.pk).exists():
        errors["name"] = [f"A calendar named '{calendar.name}' exists."]
    if weekly_hours is not None and any(not 0 <= int(row["weekday"]) <= 6 for row in weekly_hours):
        errors["weekly_hours"] = ["weekday is 0 (Monday) to 6 (Sunday)."]
    if holidays is not None:
        days = [row["date"] for row in holidays]
        repeated = sorted({day for day in days if days.count(day) > 1})
        if repeated:
            errors["holidays"] = [f"{day.isoformat()} is listed more than once." for day in repeated]
    if errors:
        raise DomainError("Invalid calendar.", field_errors=errors)


def _replace_rows(
    calendar: BusinessCalendar,
    weekly_hours: Sequence[Mapping[str, Any]] | None,
    holidays: Sequence[Mapping[str, Any]] | None,
    special_hours: Sequence[Mapping[str, Any]] | None,
) -> None:
    if weekly_hours is not None:
        WeeklyInterval.objects.filter(calendar=calendar).delete()
        WeeklyInterval.objects.bulk_create(
            WeeklyInterval(calendar=calendar, weekday=row["weekday"], start=row["start"], end=row["end"])
            for row in weekly_hours
        )
    if holidays is not None:
        Holiday.objects.filter(calendar=calendar).delete()
        Holiday.objects.bulk_create(
            Holiday(calendar=calendar, date=row["date"], name=row.get("name", "")) for row in holidays
        )
    if special_hours is not None:
        SpecialHours.objects.filter(calendar=calendar).delete()
        SpecialHours.objects.bulk_create(
            SpecialHours(
                calendar=calendar,
                date=row["date"],
                start=row["start"],
                end=row["end"],
                note=row.get("note", ""),
            )
            for row in special_hours
        )


def _take_default(calendar: BusinessCalendar) -> BusinessCalendar | None:
    """Clear the flag on the current default calendar (one default, a unique index); return it."""
    previous = (
        BusinessCalendar.objects.select_for_update().filter(is_default=True).exclude(pk=calendar.pk).first()
    )
    if previous is not None:
        previous.is_default, previous.updated_at = False, timezone.now()
        previous.save(update_fields=["is_default", "updated_at"])
    return previous


def _replan_if_in_use(calendar: BusinessCalendar, actor: User | None) -> SlaReapplyJob | None:
    # Re-plan only (no re-match): tickets keep their pinned policy versions.
    if not calendar_is_in_use(calendar.pk):
        return None
    return reapply_job_create(actor=actor, calendar=calendar, rematch=False)


@transaction.atomic
def calendar_create(
    *,
    name: str,
    time_zone: str = "UTC",
    is_24_7: bool = False,
    is_default: bool = False,
    weekly_hours: Sequence[Mapping[str, Any]] = (),
    holidays: Sequence[Mapping[str, Any]] = (),
    special_hours: Sequence[Mapping[str, Any]] = (),
    actor: User | None = None,
) -> BusinessCalendar:
    """Create a calendar with its weekly hours, holidays and special hours.

    Making it the default takes the flag from the previous default (whose open clocks are
    re-planned). Raises DomainError with field errors for a bad zone, weekday or repeated date.
    """
    calendar = BusinessCalendar(
        name=name, time_zone=time_zone, is_24_7=is_24_7, is_default=is_default, updated_at=timezone.now()
    )
    _check_calendar(calendar, weekly_hours, holidays)
    previous = _take_default(calendar) if is_default else None
    calendar.save(force_insert=True)
    _replace_rows(calendar, weekly_hours, holidays, special_hours)
    calendar_cache_clear()
    if previous is not None:
        _replan_if_in_use(previous, actor)
    return calendar


@transaction.atomic
def calendar_update(
    *,
    calendar_id: int,
    weekly_hours: Sequence[Mapping[str, Any]] | None = None,
    holidays: Sequence[Mapping[str, Any]] | None = None,
    special_hours: Sequence[Mapping[str, Any]] | None = None,
    actor: User | None = None,
    **fields: Any,
) -> BusinessCalendar:
    """Change a calendar's fields and replace whichever row lists are given.

    Bumps updated_at and, when open clocks count time on it, queues a re-plan job (tickets keep
    their policy versions). Raises DomainError as calendar_create does; the default calendar
    cannot be un-defaulted (make another the default instead).
    """
    unknown = sorted(set(fields) - CALENDAR_FIELDS)
    if unknown:
        raise DomainError("Unknown fields.", field_errors={key: ["Unknown field."] for key in unknown})
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    if calendar.is_default and fields.get("is_default") is False:
        raise DomainError(
            "The default calendar stays the default.",
            field_errors={"is_default": ["Make another calendar the default instead."]},
        )
    for name, value in fields.items():
        setattr(calendar, name, value)
    _check_calendar(calendar, weekly_hours, holidays)
    previous = _take_default(calendar) if calendar.is_default else None
    calendar.updated_at = timezone.now()
    calendar.save()
    _replace_rows(calendar, weekly_hours, holidays, special_hours)
    calendar_cache_clear()
    _replan_if_in_use(calendar, actor)
    if previous is not None:
        _replan_if_in_use(previous, actor)
    return calendar


@transaction.atomic
def calendar_delete(*, calendar_id: int) -> None:
    """Delete an unused calendar.

    Raises Conflict (409) for the default calendar, or one that clocks, policy targets,
    organizations or teams still use.
    """
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    if calendar.is_default:
        raise Conflict("The default calendar cannot be deleted; make another the default first.")
    if (
        calendar_is_referenced(calendar_id)
        or Organization.objects.filter(calendar_id=calendar_id).exists()
        or Team.objects.filter(calendar_id=calendar_id).exists()
    ):
        raise Conflict("Clocks, policy targets, organizations or teams use this calendar.")
    calendar.delete()
    calendar_cache_clear()


@transaction.atomic
def calendar_public_holidays_import(
    *, calendar_id: int, country: str, subdivision: str = "", years: Sequence[int], actor: User | None = None
) -> int:
    """Add a country's public holidays for `years` to the calendar; return how many dates were new.

    Queues a re-plan of open clocks on the calendar when dates were added. Raises DomainError
    for an unknown country or subdivision.
    """
    try:
        added = calendar_import_holidays(
            calendar_id=calendar_id, country=country.upper(), subdivision=subdivision.upper(), years=years
        )
    except (NotImplementedError, ValueError, KeyError) as error:
        field = "subdivision" if subdivision and "subdivision" in str(error) else "country"
        raise DomainError("Unknown holiday set.", field_errors={field: [str(error)[:200]]}) from error
    calendar_cache_clear()
    if added:
        _replan_if_in_use(BusinessCalendar.objects.get(pk=calendar_id), actor)
    return added


# --- policies ------------------------------------------------------------------------------------------


def _check_policy(policy: SlaPolicy, relations: Mapping[str, Sequence[Any]]) -> None:
    errors: dict[str, list[str]] = {}
    if not policy.name.strip():
        errors["name"] = ["Give the policy a name."]
    elif SlaPolicy.objects.filter(name=policy.name).exclude(pk=policy.pk).exists():
        errors["name"] = [f"A policy named '{policy.name}' exists."]
    levels = list(policy.warning_levels)
    if any(not isinstance(level, int) or level <= 0 for level in levels):
        errors["warning_levels"] = ["Levels are positive whole percentages."]
    elif levels != sorted(set(levels)):
        errors["warning_levels"] = ["List levels once each, in ascending order."]
    elif BREACH_LEVEL not in levels:
        errors["warning_levels"] = ["Include 100 (the breach)."]
    unknown = sorted(set(policy.pause_statuses) - set(OPEN_STATUSES))
    if unknown:
        errors["pause_statuses"] = [f"'{status}' is not an open ticket status." for status in unknown]
    if policy.is_default:
        has_conditions = any(
            getattr(policy, name) for name in ("match_tiers", "match_priorities", "match_channels")
        )
        has_conditions = has_conditions or any(relations.get(name) for name in POLICY_RELATIONS)
        if policy.pk and not has_conditions:
            has_conditions = any(
                getattr(policy, name).exists() for name in POLICY_RELATIONS if name not in relations
            )
        if has_conditions:
            errors["is_default"] = [
                "The catch-all default policy matches every ticket: remove its conditions."
            ]
        if not policy.is_active:
            errors["is_active"] = ["The catch-all default policy cannot be deactivated."]
    if errors:
        raise DomainError("Invalid policy.", field_errors=errors)


def _publish_if_changed(policy_id: int, actor: User | None) -> SlaPolicyVersion | None:
    """Publish a version when the policy's rules differ from its newest version's snapshot."""
    policy = SlaPolicy.objects.get(pk=policy_id)
    latest = SlaPolicyVersion.objects.filter(policy=policy).order_by("-number").first()
    if latest is not None and latest.snapshot == policy_snapshot(policy):
        return None
    return policy_publish(policy_id=policy_id, actor=actor)


def _take_default_policy(policy: SlaPolicy) -> None:
    SlaPolicy.objects.select_for_update().filter(is_default=True).exclude(pk=policy.pk).update(
        is_default=False, updated_at=timezone.now()
    )


def _upsert_targets(policy: SlaPolicy, cells: Sequence[Mapping[str, Any]]) -> None:
    keys = [(cell["priority"], cell["tier"], cell["metric"]) for cell in cells]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise DomainError(
            "Cells given twice.",
            field_errors={"cells": [f"{p}/{t}/{m} is listed more than once." for p, t, m in repeated]},
        )
    SlaTarget.objects.bulk_create(
        [
            SlaTarget(
                policy=policy,
                priority=cell["priority"],
                tier=cell["tier"],
                metric=cell["metric"],
                minutes=cell.get("minutes"),
                business_hours=cell.get("business_hours", True),
                calendar=cell.get("calendar"),
            )
            for cell in cells
        ],
        update_conflicts=True,
        unique_fields=["policy", "priority", "tier", "metric"],
        update_fields=["minutes", "business_hours", "calendar"],
    )


@transaction.atomic
def policy_create(*, actor: User | None = None, **fields: Any) -> SlaPolicy:
    """Create a policy, fill its matrix from the default targets and publish version 1.

    New tickets matching it get it within seconds; open tickets keep theirs until re-applied.
    Raises DomainError with field errors (name taken, bad warning levels or pause statuses, a
    default with conditions).
    """
    relations = {name: fields.pop(name) for name in list(fields) if name in POLICY_RELATIONS}
    unknown = sorted(set(fields) - POLICY_FIELDS)
    if unknown:
        raise DomainError("Unknown fields.", field_errors={key: ["Unknown field."] for key in unknown})
    policy = SlaPolicy(**fields)
    if "position" not in fields:
        top = SlaPolicy.objects.filter(is_default=False).aggregate(top=Max("position"))["top"] or 0
        policy.position = top + POSITION_STEP
    _check_policy(policy, relations)
    if policy.is_default:
        _take_default_policy(policy)
    policy.updated_at = timezone.now()
    policy.save(force_insert=True)
    for name, rows in relations.items():
        getattr(policy, name).set(rows)
    policy_fill_matrix(policy_id=policy.pk)
    policy_publish(policy_id=policy.pk, actor=actor)
    policy_cache_clear()
    return SlaPolicy.objects.get(pk=policy.pk)


@transaction.atomic
def policy_update(
    *,
    policy_id: int,
    targets: Sequence[Mapping[str, Any]] | None = None,
    actor: User | None = None,
    **fields: Any,
) -> SlaPolicy:
    """Change a policy's order, conditions, rules or target cells; publish one version if the rules changed.

    `targets` cells (priority, tier, metric, minutes, business_hours, calendar) replace those cells.

    Tickets already on the policy keep their version until re-applied; conditions and order
    apply to tickets matched from now on. Raises DomainError as policy_create does.
    """
    relations = {name: fields.pop(name) for name in list(fields) if name in POLICY_RELATIONS}
    unknown = sorted(set(fields) - POLICY_FIELDS)
    if unknown:
        raise DomainError("Unknown fields.", field_errors={key: ["Unknown field."] for key in unknown})
    policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    if policy.is_default and fields.get("is_default") is False:
        raise DomainError(
            "The catch-all stays the default.",
            field_errors={"is_default": ["Make another policy the default instead."]},
        )
    for name, value in fields.items():
        setattr(policy, name, value)
    _check_policy(policy, relations)
    if policy.is_default:
        _take_default_policy(policy)
    policy.updated_at = timezone.now()
    policy.save()
    for name, rows in relations.items():
        getattr(policy, name).set(rows)
    if targets is not None:
        _upsert_targets(policy, targets)
    _publish_if_changed(policy.pk, actor)
    policy_cache_clear()
    return SlaPolicy.objects.get(pk=policy.pk)


@transaction.atomic
def policy_delete(*, policy_id: int) -> bool:
    """Delete a policy no ticket uses and return True; deactivate one in use and return False.

    Raises Conflict (409) for the catch-all default policy.
    """
    policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    if policy.is_default:
        raise Conflict("The catch-all default policy cannot be deleted.")
    if policy_is_in_use(policy_id):
        if policy.is_active:
            policy.is_active, policy.updated_at = False, timezone.now()
            policy.save(update_fields=["is_active", "updated_at"])
        policy_cache_clear()
        return False
    SlaPolicyVersion.objects.filter(policy=policy).delete()
    policy.delete()
    policy_cache_clear()
    return True


@transaction.atomic
def policy_reorder(*, policy_ids: Sequence[int]) -> list[SlaPolicy]:
    """Give the listed policies positions in the listed order; the others follow, in their order.

    The catch-all default always matches last and may not be listed. Raises DomainError for an
    unknown, repeated or default id.
    """
    policies = list(SlaPolicy.objects.select_for_update().order_by("pk"))
    by_id = {policy.pk: policy for policy in policies}
    problems = []
    if len(set(policy_ids)) != len(policy_ids):
        problems.append("List each policy once.")
    problems += [f"No policy {pk}." for pk in policy_ids if pk not in by_id]
    problems += [
        f"{by_id[pk].name} is the catch-all and always matches last."
        for pk in policy_ids
        if pk in by_id and by_id[pk].is_default
    ]
    if problems:
        raise DomainError("Invalid order.", field_errors={"ids": problems})
    listed = [by_id[pk] for pk in policy_ids]
    rest = sorted(
        (policy for policy in policies if policy.pk not in set(policy_ids) and not policy.is_default),
        key=lambda policy: (policy.position, policy.pk),
    )
    now = timezone.now()
    for index, policy in enumerate([*listed, *rest], start=1):
        policy.position, policy.updated_at = index * POSITION_STEP, now
    SlaPolicy.objects.bulk_update([*listed, *rest], ["position", "updated_at"])
    policy_cache_clear()
    return [*listed, *rest]


@transaction.atomic
def policy_targets_set(
    *, policy_id: int, cells: Sequence[Mapping[str, Any]], actor: User | None = None
) -> SlaPolicyVersion | None:
    """Replace the given priority × tier × metric cells and publish a new version if anything changed.

    Cells not given keep their values. Returns the new version, or None when nothing changed.
    Raises DomainError for a cell given twice.
    """
    policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    _upsert_targets(policy, cells)
    return _publish_if_changed(policy_id, actor)


@transaction.atomic
def policy_targets_fill(
    *,
    policy_id: int,
    base: Mapping[str, Mapping[str, tuple[int | None, bool]]] | None = None,
    multipliers: Mapping[str, float] | None = None,
    actor: User | None = None,
) -> SlaPolicyVersion | None:
    """Overwrite the whole matrix as base minutes × tier multiplier, then publish if it changed."""
    policy_fill_matrix(
        policy_id=policy_id,
        base=DEFAULT_TARGETS if base is None else base,
        multipliers=TIER_MULTIPLIERS if multipliers is None else multipliers,
    )
    return _publish_if_changed(policy_id, actor)


__all__ = [
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
