"""Celery entry points of the metrics app; thin wrappers over metrics.services (STYLE.md C9)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from metrics import services


@shared_task(name="metrics.sweep_surveys", soft_time_limit=50, time_limit=60, ignore_result=True)
def sweep_surveys_task() -> int:
    """Decide and e-mail the surveys that have come due; safe to run on many workers at once."""
    report = services.surveys_sweep_due(now=timezone.now())
    return report.sent
