"""Input fields and helpers shared by the ticket API serializers."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.urls import get_script_prefix, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from helpdesk.api import rows
from helpdesk.api.serializers import ModelIdField, parse_id
from helpdesk.models import User
from tickets import selectors
from tickets.models import Tag, Ticket

MAX_TEXT = 100_000
MAX_TAGS = 50


def ticket_url_parts() -> tuple[str, str]:
    """Return the ticket detail path around its id: (`/api/v1/tickets/`, `/`).

    Reversed once per script prefix (per process, in practice), not once per rendered ticket.
    """
    return _ticket_url_parts(get_script_prefix())


@functools.cache
def _ticket_url_parts(script_prefix: str) -> tuple[str, str]:
    head, tail = reverse("api-v1:ticket-detail", kwargs={"pk": 987654321}).split("987654321")
    return head, tail


def absolute_url(request: Any, path: str) -> str:
    """Return `path` as an absolute URL when a request is at hand, else unchanged."""
    return request.build_absolute_uri(path) if request is not None else path


class PayloadFieldsMixin:
    """Build only the fields a JSON payload names, plus the required ones and those with defaults.

    DRF deep-copies every declared field for every serializer instance; for a wide input
    serializer on a hot endpoint that is a good part of the request. A field whose key is absent
    from a JSON object validates to nothing, so skipping it changes no answer, and an unknown key
    is still unknown. Form-encoded input (where an absent key can mean False or `name[0]` names a
    list) and schema generation (no data) get every field.
    """

    _declared_fields: dict[str, serializers.Field]

    def get_fields(self) -> dict[str, serializers.Field]:
        data = getattr(self, "initial_data", None)
        if not isinstance(data, Mapping) or html.is_html_input(data):
            return super().get_fields()  # type: ignore[misc, no-any-return]
        return {
            name: copy.deepcopy(field)
            for name, field in self._declared_fields.items()
            if name in data or field.required or field.default is not empty
        }


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


@extend_schema_field(OpenApiTypes.INT)
class UserIdField(ModelIdField):
    """A user id, resolved with the user's organization in one statement (helpdesk.api.rows).

    The same answer as a ModelIdField over `user_queryset()`, without compiling an ORM query:
    used where a hot endpoint resolves people (a new ticket's requester and assignee).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", user_queryset())
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> User:
        try:
            pk = parse_id(data)
        except ValueError:
            self.fail("incorrect_type")
        user = rows.user_get_with_organization(pk)
        if user is None:
            self.fail("does_not_exist", pk_value=pk)
        return user


def user_queryset() -> QuerySet[User]:
    """Return users with their organization loaded, for id fields that resolve users."""
    return User.objects.select_related("organization")
