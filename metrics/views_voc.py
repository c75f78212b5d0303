"""The weekly voice-of-customer reports (team leads, managers, admins): the list of weeks, one
week's report, and each section as CSV. Reports are computed by the beat task
(metrics.services.weekly_report_send_last_week); these pages only read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from metrics import services
from metrics.models import WeeklyReport
from metrics.reporting import csv_export
from metrics.views_capacity import planner_required


def _report(week_start: str) -> WeeklyReport:
    try:
        return services.weekly_report_get(date.fromisoformat(week_start))
    except (ValueError, WeeklyReport.DoesNotExist) as error:
        raise Http404("No report for that week.") from error


@require_safe
@planner_required
def report_list(request: HttpRequest) -> HttpResponse:
    """List the weeks with a stored report, newest first."""
    reports = list(services.weekly_report_list()[:104])
    return render(request, "metrics/voc_list.html", {"reports": reports})


@require_safe
@planner_required
def report_list_csv(request: HttpRequest) -> HttpResponse:
    """Download the list of stored weeks as CSV (the same 104 newest weeks as the page)."""
    rows = (
        (report.week_start, report.week_start + timedelta(days=6), report.computed_at, report.emailed_at)
        for report in services.weekly_report_list()[:104]
    )
    header = ("week_start", "week_end", "computed_at", "emailed_at")
    return csv_export.csv_response("voice-of-customer-weeks.csv", header, rows)


@require_safe
@planner_required
def report_detail(request: HttpRequest, week_start: str) -> HttpResponse:
    """Show one week's report; 404 when the date is malformed or the week has none."""
    report = _report(week_start)
    context = {"report": report, "data": report.data, "week_end": report.week_start + timedelta(days=6)}
    return render(request, "metrics/voc_report.html", context)


def _at_risk_rows(data: dict[str, Any]) -> Iterable[Sequence[Any]]:
    for row in data.get("at_risk", []):
        reasons = {reason["kind"]: reason for reason in row["reasons"]}
        escalations = reasons.get("escalations", {})
        csat = reasons.get("csat_falling", {})
        churn = reasons.get("churn_words", {})
        yield (
            row["organization_id"],
            row["name"],
            escalations.get("count", ""),
            csat.get("average", ""),
            csat.get("previous_average", ""),
            " ".join(churn.get("words", [])),
            churn.get("messages", ""),
            " ".join(str(pk) for pk in churn.get("ticket_ids", [])),
        )


_CHANGE = ("count", "previous", "change", "change_percent")
SECTIONS: dict[str, tuple[Sequence[str], Any]] = {
    "categories": (
        ("category_id", "category", *_CHANGE),
        lambda data: [
            (row["category_id"], row["name"], *(row[key] for key in _CHANGE)) for row in data["categories"]
        ],
    ),
    "tags": (
        ("tag", *_CHANGE),
        lambda data: [(row["name"], *(row[key] for key in _CHANGE)) for row in data["tags"]],
    ),
    "feedback": (
        ("kind", *_CHANGE),
        lambda data: [(kind, *(row[key] for key in _CHANGE)) for kind, row in data["feedback"].items()],
    ),
    "at-risk": (
        (
            "organization_id",
            "organization",
            "escalations_30_days",
            "csat_average",
            "csat_previous_average",
            "churn_words",
            "churn_messages",
            "churn_ticket_ids",
        ),
        lambda data: list(_at_risk_rows(data)),
    ),
    "wins": (
        ("survey_id", "ticket_id", "organization", "answered_at", "comment"),
        lambda data: [
            (
                row["survey_id"],
                row["ticket_id"],
                row["organization"] or "",
                row["answered_at"],
                row["comment"],
            )
            for row in data["wins"]
        ],
    ),
}


@require_safe
@planner_required
def report_csv(request: HttpRequest, week_start: str, section: str) -> HttpResponse:
    """Download one section of a week's report as CSV (UTF-8); 404 for an unknown section."""
    if section not in SECTIONS:
        raise Http404("No such section.")
    report = _report(week_start)
    header, rows = SECTIONS[section]
    filename = f"voice-of-customer-{report.week_start:%Y-%m-%d}-{section}.csv"
    return csv_export.csv_response(filename, header, rows(report.data))
