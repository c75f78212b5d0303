"""Input and output serializers of the webhook API (STYLE.md C8). Secrets appear only in
WebhookSubscriptionSecretOutputSerializer, the answer to create and rotate-secret."""

from __future__ import annotations

from rest_framework import serializers

from helpdesk.api.serializers import StrictInputSerializer
from helpdesk.webhooks.models import DeliveryStatus, WebhookEventType, WebhookSource

EVENT_TYPES_HELP = "Any of: " + ", ".join(WebhookEventType.values) + "."


class WebhookSubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices), read_only=True
    )
    include_internal_notes = serializers.BooleanField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    disabled_reason = serializers.CharField(read_only=True)
    failing_since = serializers.DateTimeField(read_only=True, allow_null=True)
    failed_deliveries_in_row = serializers.IntegerField(read_only=True)
    last_success_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_failure_at = serializers.DateTimeField(read_only=True, allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Until then, deliveries also carry the old secret's signature.",
    )
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class WebhookSubscriptionSecretOutputSerializer(WebhookSubscriptionOutputSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret. Shown only in this answer; store it now."
    )


class WebhookSubscriptionCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=2000, help_text="An http(s) URL that accepts POSTs.")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices),
        allow_empty=False,
        max_length=len(WebhookEventType.values),
        help_text=EVENT_TYPES_HELP,
    )
    include_internal_notes = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookSubscriptionUpdateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    url = serializers.CharField(max_length=2000, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices),
        allow_empty=False,
        max_length=len(WebhookEventType.values),
        required=False,
        help_text=EVENT_TYPES_HELP,
    )
    include_internal_notes = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(
        required=False, help_text="false parks pending deliveries; true (re-)enables and resumes them."
    )


class WebhookRotateSecretInputSerializer(StrictInputSerializer):
    keep_previous_hours = serializers.IntegerField(
        min_value=0,
        max_value=168,
        required=False,
        default=0,
        help_text="Keep signing with the old secret too for this many hours (0: stop at once).",
    )


class WebhookAttemptOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True)
    duration_ms = serializers.IntegerField(read_only=True)
    status_code = serializers.IntegerField(read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True)
    response_body = serializers.CharField(read_only=True, help_text="The first 1 KB of the answer.")
    is_success = serializers.BooleanField(read_only=True)


class WebhookDeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True, help_text="Sent as X-Helpdesk-Delivery.")
    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    event_type = serializers.ChoiceField(choices=WebhookEventType.choices, read_only=True)
    source = serializers.ChoiceField(choices=WebhookSource.choices, read_only=True)
    source_id = serializers.IntegerField(read_only=True)
    ticket = serializers.IntegerField(source="ticket_id", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    attempt_count = serializers.IntegerField(read_only=True)
    attempts_allowed = serializers.IntegerField(read_only=True)
    next_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_status_code = serializers.IntegerField(read_only=True, allow_null=True)
    last_error = serializers.CharField(read_only=True)
    delivered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    redelivered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class WebhookDeliveryDetailOutputSerializer(WebhookDeliveryOutputSerializer):
    payload = serializers.JSONField(read_only=True, help_text="The JSON body sent (keys sorted, compact).")
    attempts = WebhookAttemptOutputSerializer(many=True, read_only=True)
