"""The weekly voice-of-customer report: computed per Monday–Sunday week (UTC), stored, e-mailed once.

Tickets are read through tickets.selectors; the rules (what is a bug, who is at risk, which words
signal churn) are the pure functions of metrics/voc.py. A report is one WeeklyReport row per week:
computing again replaces its data, and the e-mail to managers is claimed with a compare-and-swap
of `emailed_at`, so repeated or overlapping beat runs send it once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from helpdesk import selectors as account_selectors
from helpdesk.models import Role, User
from metrics import voc
from metrics.models import Survey, SurveyKind, WeeklyReport
from tickets import selectors as tickets

_logger = logging.getLogger(__name__)

UNCATEGORISED = "Uncategorised"


def _change_section(
    since: datetime, split: datetime, until: datetime, tags: tuple[str, ...], slugs: tuple[str, ...]
) -> dict[str, Any]:
    def count(first: datetime, stop: datetime) -> int:
        return tickets.ticket_count_created_between_tagged(
            since=first, until=stop, tag_names=tags, category_slugs=slugs
        )

    return voc.change(count(split, until), count(since, split))


def _categories(current: dict[int | None, int], previous: dict[int | None, int]) -> list[dict[str, Any]]:
    names: dict[Any, str] = {None: UNCATEGORISED}
    names.update(tickets.category_paths(key for key in current if key is not None))
    rows = voc.top_with_change(current, previous, names)
    return [{"category_id": row.pop("key"), **row} for row in rows]


def _tags(start: datetime, end: datetime, previous_start: datetime) -> list[dict[str, Any]]:
    current = tickets.ticket_counts_by_tag_created_between(since=start, until=end)
    previous = tickets.ticket_counts_by_tag_created_between(since=previous_start, until=start)
    rows = voc.top_with_change(current, previous, {name: name for name in current})
    for row in rows:
        del row["key"]
    return rows


def _csat_rows(since: datetime, until: datetime) -> list[tuple[int | None, int, datetime]]:
    """(organization id of the customer who answered, score, answered_at) of CSAT ratings answered
    in [since, until); the window is read from survey_answered_idx."""
    return list(
        Survey.objects.filter(
            kind=SurveyKind.CSAT, score__isnull=False, answered_at__gte=since, answered_at__lt=until
        )
        .order_by()
        .values_list("requester__organization_id", "score", "answered_at")
    )


def _csat_totals(
    rows: list[tuple[int | None, int, datetime]], start: datetime, end: datetime, previous_start: datetime
) -> dict[str, Any]:
    this_week = [score for _, score, at in rows if start <= at < end]
    last_week = [score for _, score, at in rows if previous_start <= at < start]
    return {
        "average": voc.average(this_week),
        "responses": len(this_week),
        "previous_average": voc.average(last_week),
        "previous_responses": len(last_week),
    }


def _at_risk(
    start: datetime, end: datetime, csat_rows: list[tuple[int | None, int, datetime]]
) -> list[dict[str, Any]]:
    window_start = end - voc.RISK_WINDOW
    escalations = tickets.escalation_counts_by_organization(since=window_start, until=end)

    current: dict[int, list[int]] = defaultdict(list)
    previous: dict[int, list[int]] = defaultdict(list)
    for organization_id, score, at in csat_rows:
        if organization_id is not None:
            (current if at >= window_start else previous)[organization_id].append(score)
    csat = {
        organization_id: voc.CsatWindows(current=current[organization_id], previous=previous[organization_id])
        for organization_id in set(current) | set(previous)
    }

    mentions: dict[int, list[voc.ChurnMention]] = defaultdict(list)
    messages = tickets.customer_public_messages_matching(
        since=start, until=end, pattern=voc.churn_sql_pattern()
    )
    for organization_id, ticket_id, message_id, body in messages:
        terms = voc.churn_terms_in(body)
        if organization_id is not None and terms:
            mentions[organization_id].append(voc.ChurnMention(ticket_id, message_id, terms))

    names = account_selectors.names_for("organization", set(escalations) | set(csat) | set(mentions))
    return voc.at_risk_list(names=names, escalations=escalations, csat=csat, mentions=mentions)


def _wins(start: datetime, end: datetime) -> tuple[list[dict[str, Any]], int]:
    rows = [
        row
        for row in Survey.objects.filter(
            kind=SurveyKind.CSAT, score=voc.WIN_SCORE, answered_at__gte=start, answered_at__lt=end
        )
        .exclude(comment="")
        .order_by("answered_at", "id")
        .values_list("id", "ticket_id", "requester__organization__name", "comment", "answered_at")
        if row[3].strip()
    ]
    wins = [
        {
            "survey_id": survey_id,
            "ticket_id": ticket_id,
            "organization": organization,
            "comment": comment.strip(),
            "answered_at": answered_at.isoformat(),
        }
        for survey_id, ticket_id, organization, comment, answered_at in rows[: voc.WINS_LIMIT]
    ]
    return wins, len(rows)


def weekly_report_data(*, week_start: date) -> dict[str, Any]:
    """Return the report's sections for the week starting `week_start` (a Monday), as JSON values.

    Raises ValueError when `week_start` is not a Monday.
    """
    start, end = voc.week_bounds(week_start)
    previous_start = start - timedelta(days=7)
    csat_rows = _csat_rows(end - 2 * voc.RISK_WINDOW, end)
    by_category = tickets.ticket_counts_by_category_created_between(since=start, until=end)
    by_category_before = tickets.ticket_counts_by_category_created_between(since=previous_start, until=start)
    wins, wins_total = _wins(start, end)
    return {
        "version": voc.REPORT_VERSION,
        "week_start": week_start.isoformat(),
        "week_end": (week_start + timedelta(days=6)).isoformat(),
        "totals": {
            "tickets": voc.change(sum(by_category.values()), sum(by_category_before.values())),
            "csat": _csat_totals(csat_rows, start, end, previous_start),
        },
        "categories": _categories(by_category, by_category_before),
        "tags": _tags(start, end, previous_start),
        "feedback": {
            "bugs": _change_section(previous_start, start, end, voc.BUG_TAGS, voc.BUG_CATEGORY_SLUGS),
            "feature_requests": _change_section(
                previous_start, start, end, voc.FEATURE_REQUEST_TAGS, voc.FEATURE_REQUEST_CATEGORY_SLUGS
            ),
        },
        "at_risk": _at_risk(start, end, csat_rows),
        "wins": wins,
        "wins_total": wins_total,
        "rules": {
            "escalations_at_risk": voc.ESCALATIONS_AT_RISK,
            "risk_window_days": voc.RISK_WINDOW.days,
            "csat_drop": voc.CSAT_DROP,
            "csat_min_responses": voc.CSAT_MIN_RESPONSES,
            "churn_words": [label for label, _ in voc.CHURN_TERMS],
            "bug_tags": list(voc.BUG_TAGS),
            "bug_category_slugs": list(voc.BUG_CATEGORY_SLUGS),
            "feature_request_tags": list(voc.FEATURE_REQUEST_TAGS),
            "feature_request_category_slugs": list(voc.FEATURE_REQUEST_CATEGORY_SLUGS),
        },
    }


def weekly_report_compute(*, week_start: date, now: datetime) -> WeeklyReport:
    """Compute the week's report and store it: one row per week, its data replaced on a recompute.

    `emailed_at` is kept, so a recomputed report is not e-mailed again. Raises ValueError when
    `week_start` is not a Monday.
    """
    data = weekly_report_data(week_start=week_start)
    # INSERT … ON CONFLICT (week_start) DO UPDATE: two concurrent computes leave one row.
    WeeklyReport.objects.bulk_create(
        [WeeklyReport(week_start=week_start, computed_at=now, data=data)],
        update_conflicts=True,
        unique_fields=["week_start"],
        update_fields=["data", "computed_at"],
    )
    return WeeklyReport.objects.get(week_start=week_start)


def _manager_emails() -> list[str]:
    return list(
        User.objects.filter(role=Role.MANAGER, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
    )


def weekly_report_url(week_start: date) -> str:
    """Return the absolute link to a week's report page (settings.SITE_URL + path)."""
    return settings.SITE_URL + reverse("metrics:voc-report", kwargs={"week_start": week_start.isoformat()})


