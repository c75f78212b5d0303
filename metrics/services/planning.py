"""Deciding which surveys are owed: a CSAT per resolution come due, an NPS per customer and interval.

Nothing is scheduled per ticket. A resolution is due at resolved_at + csat_delay, read from the
ticket itself, so a reopen (which clears resolved_at) cancels it by construction and a survey
that came due while no worker ran is found by the next sweep. Each due resolution gets one
Survey row (pending, or skipped with its reason) under a unique (ticket, resolved_at) index.
One planner runs at a time (a transaction-scoped advisory lock): the quiet period compares a
customer's surveys with each other, which two parallel planners could not see.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from helpdesk.models import User
from metrics.models import NpsSchedule, SkipReason, Survey, SurveyKind, SurveySettings, SurveyStatus
from tickets import selectors as ticket_selectors
from tickets.models import Ticket

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the survey planner ("surv" in ASCII); unique in this database.
PLANNING_LOCK_KEY = 0x73757276


def _planning_lock() -> bool:
    """Take the planner's lock for this transaction; False when another planner holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [PLANNING_LOCK_KEY])
        row = cursor.fetchone()
    return bool(row and row[0])


def is_reachable(user: User) -> bool:
    """Return whether `user` may be sent a survey: an active customer with an e-mail address."""
    return bool(user.is_active and user.is_customer and user.email)


def _recently_surveyed(
    requester_ids: Iterable[int], *, now: datetime, config: SurveySettings
) -> dict[int, datetime]:
    """Return, per customer surveyed within the quiet period, when the quiet period ends."""
    rows = Survey.objects.filter(requester_id__in=list(requester_ids)).filter(
        Q(sent_at__gt=now - config.quiet_period) | Q(status=SurveyStatus.PENDING)
    )
    ends: dict[int, datetime] = {}
    for requester_id, sent_at in rows.values_list("requester_id", "sent_at"):
        # A survey about to be sent counts as sent now.
        end = (sent_at or now) + config.quiet_period
        ends[requester_id] = max(end, ends.get(requester_id, end))
    return ends


def _csat_due_batch(*, now: datetime, config: SurveySettings, limit: int) -> list[Ticket]:
    until = now - config.csat_delay
    already = Survey.objects.filter(
        kind=SurveyKind.CSAT, ticket_id=OuterRef("pk"), resolved_at=OuterRef("resolved_at")
    )
    return list(
        ticket_selectors.tickets_resolved_between(after=until - config.csat_send_window, until=until)
        .exclude(Exists(already))
        .select_related("requester")
        .only(
            "id",
            "resolved_at",
            "assignee_id",
            "team_id",
            "requester__id",
            "requester__email",
            "requester__role",
            "requester__is_active",
        )
        .order_by("resolved_at", "id")[:limit]
    )


def _csat_decide(tickets: Sequence[Ticket], *, now: datetime, config: SurveySettings) -> list[Survey]:
    tagged = ticket_selectors.ticket_ids_with_tag([ticket.pk for ticket in tickets], config.skip_tag)
    quiet = _recently_surveyed({ticket.requester_id for ticket in tickets}, now=now, config=config)
    surveys = []
    for ticket in tickets:  # oldest resolution first: it wins a customer's quiet period
        if ticket.pk in tagged:
            reason = SkipReason.SKIP_TAG
        elif not is_reachable(ticket.requester):
            reason = SkipReason.UNREACHABLE
        elif ticket.requester_id in quiet:
            reason = SkipReason.QUIET_PERIOD
        else:
            reason = SkipReason.NONE
            quiet[ticket.requester_id] = now + config.quiet_period
        assert ticket.resolved_at is not None
        surveys.append(
            Survey(
                kind=SurveyKind.CSAT,
                status=SurveyStatus.SKIPPED if reason else SurveyStatus.PENDING,
                skip_reason=reason,
                requester_id=ticket.requester_id,
                ticket_id=ticket.pk,
                resolved_at=ticket.resolved_at,
                agent_id=ticket.assignee_id,
                team_id=ticket.team_id,
                due_at=ticket.resolved_at + config.csat_delay,
                created_at=now,
            )
        )
    return surveys


def csat_surveys_plan_due(*, now: datetime, config: SurveySettings, batch_size: int = 500) -> int:
    """Decide every CSAT survey due by `now`: pending (to send) or skipped with a reason.

    Returns how many resolutions were decided. Resolutions due longer ago than csat_send_window
    are never surveyed. Each decided customer gets an NPS schedule (first due one nps_interval
    later) if they have none. Safe to run concurrently: a second planner returns 0 at once.
    """
    if not config.csat_enabled:
        return 0
    decided = 0
    while True:
        with transaction.atomic():
            if not _planning_lock():
                return decided
            tickets = _csat_due_batch(now=now, config=config, limit=batch_size)
            surveys = _csat_decide(tickets, now=now, config=config)
            Survey.objects.bulk_create(surveys, ignore_conflicts=True)
            NpsSchedule.objects.bulk_create(
                [
                    NpsSchedule(customer_id=pk, next_due_at=now + config.nps_interval, created_at=now)
                    for pk in sorted(
                        {
                            survey.requester_id
                            for survey in surveys
                            if survey.skip_reason != SkipReason.UNREACHABLE
                        }
                    )
                ],
                ignore_conflicts=True,
            )
        decided += len(surveys)
        if len(tickets) < batch_size:
            if decided:
                logger.info("csat surveys decided", extra={"decided": decided})
            return decided


def nps_surveys_plan_due(*, now: datetime, config: SurveySettings, batch_size: int = 500) -> int:
    """Create the NPS surveys whose customers' schedules are due; return how many were created.

    A customer surveyed within the quiet period is postponed to its end; one who is no longer an
    active customer loses the schedule (their next resolution creates it again).
    """
    if not config.nps_enabled:
        return 0
    created = 0
    while True:
        with transaction.atomic():
            if not _planning_lock():
                return created
            schedules = list(
                NpsSchedule.objects.select_for_update(of=("self",))
                .select_related("customer")
                .filter(next_due_at__lte=now)
                .order_by("next_due_at", "customer_id")[:batch_size]
            )
            quiet = _recently_surveyed([s.customer_id for s in schedules], now=now, config=config)
            surveys, gone = [], []
            for schedule in schedules:
                if not is_reachable(schedule.customer):
                    gone.append(schedule.customer_id)
                    continue
                if schedule.customer_id in quiet:
                    schedule.next_due_at = quiet[schedule.customer_id]
                    continue
                surveys.append(
                    Survey(
                        kind=SurveyKind.NPS,
                        requester_id=schedule.customer_id,
                        due_at=schedule.next_due_at,
                        created_at=now,
                    )
                )
                schedule.next_due_at = now + config.nps_interval
            Survey.objects.bulk_create(surveys, ignore_conflicts=True)
            NpsSchedule.objects.bulk_update(
                [s for s in schedules if s.customer_id not in gone], ["next_due_at"]
            )
            NpsSchedule.objects.filter(customer_id__in=gone).delete()
        created += len(surveys)
        if len(schedules) < batch_size:
            return created
