"""Input and output serializers for SLA calendars, policies, re-apply jobs and a ticket's SLA (C8).

Inputs check shapes and ranges so every bad value is a 400 with a field error; the services
check what needs the database (names taken, the catch-all's rules) and raise DomainError.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.api.serializers import IdField, ModelIdField, RelatedIdsField, StrictInputSerializer
from helpdesk.models import STAFF_ROLES, CustomerTier, Organization, Team, User
from sla.models import BusinessCalendar, SlaEventKind, SlaMetric
from sla.services.admin import BREACH_LEVEL
from tickets.models import OPEN_STATUSES, Category, Channel, Priority, Tag, TicketStatus

MAX_ROWS = 1000
MAX_CONDITION_IDS = 200
MAX_TARGET_MINUTES = 366 * 24 * 60  # a year: a longer target is a typing error
MAX_WARNING_LEVEL = 1000
PAUSE_STATUS_CHOICES = [(value, label) for value, label in TicketStatus.choices if value in OPEN_STATUSES]


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> str:
    """Refuse anything but an IANA zone key known to this system's tz database."""
    if value not in _time_zones():
        raise serializers.ValidationError(f"'{value[:64]}' is not an IANA time zone such as 'Europe/Berlin'.")
    return value


def inline_choice_field(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """Return a ChoiceField documented as an inline enum, not a named component.

    Several choice sets (tiers, priorities, channels, job status) already have component names
    from other apps' fields; a second name for the same set would be a schema warning.
    """
    values = [value for value, _ in choices]
    field_class = extend_schema_field({"type": "string", "enum": values})(
        type("InlineChoiceField", (serializers.ChoiceField,), {})
    )
    return field_class(choices=choices, **kwargs)  # type: ignore[no-any-return]


def duration_text(seconds: int) -> str:
    """Return a target as people say it: '4 h', '7 h 30 min', '15 min'."""
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


# --- calendars ------------------------------------------------------------------------------------


class WeeklyHoursInputSerializer(StrictInputSerializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday.")
    start = serializers.TimeField()
    end = serializers.TimeField(help_text="end <= start runs past midnight; end == start is 24 hours.")


class HolidayInputSerializer(StrictInputSerializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class SpecialHoursInputSerializer(StrictInputSerializer):
    date = serializers.DateField()
    start = serializers.TimeField()
    end = serializers.TimeField()
    note = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class WeeklyHoursOutputSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(read_only=True)
    start = serializers.TimeField(read_only=True)
    end = serializers.TimeField(read_only=True)


class HolidayOutputSerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    name = serializers.CharField(read_only=True)


class SpecialHoursOutputSerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    start = serializers.TimeField(read_only=True)
    end = serializers.TimeField(read_only=True)
    note = serializers.CharField(read_only=True)


class CalendarOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    time_zone = serializers.CharField(read_only=True)
    is_24_7 = serializers.BooleanField(read_only=True)
    is_default = serializers.BooleanField(read_only=True)
    holiday_country = serializers.CharField(read_only=True)
    holiday_subdivision = serializers.CharField(read_only=True)
    weekly_hours = WeeklyHoursOutputSerializer(many=True, read_only=True)
    holidays = HolidayOutputSerializer(many=True, read_only=True)
    special_hours = SpecialHoursOutputSerializer(many=True, read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class CalendarCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=120)
    time_zone = serializers.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_24_7 = serializers.BooleanField(default=False)
    is_default = serializers.BooleanField(default=False)
    weekly_hours = serializers.ListField(
        child=WeeklyHoursInputSerializer(), max_length=MAX_ROWS, default=list
    )
    holidays = serializers.ListField(child=HolidayInputSerializer(), max_length=MAX_ROWS, default=list)
    special_hours = serializers.ListField(
        child=SpecialHoursInputSerializer(), max_length=MAX_ROWS, default=list
    )

    def validate_holidays(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        days = [row["date"] for row in value]
        repeated = sorted({day for day in days if days.count(day) > 1})
        if repeated:
            raise serializers.ValidationError(
                [f"{day.isoformat()} is listed more than once." for day in repeated]
            )
        return value


class CalendarUpdateInputSerializer(CalendarCreateInputSerializer):
    """Only the given fields change; a given row list replaces all rows of that kind."""

    name = serializers.CharField(max_length=120, required=False)
    time_zone = serializers.CharField(max_length=64, required=False, validators=[validate_time_zone])
    is_24_7 = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)
    weekly_hours = serializers.ListField(
        child=WeeklyHoursInputSerializer(), max_length=MAX_ROWS, required=False
    )
    holidays = serializers.ListField(child=HolidayInputSerializer(), max_length=MAX_ROWS, required=False)
    special_hours = serializers.ListField(
        child=SpecialHoursInputSerializer(), max_length=MAX_ROWS, required=False
    )


class HolidayImportInputSerializer(StrictInputSerializer):
    country = serializers.RegexField(r"^[A-Za-z]{2,3}$", help_text="ISO 3166 code, e.g. DE.")
    subdivision = serializers.RegexField(
        r"^[A-Za-z0-9-]{1,16}$", required=False, default="", allow_blank=True, help_text="e.g. BE."
    )
    years = serializers.ListField(
        child=serializers.IntegerField(min_value=1970, max_value=2100), min_length=1, max_length=20
    )


class HolidayImportOutputSerializer(serializers.Serializer):
    added = serializers.IntegerField(read_only=True, help_text="Dates that were new.")
    calendar = CalendarOutputSerializer(read_only=True)


class CalendarPreviewQuerySerializer(StrictInputSerializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["Must lie after start."]})
        if (attrs["end"] - attrs["start"]).days > 31:
            raise serializers.ValidationError({"end": ["Preview at most 31 days at a time."]})
        return attrs


class OpenIntervalOutputSerializer(serializers.Serializer):
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True)


class CalendarPreviewOutputSerializer(serializers.Serializer):
    calendar = serializers.IntegerField(read_only=True)
    open_intervals = OpenIntervalOutputSerializer(many=True, read_only=True)
    open_seconds = serializers.IntegerField(read_only=True)


# --- policies ---------------------------------------------------------------------------------------


def _staff() -> Any:
    return User.objects.filter(role__in=STAFF_ROLES)


def _id_list(queryset: Any) -> serializers.ListField:
    return serializers.ListField(
        child=ModelIdField(queryset=queryset), max_length=MAX_CONDITION_IDS, required=False
    )


class PolicyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    is_default = serializers.BooleanField(read_only=True)
    match_tiers = serializers.ListField(child=inline_choice_field(CustomerTier.choices), read_only=True)
    match_priorities = serializers.ListField(child=inline_choice_field(Priority.choices), read_only=True)
    match_channels = serializers.ListField(child=inline_choice_field(Channel.choices), read_only=True)
    match_organizations = RelatedIdsField()
    match_categories = RelatedIdsField()
    match_teams = RelatedIdsField()
    match_tags = RelatedIdsField()
    pause_statuses = serializers.ListField(child=serializers.CharField(), read_only=True)
    automatic_reply_counts = serializers.BooleanField(read_only=True)
    warning_levels = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    escalate_raise_tier = serializers.BooleanField(read_only=True)
    escalation_team = serializers.IntegerField(source="escalation_team_id", read_only=True, allow_null=True)
    escalate_raise_priority = serializers.BooleanField(read_only=True)
    director = serializers.IntegerField(source="director_id", read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True, help_text="The newest published version.")
    updated_at = serializers.DateTimeField(read_only=True)


class PolicyCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=120)
    position = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    is_active = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)
    match_tiers = serializers.ListField(
        child=inline_choice_field(CustomerTier.choices), max_length=20, required=False
    )
    match_priorities = serializers.ListField(
        child=inline_choice_field(Priority.choices), max_length=20, required=False
    )
    match_channels = serializers.ListField(
        child=inline_choice_field(Channel.choices), max_length=20, required=False
    )
    match_organizations = _id_list(Organization.objects.all())
    match_categories = _id_list(Category.objects.all())
    match_teams = _id_list(Team.objects.all())
    match_tags = _id_list(Tag.objects.all())
    pause_statuses = serializers.ListField(
        child=inline_choice_field(PAUSE_STATUS_CHOICES),
        max_length=20,
        required=False,
        help_text="Open statuses that pause the resolution and update clocks.",
    )
    automatic_reply_counts = serializers.BooleanField(required=False)
    warning_levels = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_WARNING_LEVEL),
        min_length=1,
        max_length=10,
        required=False,
        help_text="Percentages of the target, ascending, including 100 (the breach).",
    )
    escalate_raise_tier = serializers.BooleanField(required=False)
    escalation_team = ModelIdField(queryset=Team.objects.all(), allow_null=True, required=False)
    escalate_raise_priority = serializers.BooleanField(required=False)
    director = ModelIdField(queryset=_staff(), allow_null=True, required=False)

    def validate_warning_levels(self, value: list[int]) -> list[int]:
        if value != sorted(set(value)):
            raise serializers.ValidationError("List levels once each, in ascending order.")
        if BREACH_LEVEL not in value:
            raise serializers.ValidationError("Include 100 (the breach).")
        return value


