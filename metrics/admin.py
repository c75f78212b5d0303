"""Django admin for surveys (admins only): the policy saves through metrics.services; surveys,
NPS schedules and follow-ups are written by the sweep and by customers, so they are read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Model
from django.http import HttpRequest
from django.shortcuts import redirect

from helpdesk.admin_base import EstimatedCountPaginator, ReadOnlyModelAdmin, ServiceModelAdmin
from metrics import selectors, services
from metrics.models import NpsSchedule, Survey, SurveyFollowUp, SurveySettings


@admin.register(SurveySettings)
class SurveySettingsAdmin(ServiceModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("__str__", "csat_enabled", "csat_delay", "quiet_period", "nps_enabled", "ces_enabled")
    fieldsets = (
        ("CSAT", {"fields": ("csat_enabled", "csat_delay", "csat_send_window", "skip_tag")}),
        ("Every survey", {"fields": ("quiet_period", "link_lifetime")}),
        ("Low scores", {"fields": ("low_score_threshold", "follow_up_window")}),
        ("NPS and CES", {"fields": ("nps_enabled", "nps_interval", "ces_enabled")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row: adding is allowed only until it exists (a flushed database has none).
        return super().has_add_permission(request) and not SurveySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return services.survey_settings_update(**data)

    def service_update(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Model:
        return services.survey_settings_update(**data)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # A one-row table: go straight to the row's form (or the add form while there is none).
        row = SurveySettings.objects.filter(pk=selectors.SETTINGS_ID).first()
        if row is not None and self.has_change_permission(request, row):
            return redirect("admin:metrics_surveysettings_change", row.pk)
        return super().changelist_view(request, extra_context)


@admin.register(Survey)
class SurveyAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "skip_reason",
        "ticket_id",
        "requester",
        "agent",
        "due_at",
        "sent_at",
        "score",
    )
    list_filter = ("kind", "status", "skip_reason")
    list_select_related = ("requester", "agent")
    raw_id_fields = ("requester", "ticket", "agent", "team")
    search_fields = ("=ticket__id", "requester__email")
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(NpsSchedule)
class NpsScheduleAdmin(ReadOnlyModelAdmin):
    list_display = ("customer", "next_due_at", "created_at")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    search_fields = ("customer__email",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(SurveyFollowUp)
class SurveyFollowUpAdmin(ReadOnlyModelAdmin):
    list_display = ("survey", "owner", "due_at", "done_at", "done_by")
    list_filter = ("done_at",)
    list_select_related = ("survey", "owner", "done_by")
    raw_id_fields = ("survey", "owner", "done_by")


from metrics.reporting import admin as reporting_admin  # noqa: E402, F401 - registers metric targets
