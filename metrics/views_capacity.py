"""The capacity planner (team leads, managers, admins): next week's ticket forecast and the agents
each day needs, from real volume and handle time, with the inputs editable on the page (GET form).

The arithmetic is metrics/capacity.py; the history comes from tickets.selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from helpdesk.models import Role
from metrics import capacity
from metrics.reporting import csv_export
from tickets import selectors as tickets

PLANNER_ROLES = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
HANDLE_TIME_WINDOW = timedelta(days=28)
HANDLE_TIME_SAMPLE = 500

DEFAULTS = {"hours": "8", "utilization": "75", "shrinkage": "0", "trend": "on"}
REFERENCE_QUERY = {
    "volume": "500",
    "handle_minutes": "20",
    "hours": "8",
    "utilization": "75",
    "shrinkage": "0",
}


def planner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in first; then team leads, managers and admins only (anyone else: the 404 of a missing page)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_active and getattr(user, "role", None) in PLANNER_ROLES):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapped


def _decimal(label: str, low: str, high: str, places: int, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(low),
        max_value=Decimal(high),
        max_digits=9,
        decimal_places=places,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )


class CapacityForm(forms.Form):
    volume = _decimal("Tickets per day", "0", "1000000", 1, "Empty: each day's forecast.")
    handle_minutes = _decimal(
        "Handle time (minutes per ticket)", "0.1", "480", 1, "Empty: measured from resolved tickets."
    )
    hours = _decimal("Hours per agent per day", "0.5", "24", 2, "Empty: 8.")
    utilization = _decimal(
        "Utilization (%)", "1", "100", 1, "Share of available time spent on tickets; empty: 75."
    )
    shrinkage = _decimal(
        "Shrinkage (%)",
        "0",
        "90",
        1,
        "Training, meetings, breaks; empty: 0, right when the hours already leave them out.",
    )
    trend = forms.ChoiceField(
        label="Forecast", choices=[("on", "Weekday averages × trend"), ("off", "Weekday averages only")]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("hours", "utilization", "shrinkage", "trend"):
            if name in data and data[name] in (None, ""):
                data[name] = self.fields[name].clean(DEFAULTS[name])
        return data


def _history(today: Any) -> dict[Any, int]:
    start, end = capacity.history_window(today)
    return tickets.ticket_daily_created_counts(
        since=datetime.combine(start, time.min, tzinfo=UTC), until=datetime.combine(end, time.min, tzinfo=UTC)
    )


def _handle_time(now: datetime) -> capacity.HandleTime:
    timelines = tickets.ticket_timelines_recently_resolved(
        since=now - HANDLE_TIME_WINDOW, until=now, limit=HANDLE_TIME_SAMPLE
    )
    return capacity.handle_time_estimate(timelines)


def _plan(request: HttpRequest, now: datetime) -> dict[str, Any]:
    """Return the page's context: the form, the forecast and, when the form is valid, the rows."""
    form = CapacityForm({**DEFAULTS, **{key: value for key, value in request.GET.items() if value != ""}})
    handle_time = _handle_time(now)
    forecast = capacity.forecast_days(
        _history(now.astimezone(UTC).date()),
        today=now.astimezone(UTC).date(),
        trend=form.is_valid() and form.cleaned_data["trend"] == "on",
    )
    context: dict[str, Any] = {
        "form": form,
        "forecast": forecast,
        "handle_time": handle_time,
        "handle_time_window_days": HANDLE_TIME_WINDOW.days,
        "min_samples": capacity.HANDLE_TIME_MIN_SAMPLES,
        "reference_url": f"{reverse('metrics:capacity')}?{urlencode(REFERENCE_QUERY)}",
        "csv_url": f"{reverse('metrics:capacity-csv')}?{request.GET.urlencode()}",
        "rows": [],
    }
    if not form.is_valid():
        return context

    data = form.cleaned_data
    handle = data["handle_minutes"] if data["handle_minutes"] is not None else handle_time.minutes
    utilization, shrinkage = data["utilization"] / 100, data["shrinkage"] / 100
    rows = []
    for day in forecast.days:
        volume = data["volume"] if data["volume"] is not None else day.volume
        rows.append(
            {
                "day": day,
                "volume": volume,
                "staffing": capacity.staffing(volume, handle, data["hours"], utilization, shrinkage),
            }
        )
    context.update(
        rows=rows,
        inputs={
            "volume": data["volume"],
            "handle_minutes": handle,
            "handle_is_measured": data["handle_minutes"] is None,
            "hours": data["hours"],
            "utilization": data["utilization"],
            "shrinkage": data["shrinkage"],
        },
        example=rows[0] if data["volume"] is not None else None,
        peak=max(row["staffing"].agents for row in rows),
    )
    return context


@require_safe
@planner_required
def capacity_planner(request: HttpRequest) -> HttpResponse:
    """Show the next 7 days' forecast and required agents; invalid inputs answer 400 with the form."""
    context = _plan(request, timezone.now())
    status = 200 if context["form"].is_valid() else 400
    return render(request, "metrics/capacity.html", context, status=status)


CSV_HEADER = (
    "day",
    "last_4_same_weekdays",
    "forecast",
    "planned_tickets",
    "handle_minutes",
    "hours_per_agent",
    "utilization_percent",
    "shrinkage_percent",
    "workload_minutes",
    "agents_exact",
    "agents_needed",
)


@require_safe
@planner_required
def capacity_csv(request: HttpRequest) -> HttpResponse:
    """Download the page's table for the same inputs as CSV; invalid inputs answer 400 (field,message)."""
    context = _plan(request, timezone.now())
    form = context["form"]
    if not form.is_valid():
        return csv_export.csv_errors(
            {field: [str(message) for message in messages] for field, messages in form.errors.items()}
        )
    inputs = context["inputs"]
    rows = [
        (
            row["day"].day,
            " ".join(str(count) for count in row["day"].same_weekday_counts),
            row["day"].volume,
            row["volume"],
            inputs["handle_minutes"],
            inputs["hours"],
            inputs["utilization"],
            inputs["shrinkage"],
            row["staffing"].workload_minutes,
            round(row["staffing"].exact_agents, 2),
            row["staffing"].agents,
        )
        for row in context["rows"]
    ]
    first = context["forecast"].days[0].day
    return csv_export.csv_response(f"capacity-plan-{first}.csv", CSV_HEADER, rows)
