"""SLA policies: the default matrix, versioned snapshots, and choosing the policy for a ticket."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk.models import CustomerTier, User
from sla.models import SlaMetric, SlaPolicy, SlaPolicyVersion, SlaTarget
from tickets.models import Priority, Ticket

M = SlaMetric
# The reference's priority table (first response / resolution / update frequency), in minutes.
# P1 counts calendar hours (24/7); the rest count business hours. "5 business days" for P5 is
# five 8-hour business days; P5's updates are "at status change", so it has no update clock.
DEFAULT_TARGETS: dict[str, dict[str, tuple[int | None, bool]]] = {
    Priority.P1: {
        M.FIRST_RESPONSE: (15, False),
        M.NEXT_REPLY: (15, False),
        M.PERIODIC_UPDATE: (30, False),
        M.RESOLUTION: (240, False),
    },
    Priority.P2: {
        M.FIRST_RESPONSE: (60, True),
        M.NEXT_REPLY: (60, True),
        M.PERIODIC_UPDATE: (120, True),
        M.RESOLUTION: (480, True),
    },
    Priority.P3: {
        M.FIRST_RESPONSE: (240, True),
        M.NEXT_REPLY: (240, True),
        M.PERIODIC_UPDATE: (480, True),
        M.RESOLUTION: (1440, True),
    },
    Priority.P4: {
        M.FIRST_RESPONSE: (480, True),
        M.NEXT_REPLY: (480, True),
        M.PERIODIC_UPDATE: (1440, True),
        M.RESOLUTION: (4320, True),
    },
    Priority.P5: {
        M.FIRST_RESPONSE: (1440, True),
        M.NEXT_REPLY: (1440, True),
        M.PERIODIC_UPDATE: (None, True),
        M.RESOLUTION: (2400, True),
    },
}
# A convenience that fills the priority × tier matrix; every cell stays editable afterwards.
TIER_MULTIPLIERS: dict[str, float] = {
    CustomerTier.ENTERPRISE: 0.5,
    CustomerTier.BUSINESS: 1.0,
    CustomerTier.PROFESSIONAL: 1.5,
    CustomerTier.STARTER: 2.0,
    CustomerTier.FREE: 4.0,
}


@transaction.atomic
def policy_fill_matrix(
    *,
    policy_id: int,
    base: Mapping[str, Mapping[str, tuple[int | None, bool]]] = DEFAULT_TARGETS,
    multipliers: Mapping[str, float] = TIER_MULTIPLIERS,
) -> int:
    """Write every priority × tier × metric cell as base minutes × tier multiplier; return cells written.

    Cells are overwritten; edit single cells afterwards for contracts that differ.
    """
    policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    cells = []
    for priority, metrics in base.items():
        for tier, factor in multipliers.items():
            for metric, (minutes, business_hours) in metrics.items():
                cells.append(
                    SlaTarget(
                        policy=policy,
                        priority=priority,
                        tier=tier,
                        metric=metric,
                        minutes=None if minutes is None else max(1, round(minutes * factor)),
                        business_hours=business_hours,
                    )
                )
    SlaTarget.objects.filter(policy=policy).delete()
    SlaTarget.objects.bulk_create(cells)
    return len(cells)


def policy_snapshot(policy: SlaPolicy) -> dict[str, Any]:
    """Return the policy's rules and targets as plain JSON, as a version stores them."""
    targets: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for cell in policy.targets.all():
        targets.setdefault(cell.priority, {}).setdefault(cell.tier, {})[cell.metric] = {
            "minutes": cell.minutes,
            "business_hours": cell.business_hours,
            "calendar": cell.calendar_id,
        }
    return {
        "policy": policy.pk,
        "name": policy.name,
        "pause_statuses": sorted(policy.pause_statuses),
        "automatic_reply_counts": policy.automatic_reply_counts,
        "warning_levels": sorted(set(policy.warning_levels)),
        "escalation": {
            "raise_tier": policy.escalate_raise_tier,
            "team": policy.escalation_team_id,
            "raise_priority": policy.escalate_raise_priority,
            "director": policy.director_id,
        },
        "targets": targets,
    }


@transaction.atomic
def policy_publish(*, policy_id: int, actor: User | None = None) -> SlaPolicyVersion:
    """Freeze the policy's current rules as a new version; new tickets get it, open ones keep theirs."""
    policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    policy.version += 1
    policy.updated_at = timezone.now()
    policy.save(update_fields=["version", "updated_at"])
    policy_cache_clear()
    return SlaPolicyVersion.objects.create(
        policy=policy, number=policy.version, snapshot=policy_snapshot(policy), created_by=actor
    )


def ticket_tier(ticket: Ticket) -> str:
    """Return the customer tier SLA targets key on (organizations without one count as Free)."""
    return ticket.organization.tier if ticket.organization_id and ticket.organization else CustomerTier.FREE


def match_facts(ticket: Ticket) -> dict[str, Any]:
    """Return the ticket facts whose change re-evaluates the policy (tier, organization, priority)."""
    return {"tier": ticket_tier(ticket), "organization": ticket.organization_id, "priority": ticket.priority}


