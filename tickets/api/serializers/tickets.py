"""Ticket serializers: the ticket as staff and customers see it, and the inputs that change it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from helpdesk.api.serializers import (
    IdField,
    ModelIdField,
    OrganizationSummaryOutputSerializer,
    RelatedNamesField,
    StrictInputSerializer,
    TeamSummaryOutputSerializer,
    UserSummaryOutputSerializer,
)
from helpdesk.models import SupportTier, Team, User
from tickets.api.serializers.fields import (
    MAX_TEXT,
    PayloadFieldsMixin,
    TagNamesField,
    UserIdField,
    VisibleTicketIdField,
    absolute_url,
    ticket_url_parts,
    user_queryset,
)
from tickets.models import (
    Category,
    Channel,
    CloseReason,
    MessageVisibility,
    Priority,
    ProductArea,
    Severity,
    Ticket,
    TicketStatus,
)
from tickets.services import HANDOFF_FIELDS

IMPACT_CHOICES = ("complete_block", "major_impairment", "minor_impairment")
USERS_AFFECTED_CHOICES = ("one", "multiple", "all")

# Fields a customer may not set on a ticket they open: routing and ownership belong to staff.
CUSTOMER_FORBIDDEN_CREATE_FIELDS = (
    "team",
    "assignee",
    "support_tier",
    "status",
    "requester",
    "requester_email",
    "requester_name",
    "channel",
)


# --- ticket output -------------------------------------------------------------------------


class CategorySummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    path = serializers.CharField(read_only=True)


class ProductAreaSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TicketOutputSerializer(serializers.Serializer):
    """A ticket as staff see it. Reads only relations the ticket selectors load."""

    id = serializers.IntegerField(read_only=True)
    subject = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    description_html = serializers.CharField(read_only=True)
    requester = UserSummaryOutputSerializer(read_only=True)
    organization = OrganizationSummaryOutputSerializer(read_only=True, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    severity = serializers.ChoiceField(choices=Severity.choices, read_only=True)
    category = CategorySummaryOutputSerializer(read_only=True, allow_null=True)
    product_area = ProductAreaSummaryOutputSerializer(read_only=True, allow_null=True)
    tags = RelatedNamesField(attribute="name")
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    team = TeamSummaryOutputSerializer(read_only=True, allow_null=True)
    assignee = UserSummaryOutputSerializer(read_only=True, allow_null=True)
    support_tier = serializers.ChoiceField(choices=SupportTier.choices, read_only=True)
    status = serializers.ChoiceField(choices=TicketStatus.choices, read_only=True)
    close_reason = serializers.ChoiceField(choices=CloseReason.choices, read_only=True)
    merged_into = serializers.IntegerField(source="merged_into_id", read_only=True, allow_null=True)
    external_id = serializers.CharField(read_only=True)
    source = serializers.CharField(read_only=True)
    first_response_at = serializers.DateTimeField(read_only=True, allow_null=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reopened_count = serializers.IntegerField(read_only=True)
    message_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    url = serializers.SerializerMethodField()

    shows_routing = True  # team and support tier

    def get_url(self, ticket: Ticket) -> str:
        head, tail = ticket_url_parts()
        return absolute_url(self.context.get("request"), f"{head}{ticket.pk}{tail}")

    def _tag_names(self, ticket: Ticket) -> list[str]:
        # A view that just wrote the ticket's tags may pass their names (context "tag_names",
        # by ticket id) instead of reading them back.
        known = self.context.get("tag_names")
        if known is not None and ticket.pk in known:
            return list(known[ticket.pk])
        return [tag.name for tag in ticket.tags.all()]

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        """Build the same dict as the declared fields, without DRF's per-field machinery.

        The ticket list is the API's hottest path; the generic walk over 28 fields and five nested
        serializers costs more than the database. tests/tickets/api pin that both agree.
        """
        when = _DATETIME.to_representation
        organization, category, area, team = (
            ticket.organization,
            ticket.category,
            ticket.product_area,
            ticket.team,
        )
        body: dict[str, Any] = {
            "id": ticket.pk,
            "subject": ticket.subject,
            "description": ticket.description,
            "description_html": ticket.description_html,
            "requester": _user_summary(ticket.requester),
            "organization": None
            if organization is None
            else {"id": organization.pk, "name": organization.name, "tier": organization.tier},
            "priority": ticket.priority,
            "severity": ticket.severity,
            "category": None
            if category is None
            else {"id": category.pk, "name": category.name, "path": category.path},
            "product_area": None if area is None else {"id": area.pk, "name": area.name},
            "tags": self._tag_names(ticket),
            "channel": ticket.channel,
        }
        if self.shows_routing:
            body["team"] = None if team is None else {"id": team.pk, "name": team.name}
        body["assignee"] = _user_summary(ticket.assignee)
        if self.shows_routing:
            body["support_tier"] = ticket.support_tier
        body.update(
            {
                "status": ticket.status,
                "close_reason": ticket.close_reason,
                "merged_into": ticket.merged_into_id,
                "external_id": ticket.external_id,
                "source": ticket.source,
                "first_response_at": None
                if ticket.first_response_at is None
                else when(ticket.first_response_at),
                "resolved_at": None if ticket.resolved_at is None else when(ticket.resolved_at),
                "closed_at": None if ticket.closed_at is None else when(ticket.closed_at),
                "reopened_count": ticket.reopened_count,
                "message_count": ticket.message_count,
                "created_at": when(ticket.created_at),
                "updated_at": when(ticket.updated_at),
                "url": self.get_url(ticket),
            }
        )
        return body


_DATETIME = serializers.DateTimeField()


def _user_summary(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "email": user.email, "full_name": user.full_name}


class TicketCustomerOutputSerializer(TicketOutputSerializer):
    """A ticket as its requester (or their coworkers) see it: no internal routing."""

    team = None
    support_tier = None
    shows_routing = False


# --- ticket input --------------------------------------------------------------------------


class TicketCreateInputSerializer(PayloadFieldsMixin, StrictInputSerializer):
    subject = serializers.CharField(max_length=250)
    description = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, trim_whitespace=False
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    impact = serializers.ChoiceField(
        choices=IMPACT_CHOICES, required=False, help_text="With users_affected, sets severity."
    )
    users_affected = serializers.ChoiceField(choices=USERS_AFFECTED_CHOICES, required=False)
    category = ModelIdField(
        queryset=Category.objects.select_related("parent"), required=False, allow_null=True
    )
    product_area = ModelIdField(queryset=ProductArea.objects.all(), required=False, allow_null=True)
    tags = TagNamesField(required=False, help_text="Tag names; each must exist and be active.")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, help_text="Staff only.")
    team = ModelIdField(queryset=Team.objects.all(), required=False, allow_null=True, help_text="Staff only.")
    assignee = UserIdField(required=False, allow_null=True, help_text="Staff only.")
    support_tier = serializers.ChoiceField(
        choices=SupportTier.choices, required=False, help_text="Staff only."
    )
    requester = UserIdField(required=False, help_text="Staff only: the customer the ticket is for.")
    requester_email = serializers.EmailField(
        max_length=254, required=False, help_text="Staff only: find or create the customer by email."
    )
    requester_name = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def to_internal_value(self, data: Any) -> Any:
        request = self.context.get("request")
        if request is not None and not request.user.is_agent and isinstance(data, Mapping):
            refused = [name for name in CUSTOMER_FORBIDDEN_CREATE_FIELDS if name in data]
            if refused:
                raise serializers.ValidationError(
                    {name: ["Customers cannot set this field."] for name in refused}
                )
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_impact, has_users = "impact" in attrs, "users_affected" in attrs
        if has_impact != has_users:
            missing = "users_affected" if has_impact else "impact"
            raise serializers.ValidationError({missing: ["Give impact and users_affected together."]})
        if has_impact and "severity" in attrs:
            raise serializers.ValidationError(
                {"severity": ["Give either severity or impact with users_affected, not both."]}
            )
        if "requester" in attrs and "requester_email" in attrs:
            raise serializers.ValidationError(
                {"requester_email": ["Give either requester or requester_email, not both."]}
            )
        return attrs


class TicketUpdateInputSerializer(StrictInputSerializer):
    """The fields staff may change on a ticket; only the given ones change."""

    subject = serializers.CharField(max_length=250, required=False)
    description = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, trim_whitespace=False
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    category = ModelIdField(
        queryset=Category.objects.select_related("parent"), required=False, allow_null=True
    )
    product_area = ModelIdField(queryset=ProductArea.objects.all(), required=False, allow_null=True)
    team = ModelIdField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = ModelIdField(queryset=user_queryset(), required=False, allow_null=True)
    support_tier = serializers.ChoiceField(choices=SupportTier.choices, required=False)
    tags = TagNamesField(required=False, help_text="Replaces the ticket's tags.")
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError({"detail": ["Say what to change."]})
        return attrs


class TicketBulkUpdateInputSerializer(StrictInputSerializer):
    ticket_ids = serializers.ListField(child=IdField(), min_length=1, max_length=500)
    changes = TicketUpdateInputSerializer()


class TicketStatusInputSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class TicketAssignInputSerializer(StrictInputSerializer):
    assignee = ModelIdField(
        queryset=user_queryset(), allow_null=True, help_text="An active agent's id, or null."
    )


class TicketEscalateInputSerializer(StrictInputSerializer):
    issue_summary = serializers.CharField(max_length=10_000)
    troubleshooting_done = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    environment = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    why_escalating = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    customer_expectation = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    next_steps = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    to_tier = serializers.ChoiceField(choices=SupportTier.choices, required=False)
    to_team = ModelIdField(queryset=Team.objects.all(), required=False)

    def handoff(self) -> dict[str, str]:
        """Return the handoff note fields from validated data."""
        return {key: self.validated_data.get(key, "") for key in HANDOFF_FIELDS}


class TicketMergeInputSerializer(StrictInputSerializer):
    into = VisibleTicketIdField(help_text="The original ticket this duplicate is merged into.")


# --- imports -------------------------------------------------------------------------------


class TicketImportMessageInputSerializer(StrictInputSerializer):
    author_email = serializers.EmailField(
        max_length=254, required=False, allow_null=True, help_text="Unknown emails become customers."
    )
    body = serializers.CharField(max_length=MAX_TEXT, trim_whitespace=False)
    visibility = serializers.ChoiceField(choices=MessageVisibility.choices, default=MessageVisibility.PUBLIC)
    created_at = serializers.DateTimeField()
    is_automatic = serializers.BooleanField(default=False)
    external_id = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class TicketImportStatusInputSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    at = serializers.DateTimeField()
    actor_email = serializers.EmailField(max_length=254, required=False, allow_null=True)


class TicketImportInputSerializer(StrictInputSerializer):
    source = serializers.CharField(max_length=60)
    external_id = serializers.CharField(max_length=120)
    created_at = serializers.DateTimeField()
    subject = serializers.CharField(max_length=250)
    description = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, trim_whitespace=False
    )
    requester = ModelIdField(queryset=user_queryset(), required=False)
    requester_email = serializers.EmailField(max_length=254, required=False)
    requester_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    category = ModelIdField(
        queryset=Category.objects.select_related("parent"), required=False, allow_null=True
    )
    product_area = ModelIdField(queryset=ProductArea.objects.all(), required=False, allow_null=True)
    tags = TagNamesField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    team = ModelIdField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = ModelIdField(queryset=user_queryset(), required=False, allow_null=True)
    support_tier = serializers.ChoiceField(choices=SupportTier.choices, required=False)
    messages = TicketImportMessageInputSerializer(many=True, required=False, max_length=1000)
    statuses = TicketImportStatusInputSerializer(many=True, required=False, max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("requester" in attrs) == ("requester_email" in attrs):
            raise serializers.ValidationError(
                {"requester_email": ["Give exactly one of requester or requester_email."]}
            )
        return attrs
