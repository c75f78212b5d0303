"""FilterSets for the SLA configuration API (STYLE.md C8).

Ticket filters on SLA state live with the ticket list (tickets/api/filters.py) and take their
conditions from sla.selectors.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from helpdesk.api.filters import IdFilter
from sla.models import BusinessCalendar, ReapplyStatus, SlaPolicy, SlaReapplyJob


class CalendarFilter(django_filters.FilterSet):
    is_default = django_filters.BooleanFilter()
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=120)

    class Meta:
        model = BusinessCalendar
        fields: list[str] = []


class PolicyFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    is_default = django_filters.BooleanFilter()

    class Meta:
        model = SlaPolicy
        fields: list[str] = []


class ReapplyJobFilter(django_filters.FilterSet):
    is_finished = django_filters.BooleanFilter(method="filter_is_finished", help_text="Done or failed.")
    policy = IdFilter(field_name="policy_id")
    calendar = IdFilter(field_name="calendar_id")

    class Meta:
        model = SlaReapplyJob
        fields: list[str] = []

    def filter_is_finished(
        self, queryset: QuerySet[SlaReapplyJob], name: str, value: bool | None
    ) -> QuerySet[SlaReapplyJob]:
        if value is None:
            return queryset
        finished = [ReapplyStatus.DONE, ReapplyStatus.FAILED]
        return queryset.filter(status__in=finished) if value else queryset.exclude(status__in=finished)
