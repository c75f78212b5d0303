"""Django admin for SLA calendars, policies and the SLA engine's records (admins only).

Calendars and policies save through sla.services (STYLE.md C4), inline rows included: the
service replaces the rows, bumps the calendar's updated_at and queues re-plans, or publishes a
new policy version. Clocks, events, versions and re-apply jobs are written only by the engine.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from helpdesk.admin_base import EstimatedCountPaginator, ReadOnlyModelAdmin, ServiceModelAdmin
from sla import services
from sla.models import (
    BusinessCalendar,
    Holiday,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    SlaPolicyVersion,
    SlaReapplyJob,
    SlaTarget,
    SpecialHours,
    TicketSla,
    WeeklyInterval,
)

CALENDAR_ROW_FIELDS: dict[type[Model], tuple[str, tuple[str, ...]]] = {
    WeeklyInterval: ("weekly_hours", ("weekday", "start", "end")),
    Holiday: ("holidays", ("date", "name")),
    SpecialHours: ("special_hours", ("date", "start", "end", "note")),
}
TARGET_FIELDS = ("priority", "tier", "metric", "minutes", "business_hours", "calendar")


def _kept_rows(formset: forms.BaseFormSet, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return the formset's rows that stay (filled in, not marked for deletion) as plain dicts."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append({name: data.get(name) for name in fields})
    return rows


# --- calendars ------------------------------------------------------------------------------------


class WeeklyIntervalInline(admin.TabularInline):
    model = WeeklyInterval
    extra = 0
    fields = ("weekday", "start", "end")


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    fields = ("date", "name")


class SpecialHoursInline(admin.TabularInline):
    model = SpecialHours
    extra = 0
    fields = ("date", "start", "end", "note")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ServiceModelAdmin):
    list_display = ("name", "time_zone", "is_24_7", "is_default", "holiday_country", "updated_at")
    list_filter = ("is_default", "is_24_7")
    search_fields = ("name",)
    fields = (
        "name",
        "time_zone",
        "is_24_7",
        "is_default",
        "holiday_country",
        "holiday_subdivision",
        "updated_at",
    )
    readonly_fields = ("holiday_country", "holiday_subdivision", "updated_at")
    inlines = (WeeklyIntervalInline, HolidayInline, SpecialHoursInline)

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> BusinessCalendar:
        return services.calendar_create(actor=request.user, **data)

    def service_update(
        self, request: HttpRequest, obj: BusinessCalendar, data: dict[str, Any]
    ) -> BusinessCalendar:
        return services.calendar_update(calendar_id=obj.pk, actor=request.user, **data)

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        # A change is saved once, fields and rows together, in save_related: one re-plan job.
        if not change:
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        rows: dict[str, Any] = {}
        for formset in formsets:
            if formset.model in CALENDAR_ROW_FIELDS:
                name, fields = CALENDAR_ROW_FIELDS[formset.model]
                rows[name] = _kept_rows(formset, fields)
        fields = dict(form.cleaned_data) if change else {}
        services.calendar_update(calendar_id=form.instance.pk, actor=request.user, **fields, **rows)
        super().save_related(request, form, formsets, change)


# --- policies ---------------------------------------------------------------------------------------


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    fields = TARGET_FIELDS
    can_delete = False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ServiceModelAdmin):
    list_display = ("name", "position", "is_active", "is_default", "version", "updated_at")
    list_filter = ("is_active", "is_default")
    search_fields = ("name",)
    ordering = ("is_default", "position", "id")
    readonly_fields = ("version", "updated_at")
    filter_horizontal = ("match_organizations", "match_categories", "match_teams", "match_tags")
    raw_id_fields = ("director", "escalation_team")
    inlines = (SlaTargetInline,)

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> SlaPolicy:
        return services.policy_create(actor=request.user, **data)

    def service_update(self, request: HttpRequest, obj: SlaPolicy, data: dict[str, Any]) -> SlaPolicy:
        return services.policy_update(policy_id=obj.pk, actor=request.user, **data)

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        # A change is saved once, rules and target cells together, so it publishes one version.
        if not change:
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        cells = [
            row
            for formset in formsets
            if formset.model is SlaTarget
            for row in _kept_rows(formset, TARGET_FIELDS)
        ]
        fields = dict(form.cleaned_data) if change else {}
        services.policy_update(policy_id=form.instance.pk, actor=request.user, targets=cells, **fields)
        super().save_related(request, form, formsets, change)

    def delete_model(self, request: HttpRequest, obj: SlaPolicy) -> None:
        services.policy_delete(policy_id=obj.pk)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.is_default


# --- the engine's records ------------------------------------------------------------------------------


@admin.register(SlaPolicyVersion)
class SlaPolicyVersionAdmin(ReadOnlyModelAdmin):
    list_display = ("policy", "number", "created_at", "created_by")
    list_filter = ("policy",)
    list_select_related = ("policy", "created_by")
    raw_id_fields = ("policy", "created_by")


@admin.register(TicketSla)
class TicketSlaAdmin(ReadOnlyModelAdmin):
    list_display = ("ticket", "policy_version", "applied_at")
    list_select_related = ("policy_version", "policy_version__policy")
    raw_id_fields = ("ticket", "policy_version")
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyModelAdmin):
    list_display = ("ticket_id", "metric", "period", "state", "due_at", "warned_level", "breached_at")
    list_filter = ("state", "metric")
    raw_id_fields = ("ticket", "policy_version", "calendar")
    search_fields = ("=ticket__id",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyModelAdmin):
    list_display = ("ticket_id", "kind", "level", "at", "recorded_at")
    list_filter = ("kind",)
    raw_id_fields = ("ticket", "clock")
    search_fields = ("=ticket__id",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(SlaReapplyJob)
class SlaReapplyJobAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "status",
        "progress",
        "policy",
        "calendar",
        "organization",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
    list_select_related = ("policy", "calendar", "organization")
    raw_id_fields = ("policy", "calendar", "organization", "requested_by")

    @admin.display(description="Progress")
    def progress(self, obj: SlaReapplyJob) -> str:
        return f"{obj.done}/{obj.total} ({obj.percent}%)"
