"""Reads of webhook subscriptions and deliveries, and who may see or manage them (STYLE.md C5).

Webhooks are integration settings: admins manage them; managers may read them (the delivery log
is how they see an integration is healthy). Everyone else sees nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

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


def subscriptions_callable_by_automation(event_type: str) -> list[WebhookSubscription]:
    """Return active subscriptions that accept `event_type` (automation.rule_fired or
    automation.macro_applied): what a rule's or macro's webhook action may name; by name."""
    return list(
        WebhookSubscription.objects.filter(is_active=True, event_types__contains=[event_type])
        .defer("secret", "previous_secret")
        .order_by("name", "id")
    )


def subscriptions_get(subscription_ids: Collection[int]) -> dict[int, WebhookSubscription]:
    """Return subscriptions by id, without their secrets (naming webhooks in rule summaries)."""
    return WebhookSubscription.objects.defer("secret", "previous_secret").in_bulk(list(subscription_ids))


def automation_endpoint_problems(subscription_ids: Collection[int], event_type: str) -> dict[int, str]:
    """Return, by id, why each named subscription may not be called by automation now; {} when all may.

    A subscription must exist, be switched on and accept `event_type`.
    """
    found = WebhookSubscription.objects.filter(pk__in=list(subscription_ids)).only(
        "pk", "name", "is_active", "event_types"
    )
    by_id = {subscription.pk: subscription for subscription in found}
    problems: dict[int, str] = {}
    for pk in sorted(subscription_ids):
        subscription = by_id.get(pk)
        if subscription is None:
            problems[pk] = f"Webhook #{pk} does not exist."
        elif problem := automation_endpoint_problem(subscription, event_type):
            problems[pk] = problem
    return problems


def automation_endpoint_problem(subscription: WebhookSubscription | None, event_type: str) -> str:
    """Return why automation may not call this subscription now ("" when it may). Pure."""
    if subscription is None:
        return "The webhook does not exist (deleted?)."
    named = f"Webhook “{subscription.name}” (#{subscription.pk})"
    if not subscription.is_active:
        return f"{named} is switched off; enable it on the Webhooks page or pick another."
    if event_type not in subscription.event_types:
        return f"{named} does not accept {event_type}; tick it in the webhook's events on the Webhooks page."
    return ""


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
