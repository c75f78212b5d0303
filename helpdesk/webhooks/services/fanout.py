"""Fan-out: turn new event-log rows into one delivery per interested subscription, exactly once.

The event logs (TicketEvent, SlaEvent) are written in the same transaction as every change, so
they are an outbox nobody had to add to the write paths. Each source table has a cursor row; a
sweep locks it (SKIP LOCKED: an overlapping sweep skips the source instead of waiting), reads the
rows past its position and in its gaps (helpdesk/webhooks/feed.py), and inserts deliveries under
the unique (subscription, source, source id) constraint in the same transaction as the new
position. A sweep that dies rolls back whole and the next one redoes exactly that batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction

from helpdesk.webhooks import feed, selectors
from helpdesk.webhooks.models import WebhookDelivery, WebhookFeedCursor, WebhookSource, WebhookSubscription
from helpdesk.webhooks.payloads import OutboundEvent, sla_events_outbound, ticket_events_outbound
from tickets import selectors as ticket_selectors

logger = logging.getLogger(__name__)

# Give up waiting for an id to commit after this long: only a transaction left open for an hour
# could still fill it. Such a loss is logged.
MAX_GAP_AGE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class FeedSource:
    name: str
    last_id: Callable[[], int]
    read: Callable[..., Sequence[Any]]
    outbound: Callable[[Sequence[Any], Collection[str]], list[OutboundEvent]]


# sla.selectors is imported when first used: importing it before sla.services is a cycle in sla,
# and this module loads early (from helpdesk's admin, before sla's).
def _sla_event_last_id() -> int:
    from sla import selectors

    return selectors.sla_event_last_id()


def _sla_events_for_feed(**kwargs: Any) -> Sequence[Any]:
    from sla import selectors

    return selectors.sla_events_for_feed(**kwargs)


SOURCES = (
    FeedSource(
        WebhookSource.TICKET_EVENT,
        ticket_selectors.ticket_event_last_id,
        ticket_selectors.ticket_events_for_feed,
        ticket_events_outbound,
    ),
    FeedSource(WebhookSource.SLA_EVENT, _sla_event_last_id, _sla_events_for_feed, sla_events_outbound),
)


def feed_cursors_ensure() -> None:
    """Create each source's cursor at the current end of its table, when missing.

    A feed starts when the first subscription is created: earlier events are never sent.
    """
    for source in SOURCES:
        if not WebhookFeedCursor.objects.filter(source=source.name).exists():
            WebhookFeedCursor.objects.get_or_create(
                source=source.name, defaults={"position": source.last_id()}
            )


def _snapshot_bounds() -> tuple[int, int]:
    """Return (xmin, xmax) of a fresh snapshot: the oldest running and the next transaction id."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint "
            "FROM pg_current_snapshot() AS s"
        )
        oldest, following = cursor.fetchone()
    return int(oldest), int(following)


def _deliveries(
    events: Sequence[OutboundEvent], subscriptions: Sequence[WebhookSubscription], now: datetime
) -> list[WebhookDelivery]:
    attempts = settings.WEBHOOKS_MAX_ATTEMPTS
    return [
        WebhookDelivery(
            subscription=subscription,
            event_type=event.event_type,
            source=event.source,
            source_id=event.source_id,
            ticket_id=event.ticket_id,
            payload=event.payload,
            attempts_allowed=attempts,
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
        for subscription in subscriptions
        if subscription.wants(event.event_type, is_internal=event.is_internal)
    ]


def _fan_out_batch(source: FeedSource, *, now: datetime, batch_size: int) -> tuple[int, bool]:
    """Fan out one batch of one source in the caller's transaction; return (deliveries, more to read)."""
    cursor = WebhookFeedCursor.objects.select_for_update(skip_locked=True).filter(source=source.name).first()
    if cursor is None:
        return 0, False  # another sweep holds it (or no subscription was ever created)
    subscriptions = selectors.subscriptions_active()
    if not subscriptions:
        # Nobody listens: skip to the end, so a subscription created later starts from then.
        end = max(cursor.position, source.last_id())
        if (end, cursor.gaps) != (cursor.position, []):
            cursor.position, cursor.gaps, cursor.updated_at = end, [], now
            cursor.save()
        return 0, False
    # Before reading: a gap may only close on a snapshot older than the read (see feed.py).
    oldest_running, next_xid = _snapshot_bounds()
    state = feed.FeedState(cursor.position, tuple(feed.Gap.from_json(gap) for gap in cursor.gaps))
    rows = source.read(after_id=state.position, limit=batch_size, id_ranges=state.gap_ranges)
    fresh = [row.pk for row in rows if row.pk > state.position]
    advanced = feed.advance(
        state,
        found=[row.pk for row in rows],
        read_through=max(fresh, default=None),
        oldest_running_xid=oldest_running,
        next_xid=next_xid,
        now=now.timestamp(),
        max_gap_age=MAX_GAP_AGE_SECONDS,
    )
    for gap in advanced.abandoned:
        logger.warning(
            "webhooks.feed_gap_abandoned",
            extra={"source": source.name, "low": gap.low, "high": gap.high},
        )
    if not rows and advanced.state == state:
        return 0, False  # the common case every few seconds: nothing new, nothing to write
    wanted = {event_type for subscription in subscriptions for event_type in subscription.event_types}
    created = _insert_deliveries(source, rows, wanted, subscriptions, now) if rows else 0
    cursor.position = advanced.state.position
    cursor.gaps = [gap.to_json() for gap in advanced.state.gaps]
    cursor.updated_at = now
    cursor.save()
    return created, len(fresh) >= batch_size


def _insert_deliveries(
    source: FeedSource,
    rows: Sequence[Any],
    wanted: Collection[str],
    subscriptions: Sequence[WebhookSubscription],
    now: datetime,
) -> int:
    """Insert the deliveries of `rows`; a row whose payload cannot be built is logged and skipped.

    A poisoned row must not stop the feed for good, nor take its batch with it: a failing batch
    is retried row by row. Lost connections are not swallowed (the whole batch rolls back).
    """
    try:
        with transaction.atomic():
            deliveries = _deliveries(source.outbound(rows, wanted), subscriptions, now)
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            return len(deliveries)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        if len(rows) > 1:
            return sum(_insert_deliveries(source, [row], wanted, subscriptions, now) for row in rows)
        logger.exception("webhooks.fan_out_failed", extra={"source": source.name, "source_id": rows[0].pk})
        return 0


def webhooks_fan_out(*, now: datetime, batch_size: int = 500, max_batches: int = 40) -> int:
    """Insert a delivery for every new event each active subscription wants; return how many.

    Exactly once per (subscription, event), however many sweeps overlap. Works through each
    source in batches, one transaction per batch, until it is caught up or `max_batches` ran.
    """
    total = 0
    for source in SOURCES:
        for _ in range(max_batches):
            with transaction.atomic():
                created, more = _fan_out_batch(source, now=now, batch_size=batch_size)
            total += created
            if not more:
                break
    return total
