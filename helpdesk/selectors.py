"""Reads of accounts and organizations, limited to what the asking user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from helpdesk.models import ApiToken, Notification, Organization, Team, User


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