@dataclass(frozen=True)
class _Conditions:
    policy: SlaPolicy
    organizations: frozenset[int]
    categories: frozenset[int]
    teams: frozenset[int]
    tags: frozenset[int]


_conditions_cache: tuple[float, list[_Conditions]] = (0.0, [])
# Policies are matched on every new ticket; a process re-reads them at most this often, so an
# edit to the order or conditions applies to tickets matched a few seconds later.
MATCH_CACHE_SECONDS = 5.0


def _active_conditions() -> list[_Conditions]:
    global _conditions_cache
    loaded, conditions = _conditions_cache
    if time.monotonic() - loaded < MATCH_CACHE_SECONDS:
        return conditions
    policies = SlaPolicy.objects.filter(is_active=True).prefetch_related(
        "match_organizations", "match_categories", "match_teams", "match_tags"
    )
    conditions = [
        _Conditions(
            policy,
            frozenset(row.pk for row in policy.match_organizations.all()),
            frozenset(row.pk for row in policy.match_categories.all()),
            frozenset(row.pk for row in policy.match_teams.all()),
            frozenset(row.pk for row in policy.match_tags.all()),
        )
        for policy in policies.order_by("is_default", "position", "id")
    ]
    _conditions_cache = (time.monotonic(), conditions)
    return conditions


def policy_cache_clear() -> None:
    """Forget cached policy conditions in this process (after an edit, and in tests)."""
    global _conditions_cache
    _conditions_cache = (0.0, [])
    _versions.clear()
    _versions_by_id.clear()


def policy_match(ticket: Ticket) -> SlaPolicy | None:
    """Return the first active policy, in order, whose every non-empty condition matches."""
    tier = ticket_tier(ticket)
    tag_ids: set[int] | None = None
    for entry in _active_conditions():
        policy, organizations, categories, teams, tags = (
            entry.policy,
            entry.organizations,
            entry.categories,
            entry.teams,
            entry.tags,
        )
        if tags and tag_ids is None:
            tag_ids = set(ticket.tags.values_list("pk", flat=True))
        category_ids = {
            ticket.category_id,
            ticket.category.parent_id if categories and ticket.category_id and ticket.category else None,
        }
        if (
            (not policy.match_tiers or tier in policy.match_tiers)
            and (not policy.match_priorities or ticket.priority in policy.match_priorities)
            and (not policy.match_channels or ticket.channel in policy.match_channels)
            and (not organizations or ticket.organization_id in organizations)
            and (not categories or bool(categories & category_ids))
            and (not teams or ticket.team_id in teams)
            and (not tags or bool(tags & (tag_ids or set())))
        ):
            return policy
    return None


_versions: dict[tuple[int, int], SlaPolicyVersion] = {}


def latest_version(policy: SlaPolicy) -> SlaPolicyVersion:
    """Return the policy's newest version, publishing a first one when it has none.

    Versions never change once written, so they are kept per process by (policy, number).
    """
    cached = _versions.get((policy.pk, policy.version))
    if cached is not None:
        return cached
    version = SlaPolicyVersion.objects.filter(policy=policy).order_by("-number").first()
    version = version or policy_publish(policy_id=policy.pk)
    _versions[(policy.pk, version.number)] = version
    return version


DEFAULT_POLICY_NAME = "Standard (catch-all)"
DEFAULT_CALENDAR_NAME = "Business hours (Mon-Fri 09:00-17:00 UTC)"


@transaction.atomic
def sla_defaults_ensure() -> None:
    """Create the default calendar and catch-all policy (reference targets) when they are missing.

    The initial data migration does the same on a new database; this restores them after a
    flush (test databases) and is safe to call any number of times.
    """
    from datetime import time as clock_time

    from sla.models import BusinessCalendar, WeeklyInterval

    if not BusinessCalendar.objects.filter(is_default=True).exists():
        calendar, _ = BusinessCalendar.objects.get_or_create(
            name=DEFAULT_CALENDAR_NAME, defaults={"time_zone": "UTC", "is_default": True}
        )
        WeeklyInterval.objects.bulk_create(
            WeeklyInterval(calendar=calendar, weekday=day, start=clock_time(9), end=clock_time(17))
            for day in range(5)
        )
    if not SlaPolicy.objects.filter(is_default=True).exists():
        policy = SlaPolicy.objects.create(name=DEFAULT_POLICY_NAME, is_default=True, position=1000)
        policy_fill_matrix(policy_id=policy.pk)
        policy_publish(policy_id=policy.pk)


def version_get(version_id: int) -> SlaPolicyVersion:
    """Return a policy version by id; versions never change, so each process keeps those it read."""
    cached = _versions_by_id.get(version_id)
    if cached is None:
        cached = _versions_by_id[version_id] = SlaPolicyVersion.objects.get(pk=version_id)
    return cached


_versions_by_id: dict[int, SlaPolicyVersion] = {}
