"""Celery entry points for tickets; thin wrappers over tickets.services (STYLE.md C9)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets import services


@shared_task(name="tickets.escalate_breached_tickets", soft_time_limit=50, time_limit=60, ignore_result=True)
def escalate_breached_tickets_task() -> int:
    """Escalate tickets whose SLA breached, once per breach however many workers run this."""
    return services.tickets_escalate_breached(now=timezone.now())
