"""Reads of webhook subscriptions and deliveries, and who may see or manage them (STYLE.md C5).

Webhooks are integration settings: admins manage them; managers may read them (the delivery log
is how they see an integration is healthy). Everyone else sees nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from helpdesk.models import Role, User
from helpdesk.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

READER_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def webhooks_can_read(user: User) -> bool:
    """Return whether `user` may see subscriptions (never their secrets) and the delivery log."""
    return bool(user.is_authenticated and user.is_active and user.role in READER_ROLES)


def webhooks_can_manage(user: User) -> bool:
    """Return whether `user` may create, change, rotate, enable and redeliver: admins only."""
    return bool(user.is_authenticated and user.is_active and user.role == Role.ADMIN)


def subscription_list_visible_to(user: User) -> QuerySet[WebhookSubscription]:
    """Return every subscription for admins and managers, none for anyone else; by name."""
    if not webhooks_can_read(user):
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.select_related("created_by").order_by("name", "id")


def subscriptions_active() -> list[WebhookSubscription]:
    """Return the subscriptions that receive events now (system use: fan-out)."""
    return list(WebhookSubscription.objects.filter(is_active=True).order_by("pk"))


def delivery_list_visible_to(user: User) -> QuerySet[WebhookDelivery]:
    """Return the delivery log for admins and managers (none for others), with the subscription."""
    if not webhooks_can_read(user):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.select_related("subscription").defer("subscription__secret")


def delivery_get_visible(user: User, delivery_id: int) -> WebhookDelivery:
    """Return one delivery with its attempts in order; raises WebhookDelivery.DoesNotExist (a 404)."""
    return (
        delivery_list_visible_to(user)
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("number")))
        .get(pk=delivery_id)
    )


def admin_ids() -> list[int]:
    """Return the ids of active admins (told when a subscription is disabled after failures)."""
    return list(User.objects.filter(role=Role.ADMIN, is_active=True).values_list("pk", flat=True))


def users_get(user_ids: Iterable[int]) -> dict[int, User]:
    """Return users by id (system use: naming actors in payloads)."""
    return User.objects.in_bulk(list(set(user_ids)))