class PolicyUpdateInputSerializer(PolicyCreateInputSerializer):
    name = serializers.CharField(max_length=120, required=False)


class PolicyReorderInputSerializer(StrictInputSerializer):
    ids = serializers.ListField(child=IdField(), min_length=1, max_length=MAX_ROWS)


class TargetCellInputSerializer(StrictInputSerializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    tier = serializers.ChoiceField(choices=CustomerTier.choices)
    metric = serializers.ChoiceField(choices=SlaMetric.choices)
    minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_TARGET_MINUTES, allow_null=True, help_text="null: no target for this cell."
    )
    business_hours = serializers.BooleanField(default=True, help_text="false: calendar hours (24/7).")
    calendar = ModelIdField(
        queryset=BusinessCalendar.objects.all(),
        allow_null=True,
        required=False,
        default=None,
        help_text="null: the organization's, then the team's, then the default calendar.",
    )


class TargetCellOutputSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    tier = serializers.ChoiceField(choices=CustomerTier.choices, read_only=True)
    metric = serializers.ChoiceField(choices=SlaMetric.choices, read_only=True)
    minutes = serializers.IntegerField(read_only=True, allow_null=True)
    business_hours = serializers.BooleanField(read_only=True)
    calendar = serializers.IntegerField(source="calendar_id", read_only=True, allow_null=True)