def weekly_report_email(*, report_id: int, now: datetime) -> bool:
    """E-mail a report to every active manager, once; return whether this call sent it.

    The claim (`emailed_at` set where it is empty) and the send share a transaction: an
    overlapping call's UPDATE waits for that commit and then matches nothing, and a refused send
    (SMTPException, OSError; re-raised) rolls the claim back for a retry. With no active manager
    nothing is claimed.
    """
    recipients = _manager_emails()
    if not recipients:
        _logger.info("metrics.weekly_report_no_recipients", extra={"report_id": report_id})
        return False
    with transaction.atomic():
        if not WeeklyReport.objects.filter(pk=report_id, emailed_at__isnull=True).update(emailed_at=now):
            return False
        report = WeeklyReport.objects.get(pk=report_id)
        send_mail(
            subject=f"[Helpdesk] Voice of customer, week of {report.week_start.day} {report.week_start:%B %Y}",
            message=render_to_string(
                "metrics/email/voc_weekly.txt",
                {"report": report, "data": report.data, "url": weekly_report_url(report.week_start)},
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
    return True


def weekly_report_send_last_week(*, now: datetime) -> bool:
    """Make sure the last completed week's report exists and went to managers; return whether this
    call e-mailed it.

    The report is computed when missing or computed before its week ended (a preview), otherwise
    left as it is, so the hourly beat runs after the first cost one lookup. Safe to run again or
    concurrently: the e-mail goes out once.
    """
    week_start = voc.last_completed_week_start(now)
    _, week_end = voc.week_bounds(week_start)
    report = (
        WeeklyReport.objects.filter(week_start=week_start).only("pk", "computed_at", "emailed_at").first()
    )
    if report is not None and report.emailed_at is not None:
        return False
    if report is None or report.computed_at < week_end:
        report = weekly_report_compute(week_start=week_start, now=now)
    return weekly_report_email(report_id=report.pk, now=now)


# --- Reads of stored reports (the pages) ---------------------------------------------------------


def weekly_report_list() -> QuerySet[WeeklyReport]:
    """Return stored reports, newest week first, without their data."""
    return WeeklyReport.objects.defer("data").order_by("-week_start")


def weekly_report_get(week_start: date) -> WeeklyReport:
    """Return the stored report of the week starting `week_start`; raises WeeklyReport.DoesNotExist."""
    return WeeklyReport.objects.get(week_start=week_start)
