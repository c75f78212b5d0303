"""FilterSets for the webhook API."""

from __future__ import annotations

import django_filters

from helpdesk.api.filters import IdFilter
from helpdesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEventType, WebhookSubscription


class WebhookSubscriptionFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = WebhookSubscription
        fields = ["is_active"]


class WebhookDeliveryFilter(django_filters.FilterSet):
    subscription = IdFilter(field_name="subscription_id")
    ticket = IdFilter(field_name="ticket_id")
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.MultipleChoiceFilter(choices=WebhookEventType.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "ticket", "status", "event_type"]
