"""Celery entry points of the SLA engine; thin wrappers over sla.services (STYLE.md C9)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from sla import services


@shared_task(name="sla.sweep_due_clocks", soft_time_limit=50, time_limit=60, ignore_result=True)
def sweep_due_clocks_task() -> int:
    """Record every warning and breach that has come due; safe to run on many workers at once."""
    return services.clocks_sweep_due(now=timezone.now())


@shared_task(name="sla.run_reapply_jobs", soft_time_limit=3000, time_limit=3300, ignore_result=True)
def run_reapply_jobs_task() -> int:
    """Run queued policy re-apply jobs (and resume abandoned ones), reporting progress on each job row."""
    return services.reapply_jobs_run_pending()
