"""Creating, changing, rotating, enabling and disabling webhook subscriptions."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from helpdesk import services as account_services
from helpdesk.exceptions import DomainError
from helpdesk.models import NotificationKind, User
from helpdesk.webhooks import http, selectors, signing
from helpdesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEventType, WebhookSubscription
from helpdesk.webhooks.services.fanout import feed_cursors_ensure

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 100
URL_MAX_LENGTH = 2000
MAX_SECRET_OVERLAP = timedelta(days=7)


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise DomainError(
            "Invalid name.", field_errors={"name": [f"Give it a name of 1-{NAME_MAX_LENGTH} characters."]}
        )
    return name


def _clean_url(url: str) -> str:
    url = url.strip()
    if len(url) > URL_MAX_LENGTH:
        raise DomainError("URL too long.", field_errors={"url": [f"At most {URL_MAX_LENGTH} characters."]})
    try:
        http.target_check(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
    except http.TargetRefused as refused:
        raise DomainError("URL refused.", field_errors={"url": [str(refused)]}) from refused
    return url


def _clean_event_types(event_types: Sequence[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(WebhookEventType.values))
    if unknown:
        raise DomainError(
            "Unknown event type.",
            field_errors={"event_types": [f"'{name}' is not an event type." for name in unknown]},
        )
    if not event_types:
        raise DomainError("No events.", field_errors={"event_types": ["Choose at least one event."]})
    return [value for value in WebhookEventType.values if value in set(event_types)]


def secrets_in_use(subscription: WebhookSubscription, *, now: datetime) -> list[str]:
    """Return the secrets deliveries are signed with now: the current one, then a previous one still valid."""
    in_use = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > now:
        in_use.append(subscription.previous_secret)
    return in_use


@transaction.atomic
def webhook_subscription_create(
    *,
    name: str,
    url: str,
    event_types: Sequence[str],
    include_internal_notes: bool = False,
    is_active: bool = True,
    created_by: User | None = None,
    now: datetime | None = None,
) -> tuple[WebhookSubscription, str]:
    """Create a subscription and return it with its secret, generated here (shown to people once).

    Events recorded from now on are delivered to it. Raises DomainError for an empty name, no or
    unknown event types, or a URL that is not http(s) or points at a private address while
    WEBHOOKS_ALLOW_PRIVATE_TARGETS is off.
    """
    now = now or timezone.now()
    secret = signing.secret_generate()
    subscription = WebhookSubscription.objects.create(
        name=_clean_name(name),
        url=_clean_url(url),
        event_types=_clean_event_types(event_types),
        include_internal_notes=include_internal_notes,
        is_active=is_active,
        secret=secret,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    feed_cursors_ensure()
    return subscription, secret


UPDATABLE_FIELDS = frozenset({"name", "url", "event_types", "include_internal_notes", "is_active"})


@transaction.atomic
def webhook_subscription_update(
    *, subscription_id: int, now: datetime | None = None, **fields: Any
) -> WebhookSubscription:
    """Change a subscription's name, URL, events, internal-notes choice or active flag.

    Turning `is_active` off parks its pending deliveries; on again resumes them (see
    webhook_subscription_enable). Raises DomainError for an unknown field or an invalid value.
    """
    now = now or timezone.now()
    unknown = sorted(set(fields) - UPDATABLE_FIELDS)
    if unknown:
        raise DomainError(
            "Unknown field.", field_errors={name: ["Not a changeable field."] for name in unknown}
        )
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    if "name" in fields:
        subscription.name = _clean_name(fields["name"])
    if "url" in fields:
        subscription.url = _clean_url(fields["url"])
    if "event_types" in fields:
        subscription.event_types = _clean_event_types(fields["event_types"])
    if "include_internal_notes" in fields:
        subscription.include_internal_notes = bool(fields["include_internal_notes"])
    subscription.updated_at = now
    subscription.save()
    if "is_active" in fields and bool(fields["is_active"]) != subscription.is_active:
        if fields["is_active"]:
            _enable(subscription, now)
        else:
            _disable(subscription, reason="", now=now, notify=False)
    return subscription


def webhook_subscription_delete(*, subscription_id: int) -> None:
    """Delete a subscription with its deliveries and their attempt logs."""
    WebhookSubscription.objects.filter(pk=subscription_id).delete()


@transaction.atomic
def webhook_subscription_rotate_secret(
    *, subscription_id: int, keep_previous_for: timedelta = timedelta(0), now: datetime | None = None
) -> tuple[WebhookSubscription, str]:
    """Give a subscription a new secret and return it (shown once).

    With `keep_previous_for`, deliveries carry a second signature made with the old secret until
    then (at most 7 days), so the receiver can switch without refusing anything. Raises
    DomainError for a negative or longer overlap.
    """
    now = now or timezone.now()
    if not timedelta(0) <= keep_previous_for <= MAX_SECRET_OVERLAP:
        raise DomainError(
            "Invalid overlap.", field_errors={"keep_previous_hours": ["Choose from 0 to 168 hours."]}
        )
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    secret = signing.secret_generate()
    if keep_previous_for > timedelta(0):
        subscription.previous_secret = subscription.secret
        subscription.previous_secret_expires_at = now + keep_previous_for
    else:
        subscription.previous_secret, subscription.previous_secret_expires_at = "", None
    subscription.secret = secret
    subscription.updated_at = now
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return subscription, secret


@transaction.atomic
def webhook_subscription_enable(*, subscription_id: int, now: datetime | None = None) -> WebhookSubscription:
    """Turn a subscription (back) on: clear why it was disabled and resume its parked deliveries.

    Idempotent. Deliveries that already failed stay failed; redeliver them one by one.
    """
    now = now or timezone.now()
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    if not subscription.is_active:
        _enable(subscription, now)
    return subscription


def _enable(subscription: WebhookSubscription, now: datetime) -> None:
    subscription.is_active = True
    subscription.disabled_at, subscription.disabled_reason = None, ""
    subscription.failing_since, subscription.failed_deliveries_in_row = None, 0
    subscription.updated_at = now
    subscription.save()
    feed_cursors_ensure()
    WebhookDelivery.objects.filter(
        subscription=subscription, status=DeliveryStatus.PENDING, next_attempt_at__isnull=True
    ).update(next_attempt_at=now)


def _disable(subscription: WebhookSubscription, *, reason: str, now: datetime, notify: bool) -> None:
    """Turn a locked subscription off and park its pending deliveries; alert admins when `notify`.

    Parked deliveries keep their place (status pending, no due instant) and resume on enable;
    an attempt in flight records its answer but schedules nothing.
    """
    subscription.is_active = False
    subscription.disabled_at = now
    subscription.disabled_reason = reason[:200]
    subscription.updated_at = now
    subscription.save()
    WebhookDelivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).update(
        next_attempt_at=None, claim_token=""
    )
    if not notify:
        return
    logger.warning(
        "webhooks.subscription_disabled", extra={"subscription_id": subscription.pk, "reason": reason}
    )
    owner = subscription.created_by_id
    recipients = [*selectors.admin_ids(), *([owner] if owner else [])]
    account_services.notifications_create(
        recipient_ids=recipients,
        kind=NotificationKind.WEBHOOK_DISABLED,
        source=f"helpdesk.webhook:{subscription.pk}:{int(now.timestamp())}",
        title=f"Webhook “{subscription.name}” was disabled: {reason}",
        data={"subscription_id": subscription.pk, "reason": reason},
        now=now,
    )


def subscription_disable_for_failures(
    subscription: WebhookSubscription, *, reason: str, now: datetime
) -> None:
    """Disable a locked subscription that keeps failing, and notify its owner and the admins."""
    _disable(subscription, reason=reason, now=now, notify=True)
