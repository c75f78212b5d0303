"""Sending deliveries: claim, POST, record the answer, retry with back-off, give up, redeliver.

A delivery is due when `next_attempt_at` has come. The dispatcher claims due deliveries with
FOR UPDATE SKIP LOCKED, giving each a `claim_token` and pushing `next_attempt_at` one lease
ahead, and queues one task per claim after commit. The task sends only while it still holds the
token; a lost task message or a dead worker just lets the lease lapse, and the next sweep claims
the delivery again. Delivery is therefore at least once: receivers dedupe on X-Helpdesk-Delivery.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.exceptions import Conflict
from helpdesk.models import User
from helpdesk.webhooks import backoff, http, signing
from helpdesk.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from helpdesk.webhooks.payloads import body_bytes
from helpdesk.webhooks.services.subscriptions import secrets_in_use, subscription_disable_for_failures

logger = logging.getLogger(__name__)

# Longer than a whole attempt (connect + read timeouts and the body) and a queue wait, so a claim
# lapses only when its task was lost.
CLAIM_LEASE = timedelta(minutes=2)
USER_AGENT = "Helpdesk-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: int
    token: str


# The CTE is materialized so the locking read runs exactly once (an IN (subquery) may be re-run).
_CLAIM_DUE = """
WITH due AS MATERIALIZED (
    SELECT pending.id FROM {delivery} AS pending
    JOIN {subscription} AS s ON s.id = pending.subscription_id
    WHERE pending.status = 'pending' AND pending.next_attempt_at <= %(now)s AND s.is_active
    ORDER BY pending.next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE OF pending SKIP LOCKED
)
UPDATE {delivery} AS d
SET claim_token = replace(gen_random_uuid()::text, '-', ''), next_attempt_at = %(lease_until)s
FROM due WHERE d.id = due.id
RETURNING d.id, d.claim_token
"""


def webhook_deliveries_claim_due(*, now: datetime, limit: int = 200) -> list[Claim]:
    """Claim up to `limit` due deliveries of active subscriptions; return the claims.

    One statement: rows locked by another dispatcher are skipped, so parallel sweeps share the
    work and never claim a delivery twice. Reads the partial index on pending due rows.
    """
    statement = _CLAIM_DUE.format(
        delivery=connection.ops.quote_name(WebhookDelivery._meta.db_table),
        subscription=connection.ops.quote_name(WebhookSubscription._meta.db_table),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, {"now": now, "lease_until": now + CLAIM_LEASE, "limit": limit})
        return [Claim(int(pk), str(token)) for pk, token in cursor.fetchall()]


def _send_queuer(claim: Claim) -> Callable[[], None]:
    # A named function, not a functools.partial: Django logs a robust callback's failure with
    # its __qualname__, which a partial lacks (the AttributeError would escape after commit).
    def queue_webhook_send() -> None:
        from helpdesk.webhooks.tasks import deliver_webhook_task  # the task module imports the services

        deliver_webhook_task.delay(claim.delivery_id, claim.token)

    return queue_webhook_send


def _enqueue_after_commit(claims: list[Claim]) -> None:
    for claim in claims:
        # robust: a broker outage must not fail the caller; the claim lapses and is swept again.
        transaction.on_commit(_send_queuer(claim), robust=True)


def webhook_deliveries_dispatch_due(*, now: datetime, limit: int = 200) -> int:
    """Claim due deliveries and queue one send task per claim after commit; return how many."""
    with transaction.atomic():
        claims = webhook_deliveries_claim_due(now=now, limit=limit)
        _enqueue_after_commit(claims)
    return len(claims)


def _headers(delivery: WebhookDelivery, body: bytes, at: datetime, attempt: int) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Helpdesk-Event": delivery.event_type,
        "X-Helpdesk-Delivery": str(delivery.uuid),
        "X-Helpdesk-Attempt": str(attempt),
        "X-Helpdesk-Timestamp": str(timestamp),
        "X-Helpdesk-Signature": signing.signature_header(
            secrets_in_use(delivery.subscription, now=at), timestamp, body
        ),
    }


def webhook_delivery_attempt(
    *, delivery_id: int, claim_token: str, now: datetime | None = None
) -> WebhookAttempt | None:
    """Send a claimed delivery once and record the answer; None when the claim is no longer held.

    2xx delivers it. 410 Gone fails it and disables the subscription. Anything else (other
    statuses, redirects, timeouts, refused addresses) is retried after a back-off until the
    delivery's attempts are used up; then it fails, which may disable the subscription.
    """
    at = now or timezone.now()
    # Renewing the lease proves the claim is still ours and keeps dispatchers off while sending.
    held = WebhookDelivery.objects.filter(
        pk=delivery_id, claim_token=claim_token, status=DeliveryStatus.PENDING
    ).update(next_attempt_at=at + CLAIM_LEASE)
    if not held:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return None  # deleted with its subscription meanwhile
    body = body_bytes(delivery.payload)
    result = http.post(
        delivery.subscription.url,
        body,
        _headers(delivery, body, at, delivery.attempt_count + 1),
        connect_timeout=settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS,
        read_timeout=settings.WEBHOOKS_READ_TIMEOUT_SECONDS,
        allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
    )
    return _attempt_record(delivery_id=delivery_id, claim_token=claim_token, result=result, at=at)


def _failure_reason(subscription: WebhookSubscription, at: datetime) -> str:
    """Return why a subscription should be disabled after a delivery gave up ("" to keep it)."""
    in_row = subscription.failed_deliveries_in_row
    if in_row >= settings.WEBHOOKS_DISABLE_AFTER_FAILED_DELIVERIES:
        return f"{in_row} deliveries in a row failed after every retry."
    since = subscription.failing_since
    if since is not None and at - since >= timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_FAILING_HOURS):
        return f"Deliveries have failed without a success since {since:%Y-%m-%d %H:%M} UTC."
    return ""


def _jitter() -> float:
    return secrets.randbelow(1_000_000) / 1_000_000


@transaction.atomic
def _attempt_record(
    *, delivery_id: int, claim_token: str, result: http.HttpResult, at: datetime
) -> WebhookAttempt | None:
    """Log the attempt and move the delivery and its subscription on, under both rows' locks.

    Locks the subscription before the delivery, as enabling and disabling do. A success always
    counts (even from a claim that lapsed meanwhile); a failure decides the delivery's next step
    only while its claim is still the current one.
    """
    subscription_id = (
        WebhookDelivery.objects.filter(pk=delivery_id).values_list("subscription_id", flat=True).first()
    )
    subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if subscription is None or delivery is None:
        return None  # deleted while the request was in flight
    number = delivery.attempt_count + 1
    code = result.status_code
    is_success = code is not None and 200 <= code < 300
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        started_at=at,
        duration_ms=result.duration_ms,
        status_code=code,
        error=result.error,
        response_body=result.body,
        is_success=is_success,
    )
    delivery.attempt_count, delivery.last_attempt_at = number, at
    delivery.last_status_code, delivery.last_error = code, result.error
    is_current = delivery.claim_token == claim_token and delivery.status == DeliveryStatus.PENDING
    if is_success:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, at
        delivery.next_attempt_at, delivery.claim_token = None, ""
        subscription.failing_since, subscription.failed_deliveries_in_row = None, 0
        subscription.last_success_at = at
    else:
        subscription.last_failure_at = at
        subscription.failing_since = subscription.failing_since or at
        if is_current:
            _after_failure(delivery, subscription, number=number, code=code, at=at)
    subscription.save(
        update_fields=["failing_since", "failed_deliveries_in_row", "last_success_at", "last_failure_at"]
    )
    delivery.save(
        update_fields=[
            "attempt_count",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
            "claim_token",
        ]
    )
    logger.info(
        "webhooks.attempt",
        extra={"delivery_id": delivery_id, "attempt": number, "status_code": code, "success": is_success},
    )
    return attempt


def _after_failure(
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    *,
    number: int,
    code: int | None,
    at: datetime,
) -> None:
    delivery.claim_token = ""
    if code == 410:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        if subscription.is_active:
            subscription_disable_for_failures(
                subscription,
                reason="The endpoint answered 410 Gone: it asked for no more deliveries.",
                now=at,
            )
        return
    if number < delivery.attempts_allowed:
        delivery.next_attempt_at = at + backoff.retry_delay(
            number,
            base_seconds=settings.WEBHOOKS_RETRY_BASE_SECONDS,
            cap_seconds=settings.WEBHOOKS_RETRY_MAX_SECONDS,
            jitter=_jitter(),
        )
        return
    delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    subscription.failed_deliveries_in_row += 1
    reason = _failure_reason(subscription, at)
    if reason and subscription.is_active:
        subscription_disable_for_failures(subscription, reason=reason, now=at)


@transaction.atomic
def webhook_delivery_redeliver(
    *, delivery_id: int, actor: User | None, now: datetime | None = None
) -> WebhookDelivery:
    """Queue one more attempt of a delivery now: same delivery id, same payload, a fresh signature.

    Works on delivered, failed and waiting deliveries; the attempt is sent by a task after
    commit. Raises Conflict when the subscription is disabled or an attempt is being sent.
    """
    at = now or timezone.now()
    subscription_id = (
        WebhookDelivery.objects.filter(pk=delivery_id).values_list("subscription_id", flat=True).first()
    )
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    if not subscription.is_active:
        raise Conflict("The subscription is disabled; enable it before redelivering.")
    in_flight = (
        delivery.claim_token and delivery.next_attempt_at is not None and delivery.next_attempt_at > at
    )
    if delivery.status == DeliveryStatus.PENDING and in_flight:
        raise Conflict("An attempt of this delivery is being sent right now.")
    claim = Claim(delivery.pk, secrets.token_hex(16))
    delivery.status, delivery.delivered_at = DeliveryStatus.PENDING, None
    delivery.attempts_allowed = max(delivery.attempts_allowed, delivery.attempt_count + 1)
    delivery.claim_token, delivery.next_attempt_at = claim.token, at + CLAIM_LEASE
    delivery.redelivered_at, delivery.redelivered_by = at, actor
    delivery.save(
        update_fields=[
            "status",
            "delivered_at",
            "attempts_allowed",
            "claim_token",
            "next_attempt_at",
            "redelivered_at",
            "redelivered_by",
        ]
    )
    _enqueue_after_commit([claim])
    return delivery


def webhook_deliveries_purge(*, now: datetime, batch_size: int = 2000) -> int:
    """Delete finished deliveries (and their attempts) older than the retention; return how many.

    Pending deliveries are kept whatever their age. Deletes in batches so no transaction is long.
    """
    cutoff = now - timedelta(days=settings.WEBHOOKS_DELIVERY_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            WebhookDelivery.objects.filter(created_at__lt=cutoff)
            .exclude(status=DeliveryStatus.PENDING)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            WebhookAttempt.objects.filter(delivery_id__in=ids).delete()
            count, _ = WebhookDelivery.objects.filter(pk__in=ids).delete()
        deleted += count
