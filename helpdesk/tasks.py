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
