"""Celery entry points of the webhooks; thin wrappers over helpdesk.webhooks.services (STYLE.md C9).

Registered through helpdesk/tasks.py (Celery discovers `<app>.tasks`).
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from helpdesk.webhooks import services


@shared_task(name="helpdesk.sweep_webhooks", soft_time_limit=50, time_limit=60, ignore_result=True)
def sweep_webhooks_task() -> int:
    """Fan out new events into deliveries, then claim due deliveries and queue their sends.

    Safe on many workers at once: cursors and deliveries are claimed with SKIP LOCKED.
    """
    services.webhooks_fan_out(now=timezone.now())
    return services.webhook_deliveries_dispatch_due(now=timezone.now())


# Not acks_late: a lost message only lets the claim's lease lapse, and the sweep claims it again.
@shared_task(name="helpdesk.deliver_webhook", soft_time_limit=60, time_limit=90, ignore_result=True)
def deliver_webhook_task(delivery_id: int, claim_token: str) -> None:
    """POST one claimed delivery; a no-op when the claim was taken over or the delivery is done."""
    services.webhook_delivery_attempt(delivery_id=delivery_id, claim_token=claim_token)


@shared_task(
    name="helpdesk.purge_webhook_deliveries", soft_time_limit=300, time_limit=360, ignore_result=True
)
def purge_webhook_deliveries_task() -> int:
    """Delete finished deliveries past their retention."""
    return services.webhook_deliveries_purge(now=timezone.now())
