"""Routing tickets to agents by their team's strategy, and the settings that steer it.

The strategies themselves are pure (tickets/routing.py). This module loads the candidates, locks
the team's TeamRouting row for the whole decision (so two concurrent routes for one team run one
after the other: round-robin never hands two tickets to the same agent out of turn, and
load-balancing sees the previous assignment), assigns through ticket_update and records a
ROUTED event with the reason.

Working hours: an agent is on shift when their own calendar (AgentRouting.calendar) is open;
without one, when the team's calendar is open; a team without a calendar works around the clock.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import STAFF_ROLES, Availability, Skill, Team, User
from sla import calendars as pure_calendars
from sla.services.calendars import calendars_load
from tickets import events
from tickets import routing as pure
from tickets.automation.hooks import rules_running
from tickets.automation.models import AgentRouting, CategorySkill, RoutingStrategy, TeamRouting
from tickets.models import OPEN_STATUS_Q, Category, Ticket
from tickets.services.core import lock_ticket, ticket_update

ROUTING_MANAGERS = ("manager", "admin")


def _open_counts(user_ids: Sequence[int]) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(OPEN_STATUS_Q, assignee_id__in=list(user_ids))
        .values("assignee_id")
        .annotate(total=Count("*"))
        .order_by()
    )
    return {row["assignee_id"]: row["total"] for row in rows}


def _candidates(
    users: Sequence[User], team: Team, now: datetime, *, with_skills: bool
) -> list[pure.Candidate]:
    ids = [user.pk for user in users]
    counts = _open_counts(ids)
    settings = {row.agent_id: row for row in AgentRouting.objects.filter(agent_id__in=ids)}
    calendar_ids = {row.calendar_id for row in settings.values()} | {team.calendar_id}
    calendars = calendars_load(calendar_ids)
    skills: dict[int, set[int]] = {}
    if with_skills:
        for user_id, skill_id in User.skills.through.objects.filter(user_id__in=ids).values_list(
            "user_id", "skill_id"
        ):
            skills.setdefault(user_id, set()).add(skill_id)
    result = []
    for user in users:
        row = settings.get(user.pk)
        calendar_id = row.calendar_id if row and row.calendar_id else team.calendar_id
        on_shift = calendar_id is None or pure_calendars.is_open(calendars[calendar_id], now)
        result.append(
            pure.Candidate(
                user_id=user.pk,
                open_tickets=counts.get(user.pk, 0),
                max_open_tickets=user.max_open_tickets,
                ramp_share=row.ramp_share if row else Decimal("1"),
                is_available=user.is_active and user.availability == Availability.ACTIVE,
                is_on_shift=on_shift,
                support_tier=user.support_tier,
                skill_ids=frozenset(skills.get(user.pk, ())),
            )
        )
    return result


def _required_skill(category_id: int | None) -> int | None:
    if category_id is None:
        return None
    parent_id = Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
    mapped = dict(
        CategorySkill.objects.filter(
            category_id__in=[pk for pk in (category_id, parent_id) if pk]
        ).values_list("category_id", "skill_id")
    )
    return mapped.get(category_id) or (mapped.get(parent_id) if parent_id else None)


def _decide(ticket: Ticket, team: Team, routing: TeamRouting, now: datetime) -> pure.Decision:
    members = list(team.members.filter(is_active=True, role__in=STAFF_ROLES).order_by("pk"))
    owner_user = None
    if routing.strategy == RoutingStrategy.STICKY_OWNER and ticket.organization_id:
        owner_user = User.objects.filter(
            owned_organizations=ticket.organization_id, is_active=True, role__in=STAFF_ROLES
        ).first()
    people = members + ([owner_user] if owner_user and owner_user not in members else [])
    candidates = _candidates(people, team, now, with_skills=routing.strategy == RoutingStrategy.SKILL_BASED)
    by_id = {candidate.user_id: candidate for candidate in candidates}
    request = pure.RouteRequest(
        strategy=routing.strategy,
        ticket_tier=ticket.support_tier,
        required_skill=_required_skill(ticket.category_id)
        if routing.strategy == RoutingStrategy.SKILL_BASED
        else None,
        owner=by_id.get(owner_user.pk) if owner_user else None,
        last_assigned=routing.last_assigned_id,
    )
    member_ids = {member.pk for member in members}
    return pure.route(request, [c for c in candidates if c.user_id in member_ids])


@transaction.atomic
def ticket_route(
    *,
    ticket_id: int,
    team: Team | None = None,
    actor: User | None = None,
    now: datetime | None = None,
    only_if_auto: bool = False,
) -> pure.Decision | None:
    """Move the ticket to `team` (when given) and assign it by that team's strategy.

    A ticket already assigned to a member of the team keeps its assignee. Without an eligible
    agent the ticket waits unassigned in the team's queue (an assignee from another team is
    removed). `only_if_auto` routes only when the team assigns automatically (new tickets, the
    waiting sweep). Returns the decision, or None when the team routes manually, the ticket has
    no team or is not open. Records a ROUTED event when a strategy decided.
    """
    now = now or timezone.now()
    ticket = lock_ticket(ticket_id)
    if team is not None and team.pk != ticket.team_id:
        ticket_update(ticket_id=ticket_id, actor=actor, changes={"team": team}, at=now)
        ticket = lock_ticket(ticket_id)
    if ticket.team_id is None or not ticket.is_open:
        return None
    routing = (
        TeamRouting.objects.select_for_update().select_related("team").filter(team_id=ticket.team_id).first()
    )
    if (
        routing is None
        or routing.strategy == RoutingStrategy.MANUAL
        or (only_if_auto and not routing.auto_assign)
    ):
        return None
    team = routing.team
    if ticket.assignee_id is not None and team.members.filter(pk=ticket.assignee_id).exists():
        return None
    decision = _decide(ticket, team, routing, now)
    if decision.user_id is not None or ticket.assignee_id is not None:
        assignee = User.objects.get(pk=decision.user_id) if decision.user_id is not None else None
        ticket_update(ticket_id=ticket_id, actor=actor, changes={"assignee": assignee}, at=now)
    if decision.user_id is not None:
        routing.last_assigned_id = decision.user_id
        routing.save(update_fields=["last_assigned"])
    events.routed(
        ticket,
        at=now,
        data={
            "team": team.pk,
            "strategy": str(decision.strategy),
            "assignee": decision.user_id,
            "reason": decision.reason,
            "skipped": {str(pk): why for pk, why in decision.skipped.items()},
        },
    )
    return decision


def tickets_route_waiting(*, now: datetime, per_team: int = 100, time_budget_seconds: float = 20.0) -> int:
    """Assign open unassigned tickets of auto-assigning teams, oldest first; return how many.

    For tickets that arrived while nobody was eligible (night, everyone at capacity). Each ticket
    is routed in its own transaction; a team is left as soon as nobody can take its next ticket.
    """
    deadline = time.monotonic() + time_budget_seconds
    assigned = 0
    teams = TeamRouting.objects.filter(auto_assign=True).exclude(strategy=RoutingStrategy.MANUAL)
    for team_id in teams.values_list("team_id", flat=True):
        waiting = (
            Ticket.objects.filter(OPEN_STATUS_Q, team_id=team_id, assignee__isnull=True)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)[:per_team]
        )
        for ticket_id in waiting:
            if time.monotonic() > deadline:
                return assigned
            with rules_running():
                decision = ticket_route(ticket_id=ticket_id, now=now, only_if_auto=True)
            if decision is None:
                continue
            if decision.user_id is None:
                break
            assigned += 1
    return assigned


# --- settings -------------------------------------------------------------------------------------


def _check_manager(actor: User) -> None:
    if actor.role not in ROUTING_MANAGERS:
        raise PermissionDeniedError("Only managers and admins change routing.")


@transaction.atomic
def team_routing_set(*, team: Team, strategy: str, auto_assign: bool, actor: User) -> TeamRouting:
    """Set a team's routing strategy (manual turns automatic assignment off)."""
    _check_manager(actor)
    if strategy not in RoutingStrategy.values:
        raise DomainError(
            "Unknown strategy.", field_errors={"strategy": [f"'{strategy}' is not a strategy."]}
        )
    routing, _ = TeamRouting.objects.select_for_update().get_or_create(team=team)
    routing.strategy, routing.auto_assign, routing.updated_at = strategy, auto_assign, timezone.now()
    routing.save(update_fields=["strategy", "auto_assign", "updated_at"])
    return routing


@transaction.atomic
def agent_routing_set(
    *, agent: User, ramp_share: Decimal, calendar_id: int | None = None, actor: User
) -> AgentRouting:
    """Set an agent's ramp share (0.25–1.00 of their maximum load) and working-hours calendar."""
    _check_manager(actor)
    if not Decimal("0.25") <= ramp_share <= Decimal("1.00"):
        raise DomainError("Out of range.", field_errors={"ramp_share": ["Give a share from 0.25 to 1.00."]})
    routing, _ = AgentRouting.objects.select_for_update().get_or_create(agent=agent)
    routing.ramp_share, routing.calendar_id, routing.updated_at = ramp_share, calendar_id, timezone.now()
    routing.save(update_fields=["ramp_share", "calendar", "updated_at"])
    return routing


@transaction.atomic
def category_skill_set(*, category: Category, skill: Skill | None, actor: User) -> CategorySkill | None:
    """Say which skill a category's tickets need (None: none), for skill-based routing."""
    _check_manager(actor)
    if skill is None:
        CategorySkill.objects.filter(category=category).delete()
        return None
    row, _ = CategorySkill.objects.update_or_create(category=category, defaults={"skill": skill})
    return row
