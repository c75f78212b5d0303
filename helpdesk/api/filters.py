"""FilterSets for accounts, organizations and teams, plus filter fields shared by every app's API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from helpdesk.api.serializers import MAX_ID
from helpdesk.models import CustomerTier, Notification, NotificationKind, Organization, Role, User


class IdFormField(forms.IntegerField):
    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)  # type: ignore[arg-type]


class IdFilter(django_filters.Filter):
    """Filter on a foreign key by id without loading the referenced row (no extra query)."""

    field_class = IdFormField


class UserFilter(django_filters.FilterSet):
    role = django_filters.MultipleChoiceFilter(choices=Role.choices)
    organization = IdFilter(field_name="organization_id")
    is_active = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="filter_q", max_length=200, help_text="Email or name contains.")

    class Meta:
        model = User
        fields = ["role", "organization", "is_active"]

    def filter_q(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(Q(email__icontains=value) | Q(full_name__icontains=value))


class OrganizationFilter(django_filters.FilterSet):
    tier = django_filters.MultipleChoiceFilter(choices=CustomerTier.choices)
    is_vip = django_filters.BooleanFilter()
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Organization
        fields = ["tier", "is_vip"]


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="Only unread (true)."
    )
    kind = django_filters.MultipleChoiceFilter(choices=NotificationKind.choices)

    class Meta:
        model = Notification
        fields: list[str] = []
