"""Celery entry points for accounts and API housekeeping."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from helpdesk import services


@shared_task(name="helpdesk.purge_idempotency_keys", soft_time_limit=50)
def purge_idempotency_keys_task() -> int:
    """Drop idempotency records past their retry window."""
    return services.idempotency_keys_purge(
        now=timezone.now(), ttl=timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    )


@shared_task(
    name="helpdesk.email_due_notifications",
    soft_time_limit=50,
    time_limit=60,
    ignore_result=True,
)
def email_due_notifications_task() -> int:
    """Email alerts not yet emailed; a failed send stays queued for the next run."""
    return services.notifications_email_due(now=timezone.now())


# Webhook tasks live with the webhooks; importing them here registers them with Celery.
from helpdesk.webhooks.tasks import (  # noqa: E402, F401
    deliver_webhook_task,
    purge_webhook_deliveries_task,
    sweep_webhooks_task,
)
