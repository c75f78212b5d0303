"""The self-service report: searches, helpfulness, views, deflection, freshness and coverage."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kb import reports
from kb.views.access import agent_required

PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "182": "Last 6 months"}
DEFAULT_PERIOD = "30"


@agent_required
@require_GET
def self_service(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("days", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    now = timezone.now()
    start, end = now - timedelta(days=int(period)), now
    helpfulness, rated = reports.article_helpfulness()
    freshness, stale = reports.content_freshness(now=now)
    assisted_replies, assisted_tickets = reports.knowledge_assisted(start=start, end=end)
    return render(
        request,
        "kb/reports/self_service.html",
        {
            "periods": PERIODS,
            "period": period,
            "summary": reports.search_summary(start=start, end=end),
            "top": reports.top_searches(start=start, end=end),
            "zero": reports.zero_result_searches(start=start, end=end),
            "no_click": reports.searches_without_click(start=start, end=end),
            "helpfulness": helpfulness,
            "rated": rated,
            "views": reports.article_views(),
            "deflection": reports.deflection(start=start, end=end, now=now),
            "funnel": reports.portal_funnel(start=start, end=end, now=now),
            "freshness": freshness,
            "stale": stale,
            "coverage": reports.coverage(start=start, end=end),
            "assisted_replies": assisted_replies,
            "assisted_tickets": assisted_tickets,
            "window_minutes": int(reports.DEFLECTION_WINDOW.total_seconds() // 60),
            "gap_threshold": reports.COVERAGE_GAP_TICKETS_PER_WEEK,
        },
    )
