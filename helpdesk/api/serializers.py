"""Input and output serializers for accounts, organizations, teams and API tokens (STYLE.md C8).

Also the building blocks every app's API uses for hostile input: `StrictInputSerializer` refuses
unknown keys, `ModelIdField` accepts only positive 64-bit integer ids. DRF's CharField already
refuses NUL bytes and lone surrogates, which PostgreSQL cannot store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.models import (
    Availability,
    CustomerTier,
    NotificationKind,
    Organization,
    Role,
    Segment,
    SupportTier,
    User,
)

MAX_ID = 2**63 - 1


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that answers 400 for keys it does not know, instead of ignoring them.

    Integrators misspelling a field (`priorty`) should learn so, not have it silently dropped.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key)[:100] for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


def parse_id(data: Any) -> int:
    """Return `data` as a positive 64-bit id; raise ValueError for anything else (bools included)."""
    if isinstance(data, bool):
        raise ValueError("bool")
    if isinstance(data, int):
        value = data
    elif isinstance(data, str) and data.isascii() and data.isdigit() and len(data) <= 19:
        value = int(data)
    else:
        raise ValueError("not an id")
    if not 1 <= value <= MAX_ID:
        raise ValueError("out of range")
    return value


@extend_schema_field(OpenApiTypes.INT)
class ModelIdField(serializers.PrimaryKeyRelatedField):
    """A primary-key reference that refuses floats, bools, negatives and out-of-range numbers."""

    default_error_messages = {
        "does_not_exist": "No such object: {pk_value}.",
        "incorrect_type": "Give a positive whole-number id.",
    }

    def to_internal_value(self, data: Any) -> Model:
        try:
            pk = parse_id(data)
        except ValueError:
            self.fail("incorrect_type")
        queryset = self.get_queryset()
        try:
            return queryset.get(pk=pk)
        except queryset.model.DoesNotExist:
            self.fail("does_not_exist", pk_value=pk)


class IdField(serializers.IntegerField):
    """A plain positive 64-bit id (for ids resolved by a service or a selector, not here)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, (bool, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class RelatedNamesField(serializers.Field):
    """Render a prefetched to-many relation as a list of one attribute (no query when prefetched)."""

    def __init__(self, *, attribute: str, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.attribute = attribute

    def to_representation(self, value: Any) -> list[Any]:
        return [getattr(row, self.attribute) for row in value.all()]


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class RelatedIdsField(RelatedNamesField):
    """Render a prefetched to-many relation as a list of ids."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(attribute="pk", **kwargs)


# --- nested summaries, shared by ticket output ---------------------------------------------


class UserSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class OrganizationSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    tier = serializers.ChoiceField(choices=CustomerTier.choices, read_only=True)


class TeamSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- users ------------------------------------------------------------------------------------


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    organization = OrganizationSummaryOutputSerializer(read_only=True, allow_null=True)
    support_tier = serializers.CharField(read_only=True)
    time_zone = serializers.CharField(read_only=True)
    max_open_tickets = serializers.IntegerField(read_only=True)
    availability = serializers.ChoiceField(choices=Availability.choices, read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    teams = RelatedIdsField()
    skills = RelatedNamesField(attribute="slug")
    date_joined = serializers.DateTimeField(read_only=True)


class UserCreateInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, min_length=8, required=False, write_only=True)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    organization = ModelIdField(queryset=Organization.objects.all(), required=False, allow_null=True)
    support_tier = serializers.ChoiceField(choices=SupportTier.choices, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    max_open_tickets = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    availability = serializers.ChoiceField(choices=Availability.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class UserUpdateInputSerializer(UserCreateInputSerializer):
    email = serializers.EmailField(max_length=254, required=False)


# --- organizations -----------------------------------------------------------------------------


class OrganizationOutputSerializer(serializers.Serializer):
    """Agents' view of an organization, internal notes included."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    tier = serializers.ChoiceField(choices=CustomerTier.choices, read_only=True)
    segment = serializers.ChoiceField(choices=Segment.choices, read_only=True)
    is_vip = serializers.BooleanField(read_only=True)
    notes = serializers.CharField(read_only=True)
    members_see_each_other = serializers.BooleanField(read_only=True)
    account_owner = serializers.IntegerField(source="account_owner_id", read_only=True, allow_null=True)
    domains = RelatedNamesField(attribute="domain")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class OrganizationCustomerOutputSerializer(serializers.Serializer):
    """A member's view of their own organization: no internal notes, segment or account owner."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    tier = serializers.ChoiceField(choices=CustomerTier.choices, read_only=True)
    members_see_each_other = serializers.BooleanField(read_only=True)
    domains = RelatedNamesField(attribute="domain")


class OrganizationCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    tier = serializers.ChoiceField(choices=CustomerTier.choices, required=False)
    segment = serializers.ChoiceField(choices=Segment.choices, required=False)
    is_vip = serializers.BooleanField(required=False)
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    members_see_each_other = serializers.BooleanField(required=False)
    account_owner = ModelIdField(
        queryset=User.objects.filter(role__in=[r.value for r in Role if r != Role.CUSTOMER]),
        required=False,
        allow_null=True,
    )
    domains = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False, max_length=50
    )


class OrganizationUpdateInputSerializer(OrganizationCreateInputSerializer):
    name = serializers.CharField(max_length=200, required=False)


# --- teams -------------------------------------------------------------------------------------


def _agents() -> QuerySet[User]:
    return User.objects.filter(role__in=[r.value for r in Role if r != Role.CUSTOMER], is_active=True)


class TeamOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    lead = UserSummaryOutputSerializer(read_only=True, allow_null=True)
    default_tier = serializers.ChoiceField(choices=SupportTier.choices, read_only=True)
    members = RelatedIdsField()
    is_escalation_team = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class TeamCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=120)
    lead = ModelIdField(queryset=_agents(), required=False, allow_null=True)
    members = serializers.ListField(child=ModelIdField(queryset=_agents()), required=False, max_length=500)
    default_tier = serializers.ChoiceField(choices=SupportTier.choices, required=False)
    is_escalation_team = serializers.BooleanField(required=False)


class TeamUpdateInputSerializer(TeamCreateInputSerializer):
    name = serializers.CharField(max_length=120, required=False)


# --- API tokens --------------------------------------------------------------------------------


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True)
    rate_limit_per_minute = serializers.IntegerField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ApiTokenCreatedOutputSerializer(ApiTokenOutputSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret. Shown once; store it now.")


class ApiTokenCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must lie in the future.")
        return value


# --- notifications -------------------------------------------------------------------------------


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=NotificationKind.choices, read_only=True)
    title = serializers.CharField(read_only=True)
    ticket = serializers.IntegerField(source="ticket_id", read_only=True, allow_null=True)
    data = serializers.JSONField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()

    def get_is_read(self, notification: Any) -> bool:
        return notification.read_at is not None


class NotificationMarkReadInputSerializer(StrictInputSerializer):
    ids = serializers.ListField(
        child=IdField(),
        max_length=1000,
        required=False,
        help_text="Your notifications to mark read; leave out to mark all read.",
    )


class NotificationCountOutputSerializer(serializers.Serializer):
    unread = serializers.IntegerField(read_only=True)


class NotificationMarkReadOutputSerializer(NotificationCountOutputSerializer):
    marked = serializers.IntegerField(read_only=True, help_text="How many this request marked read.")
