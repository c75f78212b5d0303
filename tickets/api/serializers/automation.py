"""Serializers for macros in the API: the list an agent may apply, and applying one."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tickets.automation.models import Macro


class MacroOutputSerializer(serializers.ModelSerializer[Macro]):
    shared = serializers.BooleanField(source="is_shared", read_only=True)

    class Meta:
        model = Macro
        fields = ("id", "name", "body", "visibility", "actions", "shared", "team")
        read_only_fields = fields


class MacroApplyInputSerializer(serializers.Serializer[Any]):
    macro = serializers.IntegerField(
        min_value=1, help_text="Id of a macro you may use (GET /api/v1/macros/)."
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50_000,
        help_text="The text to post instead of the macro's own ({{ placeholders }} are filled); "
        "empty posts no message.",
    )