class TargetMatrixInputSerializer(StrictInputSerializer):
    cells = serializers.ListField(child=TargetCellInputSerializer(), min_length=1, max_length=MAX_ROWS)

    def validate_cells(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = [(cell["priority"], cell["tier"], cell["metric"]) for cell in value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise serializers.ValidationError(
                [f"{p}/{t}/{m} is listed more than once." for p, t, m in repeated]
            )
        return value


class TargetMatrixOutputSerializer(serializers.Serializer):
    policy = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="The newest published version.")
    published = serializers.BooleanField(
        read_only=True, help_text="Whether this request published a version."
    )
    cells = TargetCellOutputSerializer(many=True, read_only=True)


class BaseTargetInputSerializer(StrictInputSerializer):
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_TARGET_MINUTES, allow_null=True)
    business_hours = serializers.BooleanField(default=True)


@extend_schema_field(
    {
        "type": "object",
        "description": "priority → metric → {minutes, business_hours}; default: the reference table.",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "minutes": {"type": "integer", "nullable": True},
                    "business_hours": {"type": "boolean"},
                },
            },
        },
    }
)
class BaseMatrixField(serializers.Field):
    """priority → metric → {minutes, business_hours}, turned into the service's tuples."""

    def to_internal_value(self, data: Any) -> dict[str, dict[str, tuple[int | None, bool]]]:
        if not isinstance(data, Mapping) or not data:
            raise serializers.ValidationError("An object keyed by priority.")
        result: dict[str, dict[str, tuple[int | None, bool]]] = {}
        for priority, metrics in data.items():
            if priority not in Priority.values:
                raise serializers.ValidationError(f"'{str(priority)[:20]}' is not a priority.")
            if not isinstance(metrics, Mapping):
                raise serializers.ValidationError(f"{priority}: an object keyed by metric.")
            for metric, cell in metrics.items():
                if metric not in SlaMetric.values:
                    raise serializers.ValidationError(f"'{str(metric)[:20]}' is not a metric.")
                parsed = BaseTargetInputSerializer(data=cell)
                if not parsed.is_valid():
                    raise serializers.ValidationError({f"{priority}.{metric}": parsed.errors})
                result.setdefault(priority, {})[metric] = (
                    parsed.validated_data["minutes"],
                    parsed.validated_data["business_hours"],
                )
        return result

    def to_representation(self, value: Any) -> Any:
        return value


class FillMatrixInputSerializer(StrictInputSerializer):
    base = BaseMatrixField(required=False)
    multipliers = serializers.DictField(
        child=serializers.FloatField(min_value=0.01, max_value=100),
        required=False,
        help_text="tier → factor; default: enterprise 0.5, business 1, professional 1.5, starter 2, free 4.",
    )

    def validate_multipliers(self, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(CustomerTier.values))
        if unknown or not value:
            raise serializers.ValidationError(
                [f"'{key[:20]}' is not a tier." for key in unknown] or ["Give at least one tier."]
            )
        return value


class PolicyVersionOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    snapshot = serializers.JSONField(read_only=True)


class ReapplyJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    # A plain string: an enum named "status" would collide with the ticket status enum.
    status = serializers.CharField(read_only=True, help_text="queued, running, done or failed.")
    total = serializers.IntegerField(read_only=True)
    done = serializers.IntegerField(read_only=True)
    percent = serializers.IntegerField(read_only=True)
    policy = serializers.IntegerField(source="policy_id", read_only=True, allow_null=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True, allow_null=True)
    calendar = serializers.IntegerField(source="calendar_id", read_only=True, allow_null=True)
    rematch = serializers.BooleanField(read_only=True)
    error = serializers.CharField(read_only=True)
    requested_by = serializers.IntegerField(source="requested_by_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    heartbeat_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)


# --- a ticket's SLA -----------------------------------------------------------------------------------


class TimelineSegmentOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["not_started", "running", "paused", "outside_business_hours", "stopped"], read_only=True
    )
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True)
    reason = serializers.CharField(read_only=True)
    seconds = serializers.SerializerMethodField()

    def get_seconds(self, segment: Any) -> int:
        return int(segment.duration.total_seconds())


class ClockCustomerOutputSerializer(serializers.Serializer):
    """What a customer is promised: the target and when it is due, nothing internal."""

    metric = serializers.ChoiceField(source="clock.metric", choices=SlaMetric.choices, read_only=True)
    period = serializers.IntegerField(source="clock.period", read_only=True)
    state = serializers.CharField(read_only=True)
    target_seconds = serializers.IntegerField(source="clock.target_seconds", read_only=True)
    target = serializers.SerializerMethodField(help_text="The target as people say it, e.g. '4 h'.")
    started_at = serializers.DateTimeField(source="clock.started_at", read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_target(self, overview: Any) -> str:
        return duration_text(overview.clock.target_seconds)


class ClockOutputSerializer(ClockCustomerOutputSerializer):
    calendar = serializers.CharField(source="calendar_name", read_only=True)
    ended_at = serializers.DateTimeField(source="clock.ended_at", read_only=True, allow_null=True)
    elapsed_seconds = serializers.SerializerMethodField()
    remaining_seconds = serializers.SerializerMethodField()
    percent = serializers.FloatField(read_only=True)
    is_breached = serializers.SerializerMethodField()
    breached_at = serializers.DateTimeField(read_only=True, allow_null=True)
    severely_breached_at = serializers.DateTimeField(read_only=True, allow_null=True)
    warned_level = serializers.IntegerField(source="clock.warned_level", read_only=True)
    pause_reason = serializers.CharField(read_only=True)
    policy_version = serializers.IntegerField(source="clock.policy_version.number", read_only=True)
    timeline = TimelineSegmentOutputSerializer(many=True, read_only=True)

    def get_elapsed_seconds(self, overview: Any) -> int:
        return int(overview.elapsed.total_seconds())

    def get_remaining_seconds(self, overview: Any) -> int:
        return int(overview.remaining.total_seconds())

    def get_is_breached(self, overview: Any) -> bool:
        return overview.breached_at is not None


class SlaEventCustomerOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SlaEventKind.choices, read_only=True)
    at = serializers.DateTimeField(read_only=True)
    metric = serializers.CharField(source="clock.metric", read_only=True, allow_null=True, default=None)
    period = serializers.IntegerField(source="clock.period", read_only=True, allow_null=True, default=None)


class SlaEventOutputSerializer(SlaEventCustomerOutputSerializer):
    id = serializers.IntegerField(read_only=True)
    level = serializers.IntegerField(read_only=True, allow_null=True)
    recorded_at = serializers.DateTimeField(read_only=True)
    data = serializers.JSONField(read_only=True)


class AppliedPolicyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="policy_version.policy_id", read_only=True)
    name = serializers.CharField(source="policy_version.policy.name", read_only=True)
    version = serializers.IntegerField(source="policy_version.number", read_only=True)
    applied_at = serializers.DateTimeField(read_only=True)


class TicketSlaCustomerOutputSerializer(serializers.Serializer):
    now = serializers.DateTimeField(read_only=True, help_text="The instant the values are computed for.")
    clocks = ClockCustomerOutputSerializer(many=True, read_only=True)
    events = SlaEventCustomerOutputSerializer(many=True, read_only=True)


class TicketSlaOutputSerializer(TicketSlaCustomerOutputSerializer):
    policy = AppliedPolicyOutputSerializer(source="ticket_sla", read_only=True, allow_null=True)
    clocks = ClockOutputSerializer(many=True, read_only=True)
    events = SlaEventOutputSerializer(many=True, read_only=True)
