"""Celery entry points of the metrics app; thin wrappers over metrics.services (STYLE.md C9)."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from metrics import services
from metrics.reporting.refresh import metrics_refresh


@shared_task(name="metrics.sweep_surveys", soft_time_limit=50, time_limit=60, ignore_result=True)
def sweep_surveys_task() -> int:
    """Decide and e-mail the surveys that have come due; safe to run on many workers at once."""
    report = services.surveys_sweep_due(now=timezone.now())
    return report.sent


@shared_task(
    name="metrics.send_weekly_report",
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
    ignore_result=True,
)
def send_weekly_report_task() -> bool:
    """Make sure last week's voice-of-customer report is computed and e-mailed to managers, once.

    Idempotent: a sent week costs one lookup; the e-mail is claimed (a refused send rolls the
    claim back for the retry).
    """
    return services.weekly_report_send_last_week(now=timezone.now())


@shared_task(name="metrics.refresh_facts", soft_time_limit=50, time_limit=60, ignore_result=True)
def refresh_facts_task() -> int:
    """Bring metric facts, rollups and live figures up to date; overlapping runs skip (a row lock)."""
    return metrics_refresh(now=timezone.now()).facts_changed
