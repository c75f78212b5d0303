"""Reads of accounts and organizations, limited to what the asking user may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from helpdesk.models import ApiToken, CustomerTier, Notification, Organization, Team, User


def organization_list_visible_to(user: User) -> QuerySet[Organization]:
    """Agents see every organization; a customer sees only their own; inactive users see none."""
    queryset = Organization.objects.prefetch_related("domains")
    if not user.is_active:
        return queryset.none()
    if user.is_agent:
        return queryset
    if user.organization_id is None:
        return queryset.none()
    return queryset.filter(pk=user.organization_id)


def user_list_visible_to(user: User) -> QuerySet[User]:
    """Agents see every user; a customer sees themself and, when the organization shares, its members.

    Inactive users see nobody, as in `tickets.selectors.ticket_visibility_q`.
    """
    queryset = User.objects.select_related("organization").prefetch_related("skills", "teams")
    if not user.is_active:
        return queryset.none()
    if user.is_agent:
        return queryset
    if user.organization_id and user.organization and user.organization.members_see_each_other:
        return queryset.filter(organization_id=user.organization_id)
    return queryset.filter(pk=user.pk)


def team_list_visible_to(user: User) -> QuerySet[Team]:
    """Teams are internal: agents see them all, customers none."""
    if not user.is_active or not user.is_agent:
        return Team.objects.none()
    return Team.objects.select_related("lead").prefetch_related("members")


def api_token_list_for(user: User) -> QuerySet[ApiToken]:
    """Return a user's own tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def manager_ids() -> list[int]:
    """Return the ids of active managers, who are alerted on SLA breaches."""
    return list(User.objects.filter(role="manager", is_active=True).values_list("pk", flat=True))


def notification_list_for(user: User) -> QuerySet[Notification]:
    """Return a user's own notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def notification_unread_count(user: User) -> int:
    """Return how many of the user's notifications are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# --- Metrics (read by metrics.reporting; system use) ----------------------------------------------


def user_organizations(user_ids: Iterable[int]) -> dict[int, tuple[int | None, str]]:
    """Return each user's (organization id, its customer tier); no organization counts as Free."""
    rows = User.objects.filter(pk__in=list(user_ids)).values_list(
        "pk", "organization_id", "organization__tier"
    )
    return {pk: (organization_id, tier or CustomerTier.FREE) for pk, organization_id, tier in rows}


def organization_tiers_updated_since(since: datetime | None) -> dict[int, str]:
    """Return the tier of every organization edited at or after `since` (all of them for None)."""
    queryset = (
        Organization.objects.all() if since is None else Organization.objects.filter(updated_at__gte=since)
    )
    return dict(queryset.values_list("pk", "tier"))


def names_for(dimension: str, ids: Iterable[int]) -> dict[int, str]:
    """Return display names of teams, agents or organizations by id (metrics labels; system use)."""
    models = {"team": (Team, "name"), "agent": (User, "full_name"), "organization": (Organization, "name")}
    model, field = models[dimension]
    rows = model.objects.filter(pk__in=list(ids)).values_list(
        "pk", field, *(("email",) if model is User else ())
    )
    return {row[0]: (row[1] or (row[2] if len(row) > 2 else "")) for row in rows}
