"""Input fields and helpers shared by the ticket API serializers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.api.serializers import ModelIdField
from helpdesk.models import User
from tickets import selectors
from tickets.models import Tag, Ticket

MAX_TEXT = 100_000
MAX_TAGS = 50


def absolute_url(request: Any, path: str) -> str:
    """Return `path` as an absolute URL when a request is at hand, else unchanged."""
    return request.build_absolute_uri(path) if request is not None else path


class TagNamesField(serializers.ListField):
    """Tag names resolved to Tag rows in one query; an unknown name is a field error."""

    child = serializers.CharField(max_length=60)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_TAGS)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Tag]:
        names = sorted({name.strip().lower() for name in super().to_internal_value(data)} - {""})
        tags = list(Tag.objects.filter(name__in=names))
        unknown = sorted(set(names) - {tag.name for tag in tags})
        if unknown:
            raise serializers.ValidationError([f"Unknown tag '{name}'." for name in unknown])
        return tags


@extend_schema_field(OpenApiTypes.INT)
class VisibleTicketIdField(ModelIdField):
    """A ticket id the caller may see; anything else reads as 'no such ticket'."""

    def get_queryset(self) -> QuerySet[Ticket]:
        condition = selectors.ticket_visibility_q(self.context["request"].user)
        queryset = Ticket.objects.only("pk")
        return queryset if condition is None else queryset.filter(condition)

    def to_internal_value(self, data: Any) -> int:  # type: ignore[override]
        return super().to_internal_value(data).pk

    def to_representation(self, value: Any) -> Any:
        return value


def user_queryset() -> QuerySet[User]:
    """Return users with their organization loaded, for id fields that resolve users."""
    return User.objects.select_related("organization")
