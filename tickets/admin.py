"""Django admin for the ticket domain.

Tickets, their messages, links and event log are read-only here: every change to them goes through
tickets.services (STYLE.md C4), which the admin has no screens for. The taxonomy is edited through
its services. List pages avoid COUNT(*) over the whole table and load foreign keys in one query so they
stay fast with millions of tickets.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.text import slugify

from helpdesk.admin_base import EstimatedCountPaginator, ReadOnlyInline, ReadOnlyModelAdmin, ServiceModelAdmin
from tickets import services
from tickets.models import (
    CannedResponse,
    Category,
    ProductArea,
    Tag,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMessage,
)

# --- Taxonomy: edited through services; retired (is_active) rather than deleted ---------------------------


@admin.register(Category)
class CategoryAdmin(ServiceModelAdmin):
    list_display = ("name", "parent", "slug", "is_active")
    list_select_related = ("parent",)
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("name", "parent", "slug", "is_active")
    readonly_fields = ("slug",)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "parent":
            kwargs["queryset"] = Category.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tickets keep their category; retire it instead

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Category:
        return services.category_create(
            name=data["name"], parent=data.get("parent"), is_active=data.get("is_active", True)
        )

    def service_update(self, request: HttpRequest, obj: Category, data: dict[str, Any]) -> Category:
        return services.category_update(
            category_id=obj.pk, name=data["name"], parent=data.get("parent"), is_active=data["is_active"]
        )


class TagForm(forms.ModelForm):
    name = forms.CharField(
        max_length=60, help_text="Stored as a slug: “Feature Request” becomes “feature-request”."
    )

    class Meta:
        model = Tag
        fields = ("name", "description", "is_active")

    def clean_name(self) -> str:
        # Slugify before the model's slug validation runs; tag_create stores the same slug.
        name: str = self.cleaned_data["name"]
        return slugify(name) or name


@admin.register(Tag)
class TagAdmin(ServiceModelAdmin):
    form = TagForm
    list_display = ("name", "description", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("name", "description", "is_active")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("name",) if obj is not None else ()  # history refers to tags by name

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting would silently untag tickets; retire it instead

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Tag:
        return services.tag_create(
            name=data["name"], description=data.get("description", ""), is_active=data.get("is_active", True)
        )

    def service_update(self, request: HttpRequest, obj: Tag, data: dict[str, Any]) -> Tag:
        return services.tag_update(
            tag_id=obj.pk, description=data["description"], is_active=data["is_active"]
        )


@admin.register(ProductArea)
class ProductAreaAdmin(ServiceModelAdmin):
    list_display = ("name", "slug", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("name", "slug", "is_active")
    readonly_fields = ("slug",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tickets keep their product area; retire it instead

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> ProductArea:
        return services.product_area_create(name=data["name"], is_active=data.get("is_active", True))

    def service_update(self, request: HttpRequest, obj: ProductArea, data: dict[str, Any]) -> ProductArea:
        return services.product_area_update(
            product_area_id=obj.pk, name=data["name"], is_active=data["is_active"]
        )


# --- Tickets and their history: read-only -------------------------------------------------------------


class TicketSearchByNumberMixin:
    """Search a big table by ticket number only: an index lookup, never a scan of every subject."""

    search_help_text = "Ticket number, e.g. 1234 or #1234."

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip().lstrip("#")
        if not term:
            return queryset, False
        if not term.isdigit():
            return queryset.none(), False
        number = int(term)
        condition = Q()
        for field in self.ticket_number_fields:  # type: ignore[attr-defined]
            condition |= Q(**{field: number})
        return queryset.filter(condition), False


class TicketMessageInline(ReadOnlyInline):
    model = TicketMessage
    fields = ("created_at", "author", "author_kind", "visibility", "channel", "body")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketMessage]:
        return super().get_queryset(request).select_related("author")


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ("occurred_at", "kind", "actor", "data", "recorded_at")
    readonly_fields = fields
    verbose_name_plural = "event log"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketEvent]:
        return super().get_queryset(request).select_related("actor")


@admin.register(Ticket)
class TicketAdmin(TicketSearchByNumberMixin, ReadOnlyModelAdmin):
    ticket_number_fields = ("pk",)
    list_display = ("id", "subject", "status", "priority", "team", "assignee", "created_at")
    list_display_links = ("id", "subject")
    list_select_related = ("team", "assignee")
    list_filter = ("status", "priority", "channel")
    search_fields = ("id",)  # enables the search box; get_search_results decides what it does
    raw_id_fields = (
        "requester",
        "organization",
        "category",
        "product_area",
        "team",
        "assignee",
        "merged_into",
    )
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    view_on_site = False
    inlines = (TicketMessageInline, TicketEventInline)
    fieldsets = (
        (None, {"fields": ("subject", "description", "status", "close_reason", "merged_into")}),
        (
            "Routing",
            {
                "fields": (
                    "requester",
                    "organization",
                    "team",
                    "assignee",
                    "support_tier",
                    "priority",
                    "severity",
                    "category",
                    "product_area",
                    "tags",
                    "channel",
                )
            },
        ),
        (
            "Timeline",
            {
                "fields": (
                    "created_at",
                    "updated_at",
                    "first_response_at",
                    "last_customer_message_at",
                    "last_agent_message_at",
                    "resolved_at",
                    "closed_at",
                    "reopened_count",
                    "message_count",
                )
            },
        ),
        ("Import", {"fields": ("source", "external_id"), "classes": ("collapse",)}),
    )


@admin.register(TicketMessage)
class TicketMessageAdmin(TicketSearchByNumberMixin, ReadOnlyModelAdmin):
    ticket_number_fields = ("ticket_id",)
    ordering = ("-id",)  # newest first through the primary key; there is no index on created_at alone
    search_help_text = "Ticket number, e.g. 1234 or #1234: lists that ticket's messages."
    list_display = ("id", "ticket", "author", "author_kind", "visibility", "channel", "created_at")
    list_select_related = ("ticket", "author")
    list_filter = ("visibility", "author_kind", "channel")
    search_fields = ("ticket__id",)
    raw_id_fields = ("ticket", "author")
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(TicketEvent)
class TicketEventAdmin(TicketSearchByNumberMixin, ReadOnlyModelAdmin):
    """The event log is append-only (a database trigger refuses UPDATE); the admin only shows it."""

    ticket_number_fields = ("ticket_id",)
    ordering = ("-id",)  # newest first through the primary key; there is no index on created_at alone
    search_help_text = "Ticket number, e.g. 1234 or #1234: lists that ticket's events."
    list_display = ("id", "ticket", "kind", "actor", "occurred_at", "recorded_at")
    list_select_related = ("ticket", "actor")
    list_filter = ("kind",)
    search_fields = ("ticket__id",)
    raw_id_fields = ("ticket", "actor")
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(TicketLink)
class TicketLinkAdmin(TicketSearchByNumberMixin, ReadOnlyModelAdmin):
    ticket_number_fields = ("from_ticket_id", "to_ticket_id")
    list_display = ("id", "from_ticket", "kind", "to_ticket", "created_by", "created_at")
    list_select_related = ("from_ticket", "to_ticket", "created_by")
    list_filter = ("kind",)
    search_fields = ("from_ticket__id",)
    raw_id_fields = ("from_ticket", "to_ticket", "created_by")
    show_full_result_count = False
    paginator = EstimatedCountPaginator


# --- Canned responses: agents' reusable replies, plain configuration rows with no event log ---------------


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "team", "is_active", "updated_at")
    list_select_related = ("owner", "team")
    list_filter = ("is_active", "team")
    search_fields = ("title",)
    fields = ("title", "body", "owner", "team", "is_active")
    raw_id_fields = ("owner",)


# --- Routing and automation (issue 7) live with their package -----------------------------------------
from tickets.automation import admin as _automation_admin  # noqa: E402, F401 - registers its ModelAdmins

# --- The e-mail channel's admin screens live with it ----------------------------------------------
from tickets.mail import admin as _email_admin  # noqa: E402, F401 - registers its ModelAdmins
