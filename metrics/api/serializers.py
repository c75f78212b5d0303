"""Metrics API input and output serializers (STYLE.md C8)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rest_framework import serializers

from metrics.reporting import periods
from metrics.reporting.aggregate import DIMENSIONS, SLICE_DIMENSIONS
from metrics.reporting.formulas import FIGURE_NAMES
from metrics.reporting.periods import Window


class MetricQueryInputSerializer(serializers.Serializer):
    """The window and slice every metrics endpoint reads: a named period or explicit dates."""

    period = serializers.ChoiceField(
        choices=list(periods.PERIOD_DAYS), required=False, help_text="1w, 1m or 6m, ending today (UTC)."
    )
    start = serializers.DateField(required=False, help_text="First day (UTC), with `end`.")
    end = serializers.DateField(required=False, help_text="Last day (UTC), included.")
    dimension = serializers.ChoiceField(choices=list(DIMENSIONS), default="all")
    key = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True, help_text="The slice's id or value."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today: date = self.context["today"]
        has_dates = "start" in attrs or "end" in attrs
        if "period" in attrs and has_dates:
            raise serializers.ValidationError({"period": ["Give a period or start and end, not both."]})
        if has_dates:
            if "start" not in attrs or "end" not in attrs:
                missing = "end" if "start" in attrs else "start"
                raise serializers.ValidationError({missing: ["Give both start and end."]})
            if attrs["end"] < attrs["start"]:
                raise serializers.ValidationError({"end": ["The end is before the start."]})
            if (attrs["end"] - attrs["start"]).days + 1 > periods.MAX_WINDOW_DAYS:
                raise serializers.ValidationError(
                    {"end": [f"A window is at most {periods.MAX_WINDOW_DAYS} days."]}
                )
            attrs["window"] = Window(attrs["start"], attrs["end"])
        else:
            attrs["window"] = periods.window_for(attrs.get("period", "1w"), today=today)
        if attrs["dimension"] == "all" and attrs["key"]:
            raise serializers.ValidationError({"key": ["A key needs a dimension other than all."]})
        return attrs


def _names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in FIGURE_NAMES]
    if unknown:
        raise serializers.ValidationError(f"Unknown metrics: {', '.join(unknown)}.")
    return names


class MetricNamesField(serializers.CharField):
    def to_internal_value(self, data: Any) -> list[str]:  # type: ignore[override]
        return _names(super().to_internal_value(data))


class SeriesInputSerializer(MetricQueryInputSerializer):
    interval = serializers.ChoiceField(choices=list(periods.INTERVALS), default="day")
    metrics = MetricNamesField(
        required=False,
        help_text=f"Comma-separated figure names (default: all). One of: {', '.join(FIGURE_NAMES)}.",
    )


class BreakdownInputSerializer(MetricQueryInputSerializer):
    dimension = serializers.ChoiceField(choices=list(SLICE_DIMENSIONS))
    metrics = MetricNamesField(
        required=False,
        help_text="Comma-separated figure names (default: all but the medians and 90th percentiles).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs["key"]:
            raise serializers.ValidationError({"key": ["A breakdown lists every key of the dimension."]})
        return attrs


class HeatmapInputSerializer(MetricQueryInputSerializer):
    tz = serializers.CharField(default="UTC", max_length=64, help_text="IANA time zone, e.g. Europe/Berlin.")

    def validate_tz(self, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise serializers.ValidationError("Unknown time zone.") from error
        return value


class LiveInputSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=list(DIMENSIONS), default="all")


# --- output -----------------------------------------------------------------------------------------


class WindowOutputSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()


class SliceOutputSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    key = serializers.CharField(allow_blank=True, help_text="Empty for all tickets, or for none set.")
    label = serializers.CharField()


class FigureOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="Seconds for durations, 0–100 for percentages.")
    unit = serializers.CharField()
    tone = serializers.CharField(help_text="good, watch, bad, or none (no figure or no target).")
    tone_words = serializers.CharField()
    target = serializers.CharField(help_text="The target and warning level in words.")
    target_key = serializers.CharField(
        allow_blank=True, help_text="The MetricTarget that colours it (empty: none)."
    )
    sample = serializers.IntegerField(help_text="Tickets or answers behind the figure.")
    previous = serializers.FloatField(allow_null=True, help_text="The previous window's value, when read.")


class SummaryOutputSerializer(serializers.Serializer):
    window = WindowOutputSerializer()
    slice = SliceOutputSerializer()
    figures = FigureOutputSerializer(many=True)


class SeriesPointOutputSerializer(serializers.Serializer):
    window = WindowOutputSerializer()
    figures = FigureOutputSerializer(many=True)


class SeriesOutputSerializer(serializers.Serializer):
    window = WindowOutputSerializer()
    slice = SliceOutputSerializer()
    interval = serializers.CharField()
    points = SeriesPointOutputSerializer(many=True)


class FigureDefinitionOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    target = serializers.CharField()
    target_key = serializers.CharField(allow_blank=True)


class BreakdownRowOutputSerializer(serializers.Serializer):
    slice = SliceOutputSerializer()
    share_of_created = serializers.FloatField(
        allow_null=True, help_text="Percent of the window's new tickets."
    )
    values = serializers.DictField(child=serializers.FloatField(allow_null=True))
    tones = serializers.DictField(child=serializers.CharField())
    samples = serializers.DictField(child=serializers.IntegerField())


class BreakdownOutputSerializer(serializers.Serializer):
    window = WindowOutputSerializer()
    dimension = serializers.CharField()
    figures = FigureDefinitionOutputSerializer(many=True, help_text="What each figure is, once.")
    rows = BreakdownRowOutputSerializer(many=True)


class HeatmapOutputSerializer(serializers.Serializer):
    window = WindowOutputSerializer()
    slice = SliceOutputSerializer()
    time_zone = serializers.CharField()
    weekdays = serializers.ListField(child=serializers.CharField())
    cells = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    total = serializers.IntegerField()


class LiveRowOutputSerializer(serializers.Serializer):
    slice = SliceOutputSerializer()
    open = serializers.IntegerField()
    unassigned = serializers.IntegerField(help_text="Queue depth: open and nobody assigned.")
    waiting = serializers.IntegerField(help_text="Pending or on hold.")
    backlog = serializers.IntegerField(help_text="Open for more than 24 hours.")
    ages = serializers.DictField(child=serializers.IntegerField())
    breached = serializers.IntegerField()
    at_risk = serializers.IntegerField()
    severe = serializers.IntegerField()
    figures = FigureOutputSerializer(many=True)


class LiveOutputSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField(allow_null=True)
    dimension = serializers.CharField()
    rows = LiveRowOutputSerializer(many=True)


class TargetOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    good_min = serializers.FloatField(allow_null=True)
    good_max = serializers.FloatField(allow_null=True)
    warn_min = serializers.FloatField(allow_null=True)
    warn_max = serializers.FloatField(allow_null=True)
    compare_to_previous = serializers.BooleanField()
    description = serializers.CharField(source="describe")
    source = serializers.CharField()
