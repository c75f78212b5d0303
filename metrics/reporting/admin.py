"""Django admin for metric targets (admins only); registered from metrics/admin.py.

Targets save through metrics.reporting.services; facts and rollups are derived data and have no
admin (`manage.py metrics_rebuild` recomputes them).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from helpdesk.admin_base import ServiceModelAdmin
from metrics.reporting import services
from metrics.reporting.models import MetricTarget
from metrics.reporting.targets import DEFAULTS


@admin.register(MetricTarget)
class MetricTargetAdmin(ServiceModelAdmin):
    list_display = ("__str__", "unit", "good_min", "good_max", "warn_min", "warn_max", "compare_to_previous")
    readonly_fields = ("unit", "updated_at")
    fields = (
        "key",
        "unit",
        "good_min",
        "good_max",
        "warn_min",
        "warn_max",
        "compare_to_previous",
        "source",
        "updated_at",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        existing = set(MetricTarget.objects.values_list("key", flat=True))
        return super().has_add_permission(request) and bool(set(DEFAULTS) - existing)

    def _save(self, data: dict[str, Any]) -> Model:
        return services.metric_target_update(
            key=data["key"],
            good_min=data.get("good_min"),
            good_max=data.get("good_max"),
            warn_min=data.get("warn_min"),
            warn_max=data.get("warn_max"),
            compare_to_previous=bool(data.get("compare_to_previous")),
            source=data.get("source", ""),
            now=timezone.now(),
        )

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Model:
        return self._save(data)

    def service_update(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Model:
        return self._save({**data, "key": obj.key})
