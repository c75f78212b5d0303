"""Admin screens for routing and automation. Rules and macros are edited in the product's own
screens (/tickets/automation/, /tickets/macros/), which validate them and offer a dry run; here
they are read-only. Routing settings save through tickets.services.routing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from helpdesk.admin_base import ReadOnlyModelAdmin, ServiceModelAdmin
from tickets.automation.models import AgentRouting, AutomationRule, CategorySkill, Macro, TeamRouting
from tickets.services import routing


@admin.register(AutomationRule)
class AutomationRuleAdmin(ReadOnlyModelAdmin):
    list_display = ("position", "name", "kind", "is_active", "stop_processing", "updated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    ordering = ("position", "id")


@admin.register(Macro)
class MacroAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "owner", "team", "visibility", "is_active", "updated_at")
    list_select_related = ("owner", "team")
    list_filter = ("is_active", "visibility")
    search_fields = ("name",)


@admin.register(TeamRouting)
class TeamRoutingAdmin(ServiceModelAdmin):
    list_display = ("team", "strategy", "auto_assign", "last_assigned", "updated_at")
    list_select_related = ("team", "last_assigned")
    fields = ("team", "strategy", "auto_assign")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("team",) if obj is not None else ()

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> TeamRouting:
        return routing.team_routing_set(
            team=data["team"],
            strategy=data["strategy"],
            auto_assign=data["auto_assign"],
            actor=request.user,  # type: ignore[arg-type]
        )

    def service_update(self, request: HttpRequest, obj: TeamRouting, data: dict[str, Any]) -> TeamRouting:
        return routing.team_routing_set(
            team=obj.team,
            strategy=data["strategy"],
            auto_assign=data["auto_assign"],
            actor=request.user,  # type: ignore[arg-type]
        )


@admin.register(AgentRouting)
class AgentRoutingAdmin(ServiceModelAdmin):
    list_display = ("agent", "ramp_share", "calendar", "updated_at")
    list_select_related = ("agent", "calendar")
    fields = ("agent", "ramp_share", "calendar")
    raw_id_fields = ("agent",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("agent",) if obj is not None else ()

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> AgentRouting:
        calendar = data.get("calendar")
        return routing.agent_routing_set(
            agent=data["agent"],
            ramp_share=data["ramp_share"],
            calendar_id=calendar.pk if calendar else None,
            actor=request.user,  # type: ignore[arg-type]
        )

    def service_update(self, request: HttpRequest, obj: AgentRouting, data: dict[str, Any]) -> AgentRouting:
        calendar = data.get("calendar")
        return routing.agent_routing_set(
            agent=obj.agent,
            ramp_share=data["ramp_share"],
            calendar_id=calendar.pk if calendar else None,
            actor=request.user,  # type: ignore[arg-type]
        )


@admin.register(CategorySkill)
class CategorySkillAdmin(ServiceModelAdmin):
    """Category → the skill its tickets need, for skill-based routing."""

    list_display = ("category", "skill")
    list_select_related = ("category", "skill")
    fields = ("category", "skill")

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> CategorySkill:
        return routing.category_skill_set(category=data["category"], skill=data["skill"], actor=request.user)  # type: ignore[arg-type,return-value]

    def service_update(self, request: HttpRequest, obj: CategorySkill, data: dict[str, Any]) -> CategorySkill:
        if data["category"].pk != obj.category_id:
            routing.category_skill_set(category=obj.category, skill=None, actor=request.user)  # type: ignore[arg-type]
        return routing.category_skill_set(category=data["category"], skill=data["skill"], actor=request.user)  # type: ignore[arg-type,return-value]
