"""FilterSets for the ticket API (STYLE.md C8).

Change feed: `GET /api/v1/tickets/?updated_since=<ISO time>&ordering=updated_at` and then follow
`next` links. The keyset cursor on (updated_at, id) never skips or repeats a row, so a client
that stores the last `updated_at` it saw can poll for everything changed since.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils import timezone

from helpdesk.api.filters import IdFilter
from sla import selectors as sla_selectors
from tickets.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Priority,
    ProductArea,
    Severity,
    Tag,
    Ticket,
    TicketStatus,
)

MAX_TAGS_IN_FILTER = 20
SLA_STATE_CHOICES = [
    ("breached", "An open clock has breached"),
    ("at_risk", "A running clock is at 80 % or more of its target"),
    ("paused", "A clock is paused"),
    ("ok", "Clocks running, none breached or at risk"),
]


class TicketFilter(django_filters.FilterSet):
    """Ticket list filters; only the filters a request names are built and validated.

    django-filter deep-copies every declared filter and builds a form field for each on every
    request; for 22 filters that cost more than the page query. A filter whose parameter is
    absent filters nothing, so skipping it changes no answer. The browsable API still gets the
    full form.
    """

    status = django_filters.MultipleChoiceFilter(
        choices=TicketStatus.choices, help_text="Repeat for several: status=new&status=triaged."
    )
    is_open = django_filters.BooleanFilter(method="filter_is_open", help_text="Open (not resolved/closed).")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        max_length=19,
        validators=[RegexValidator(r"^(none|[1-9][0-9]{0,18})$", "A user id, or 'none' for unassigned.")],
        help_text="A user id, or `none` for unassigned tickets.",
    )
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    team = IdFilter(field_name="team_id")
    organization = IdFilter(field_name="organization_id")
    requester = IdFilter(field_name="requester_id")
    category = IdFilter(method="filter_category", help_text="A category id; includes its sub-categories.")
    tag = django_filters.BaseInFilter(
        method="filter_tag",
        help_text="Tag names, comma-separated; tickets carrying any of them.",
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Change feed: tickets with updated_at >= this; use with ordering=updated_at.",
    )
    q = django_filters.CharFilter(
        method="filter_q", max_length=200, help_text="Subject contains, or a ticket id."
    )
    sla_state = django_filters.ChoiceFilter(
        choices=SLA_STATE_CHOICES,
        method="filter_sla_state",
        help_text="SLA state as of now; see docs/api.md for the exact definitions.",
    )
    sla_due_before = django_filters.IsoDateTimeFilter(
        method="filter_sla_due_before", help_text="A running SLA clock is due before this instant."
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Ticket] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        renderer = getattr(request, "accepted_renderer", None)
        if data is not None and prefix is None and getattr(renderer, "format", None) != "api":
            # Every filter here reads its own name; `name_` also covers suffixed widgets (ranges).
            self.base_filters = {
                name: filter_
                for name, filter_ in type(self).base_filters.items()
                if any(key == name or key.startswith(f"{name}_") for key in data)
            }
        super().__init__(data, queryset, request=request, prefix=prefix)

    def filter_is_open(self, queryset: QuerySet[Ticket], name: str, value: bool | None) -> QuerySet[Ticket]:
        if value is None:
            return queryset
        # The same tuple as the partial indexes' predicate, so Postgres can use them.
        return (
            queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)
        )

    def filter_assignee(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_category(self, queryset: QuerySet[Ticket], name: str, value: int) -> QuerySet[Ticket]:
        children = Category.objects.filter(parent_id=value).values("pk")
        return queryset.filter(Q(category_id=value) | Q(category_id__in=children))

    def filter_tag(self, queryset: QuerySet[Ticket], name: str, value: list[str]) -> QuerySet[Ticket]:
        names = [tag.strip() for tag in value if tag.strip()][:MAX_TAGS_IN_FILTER]
        if not names:
            return queryset
        tagged = Ticket.tags.through.objects.filter(tag__name__in=names).values("ticket_id")
        return queryset.filter(pk__in=tagged)

    def filter_sla_state(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        # EXISTS subqueries: a ticket with several matching clocks still appears once.
        return queryset.filter(sla_selectors.ticket_sla_state_q(value, now=timezone.now()))

    def filter_sla_due_before(self, queryset: QuerySet[Ticket], name: str, value: Any) -> QuerySet[Ticket]:
        return queryset.filter(sla_selectors.ticket_sla_due_before_q(value))

    def filter_q(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        value = value.strip()
        if not value:
            return queryset
        condition = Q(subject__icontains=value)
        digits = value.lstrip("#")
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            condition |= Q(pk=int(digits))
        return queryset.filter(condition)


class CategoryFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    parent = IdFilter(field_name="parent_id")
    top_level = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = Category
        fields: list[str] = []


class TagFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Tag
        fields: list[str] = []


class ProductAreaFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = ProductArea
        fields: list[str] = []
