"""One-off deliveries: a rule's or macro's "call a webhook" action, and survey answers without a ticket event.

Fanned-out events come from the event logs after commit; these are enqueued by the write itself,
in its transaction. Each delivery row is inserted already claimed, with a dedupe key unique per
subscription (INSERT … ON CONFLICT DO NOTHING), and its send task is queued after commit. So:

- a write that rolls back (or a rule whose savepoint rolls back) leaves no delivery and sends
  nothing;
- the same occurrence enqueued again (a re-run time rule, a retried write) inserts nothing;
- the HTTP happens in the usual delivery task: signed, retried with back-off, logged, counted
  toward auto-disabling, redeliverable. A lost task only lets the claim lapse; the sweep sends it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from helpdesk.webhooks import selectors
from helpdesk.webhooks.models import (
    WebhookDelivery,
    WebhookEventType,
    WebhookSource,
    WebhookSubscription,
)
from helpdesk.webhooks.payloads import automation_payload, survey_payload
from helpdesk.webhooks.services.delivery import CLAIM_LEASE, Claim, _enqueue_after_commit
from tickets import selectors as ticket_selectors

AUTOMATION_SOURCES = {
    WebhookSource.RULE: WebhookEventType.AUTOMATION_RULE_FIRED,
    WebhookSource.MACRO: WebhookEventType.AUTOMATION_MACRO_APPLIED,
}
DEDUPE_KEY_MAX_LENGTH = 200


class WebhookEndpointUnavailable(DomainError):
    """The webhook an automation action names is gone, switched off or does not accept the call."""

    code = "webhook_unavailable"


def _share_locked(where: str, params: Sequence[Any]) -> list[WebhookSubscription]:
    # FOR SHARE: disabling a subscription (FOR UPDATE) waits for this transaction and then parks
    # what it inserted, or this read waits for the disabling and sees it off. Concurrent
    # enqueuers share the lock, so rules calling one endpoint do not queue behind each other.
    table = connection.ops.quote_name(WebhookSubscription._meta.db_table)
    query = f"SELECT * FROM {table} WHERE {where} ORDER BY id FOR SHARE"  # noqa: S608
    return list(WebhookSubscription.objects.raw(query, params))


def webhook_deliveries_enqueue(
    *,
    subscriptions: Sequence[WebhookSubscription],
    event_type: str,
    source: str,
    source_id: int,
    ticket_id: int | None,
    payload: Mapping[str, Any],
    dedupe_key: str,
    now: datetime,
) -> list[WebhookDelivery]:
    """Insert one claimed delivery per subscription unless it already has one with `dedupe_key`.

    Returns the deliveries this call inserted; their sends are queued after commit. Call inside
    the transaction of the write the deliveries belong to.
    """
    if not dedupe_key or len(dedupe_key) > DEDUPE_KEY_MAX_LENGTH:
        raise ValueError(f"A dedupe key of 1-{DEDUPE_KEY_MAX_LENGTH} characters is required.")
    if not subscriptions:
        return []
    token = secrets.token_hex(16)
    # The lease counts from the real clock (the dispatcher's), whatever instant the write records.
    lease_until = timezone.now() + CLAIM_LEASE
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=subscription,
                event_type=event_type,
                source=source,
                source_id=source_id,
                dedupe_key=dedupe_key,
                ticket_id=ticket_id,
                payload=dict(payload),
                attempts_allowed=settings.WEBHOOKS_MAX_ATTEMPTS,
                next_attempt_at=lease_until,
                claim_token=token,
                created_at=now,
            )
            for subscription in subscriptions
        ],
        ignore_conflicts=True,
    )
    # Rows holding this call's token are the ones it inserted (a conflict keeps the older row).
    inserted = list(
        WebhookDelivery.objects.filter(dedupe_key=dedupe_key, claim_token=token)
        .defer("payload")
        .order_by("pk")
    )
    _enqueue_after_commit([Claim(delivery.pk, token) for delivery in inserted])
    return inserted


def webhook_automation_call(
    *,
    subscription_id: int,
    source: str,
    source_id: int,
    name: str,
    ticket_id: int,
    trigger: Mapping[str, Any],
    actor: User | None,
    dedupe_key: str,
    now: datetime,
) -> WebhookDelivery | None:
    """Enqueue the signed POST of a rule's (`source` "rule") or macro's ("macro") webhook action.

    The body describes the ticket as it is now (after the rule's earlier actions), the rule or
    macro and what set it off (`trigger`); the event type is automation.rule_fired or
    automation.macro_applied. Returns None when a delivery with `dedupe_key` already exists.
    Raises WebhookEndpointUnavailable when the subscription is gone, switched off or does not
    accept that event type.
    """
    event_type = AUTOMATION_SOURCES.get(source)  # type: ignore[call-overload]
    if event_type is None:
        raise ValueError(f"Unknown automation source {source!r}.")
    locked = _share_locked("id = %s", [subscription_id])
    problem = selectors.automation_endpoint_problem(locked[0] if locked else None, event_type)
    if problem:
        raise WebhookEndpointUnavailable(problem)
    ticket = ticket_selectors.tickets_get_for_webhooks([ticket_id])[ticket_id]
    payload = automation_payload(
        event_type=event_type,
        dedupe_key=dedupe_key,
        ticket=ticket,
        actor=actor,
        occurred_at=now,
        automation={"kind": source, "id": source_id, "name": name, "trigger": dict(trigger)},
    )
    inserted = webhook_deliveries_enqueue(
        subscriptions=locked,
        event_type=event_type,
        source=source,
        source_id=source_id,
        ticket_id=ticket_id,
        payload=payload,
        dedupe_key=dedupe_key,
        now=now,
    )
    return inserted[0] if inserted else None


def webhook_survey_answered(
    *,
    survey_id: int,
    kind: str,
    score: int,
    previous: int | None,
    scale_max: int,
    requester_id: int | None,
    ticket_id: int | None,
    dedupe_key: str,
    now: datetime,
) -> int:
    """Enqueue survey.answered for an answer that writes no ticket event (NPS, CES); return how many.

    Every active subscription to survey.answered gets one delivery per `dedupe_key`. (CSAT
    answers are ticket events, fanned out like any other.)
    """
    subscriptions = _share_locked(
        "is_active AND %s = ANY(event_types)", [WebhookEventType.SURVEY_ANSWERED.value]
    )
    if not subscriptions:
        return 0
    ticket = ticket_selectors.tickets_get_for_webhooks([ticket_id]).get(ticket_id) if ticket_id else None
    actor = selectors.users_get([requester_id]).get(requester_id) if requester_id else None
    payload = survey_payload(
        dedupe_key=dedupe_key,
        ticket=ticket,
        actor=actor,
        occurred_at=now,
        survey={
            "survey_id": survey_id,
            "kind": kind,
            "score": score,
            "scale_max": scale_max,
            "previous": previous,
        },
    )
    inserted = webhook_deliveries_enqueue(
        subscriptions=subscriptions,
        event_type=WebhookEventType.SURVEY_ANSWERED,
        source=WebhookSource.SURVEY,
        source_id=survey_id,
        ticket_id=ticket.pk if ticket is not None else None,
        payload=payload,
        dedupe_key=dedupe_key,
        now=now,
    )
    return len(inserted)
