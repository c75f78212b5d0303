"""Background re-application of SLA policies to open tickets, with progress on a job row."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk.models import Organization, User
from sla.models import BusinessCalendar, ReapplyStatus, SlaPolicy, SlaReapplyJob
from sla.services.clocks import clocks_replan, ticket_sla_apply
from tickets import selectors as ticket_selectors

logger = logging.getLogger(__name__)
CHUNK = 200
# A running job whose worker has not reported for this long is taken over by the next run.
STALE_AFTER = timedelta(minutes=5)


def reapply_job_create(
    *,
    actor: User | None,
    policy: SlaPolicy | None = None,
    organization: Organization | None = None,
    calendar: BusinessCalendar | None = None,
    rematch: bool = True,
) -> SlaReapplyJob:
    """Queue a re-apply job; the beat-driven runner picks it up within seconds (no broker needed)."""
    return SlaReapplyJob.objects.create(
        policy=policy, organization=organization, calendar=calendar, rematch=rematch, requested_by=actor
    )


def _scope(job: SlaReapplyJob) -> dict[str, Any]:
    if job.policy_id:
        return {"sla__policy_version__policy_id": job.policy_id}
    if job.organization_id:
        return {"organization_id": job.organization_id}
    if job.calendar_id:
        return {"sla_clocks__calendar_id": job.calendar_id}
    return {}


def _claim(job_id: int, now: datetime) -> bool:
    stale = now - STALE_AFTER
    return bool(
        SlaReapplyJob.objects.filter(pk=job_id, status=ReapplyStatus.QUEUED).update(
            status=ReapplyStatus.RUNNING, heartbeat_at=now
        )
        or SlaReapplyJob.objects.filter(
            pk=job_id, status=ReapplyStatus.RUNNING, heartbeat_at__lt=stale
        ).update(heartbeat_at=now)
    )


def reapply_job_run(*, job_id: int) -> int:
    """Run (or resume) one job to the end; return how many tickets it re-planned in this call.

    Each ticket is re-planned under its row lock in its own transaction, so ticket writes
    carry on meanwhile; progress is written after every chunk.
    """
    if not _claim(job_id, timezone.now()):
        return 0
    job = SlaReapplyJob.objects.get(pk=job_id)
    scope = _scope(job)
    if job.total == 0:
        job.total = ticket_selectors.open_ticket_count(**scope)
        job.save(update_fields=["total"])
    handled = 0
    try:
        while True:
            ids = ticket_selectors.open_ticket_ids_after(after_id=job.last_ticket_id, limit=CHUNK, **scope)
            if not ids:
                break
            for ticket_id in ids:
                with transaction.atomic():
                    ticket = ticket_selectors.ticket_lock_for_sla(ticket_id)
                    if ticket is None:
                        continue
                    now = timezone.now()
                    if job.rematch:
                        ticket_sla_apply(
                            ticket=ticket_selectors.ticket_get_for_sla(ticket_id), now=now, force=True
                        )
                    clocks_replan(ticket_id=ticket_id, now=now)
                handled += 1
            job.last_ticket_id = ids[-1]
            job.done = min(job.total, job.done + len(ids))
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["last_ticket_id", "done", "heartbeat_at"])
    except Exception as error:
        logger.exception("sla.reapply_failed", extra={"job": job_id})
        SlaReapplyJob.objects.filter(pk=job_id).update(status=ReapplyStatus.FAILED, error=str(error)[:2000])
        raise
    SlaReapplyJob.objects.filter(pk=job_id).update(
        status=ReapplyStatus.DONE, done=job.total, finished_at=timezone.now()
    )
    return handled


def reapply_jobs_run_pending() -> int:
    """Run every queued job (and any whose worker died); return tickets re-planned."""
    total = 0
    stale = timezone.now() - STALE_AFTER
    pending = SlaReapplyJob.objects.filter(status=ReapplyStatus.QUEUED).values_list("pk", flat=True)
    abandoned = SlaReapplyJob.objects.filter(
        status=ReapplyStatus.RUNNING, heartbeat_at__lt=stale
    ).values_list("pk", flat=True)
    for job_id in [*pending, *abandoned]:
        total += reapply_job_run(job_id=job_id)
    return total
