"""Serializers for a ticket's messages, attachments, event log and links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from helpdesk.api.serializers import StrictInputSerializer, UserSummaryOutputSerializer
from tickets.api.serializers.fields import MAX_TEXT, VisibleTicketIdField, absolute_url
from tickets.models import AuthorKind, Channel, LinkKind, MessageVisibility, TicketEventKind

MAX_CC = 50
MAX_ATTACHMENTS = 10


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    filename = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, attachment: Any) -> str:
        path = reverse("api-v1:attachment-download", kwargs={"pk": attachment.pk})
        return absolute_url(self.context.get("request"), path)


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    author = UserSummaryOutputSerializer(read_only=True, allow_null=True)
    author_kind = serializers.ChoiceField(choices=AuthorKind.choices, read_only=True)
    visibility = serializers.ChoiceField(choices=MessageVisibility.choices, read_only=True)
    is_automatic = serializers.BooleanField(read_only=True)
    body = serializers.CharField(read_only=True)
    body_html = serializers.CharField(read_only=True)
    cc = serializers.ListField(child=serializers.EmailField(), read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    attachments = AttachmentOutputSerializer(many=True, read_only=True)


class MessageCreateInputSerializer(StrictInputSerializer):
    body = serializers.CharField(max_length=MAX_TEXT, trim_whitespace=False)
    visibility = serializers.ChoiceField(
        choices=MessageVisibility.choices,
        default=MessageVisibility.PUBLIC,
        help_text="`internal` notes are for staff only.",
    )
    cc = serializers.ListField(
        child=serializers.EmailField(max_length=254), required=False, max_length=MAX_CC
    )
    attachments = serializers.ListField(
        child=serializers.FileField(max_length=255),
        required=False,
        max_length=MAX_ATTACHMENTS,
        help_text="Files (multipart/form-data only); repeat the field for several.",
    )

    def validate_attachments(self, files: list[Any]) -> list[Any]:
        limit = settings.ATTACHMENT_MAX_BYTES
        too_big = [
            f"'{upload.name}' is larger than {limit} bytes." for upload in files if upload.size > limit
        ]
        if too_big:
            raise serializers.ValidationError(too_big)
        return files


class EventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=TicketEventKind.choices, read_only=True)
    actor = UserSummaryOutputSerializer(read_only=True, allow_null=True)
    occurred_at = serializers.DateTimeField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)
    data = serializers.DictField(read_only=True, help_text="Raw values of the change; shape per kind.")


# What of each customer-visible event's payload a customer may read (no routing, no assignees).
CUSTOMER_EVENT_DATA_KEYS: dict[str, tuple[str, ...]] = {
    TicketEventKind.CREATED: ("status", "priority", "severity", "channel"),
    TicketEventKind.STATUS_CHANGED: ("from", "to", "reopened"),
    TicketEventKind.MESSAGE_ADDED: ("message_id", "visibility", "author_kind", "is_automatic"),
    TicketEventKind.MERGED: ("into",),
    TicketEventKind.MERGE_RECEIVED: ("duplicate",),
}


class EventCustomerOutputSerializer(EventOutputSerializer):
    """Events as a customer sees them: only whitelisted payload keys, actors without email."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        body = super().to_representation(instance)
        allowed = CUSTOMER_EVENT_DATA_KEYS.get(instance.kind, ())
        body["data"] = {key: value for key, value in (instance.data or {}).items() if key in allowed}
        if body["actor"] is not None:
            body["actor"] = {"id": body["actor"]["id"], "email": "", "full_name": body["actor"]["full_name"]}
        return body


class LinkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    from_ticket = serializers.IntegerField(source="from_ticket_id", read_only=True)
    to_ticket = serializers.IntegerField(source="to_ticket_id", read_only=True)
    kind = serializers.ChoiceField(choices=LinkKind.choices, read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class LinkCreateInputSerializer(StrictInputSerializer):
    to_ticket = VisibleTicketIdField()
    kind = serializers.ChoiceField(choices=LinkKind.choices)
