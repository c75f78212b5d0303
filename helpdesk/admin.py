"""Django admin for accounts, organizations, teams and API credentials (admins only: User.is_staff).

Admin saves of rows that have services go through those services (STYLE.md C4), so the admin cannot
skip an invariant the API enforces. Rows without a service that must not change are read-only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from helpdesk import services
from helpdesk.admin_base import EstimatedCountPaginator, ReadOnlyInline, ReadOnlyModelAdmin, ServiceModelAdmin
from helpdesk.forms import TOKEN_MAX_EXPIRY_DAYS
from helpdesk.models import (
    STAFF_ROLES,
    ApiToken,
    IdempotencyKey,
    Organization,
    OrganizationDomain,
    SavedView,
    Skill,
    Team,
    User,
)

admin.site.site_header = "Helpdesk administration"
admin.site.site_title = "Helpdesk admin"
admin.site.index_title = "Administration"
# Access is by User.role, not Django groups or permissions (User has no PermissionsMixin).
admin.site.unregister(Group)


def _agents() -> QuerySet[User]:
    return User.objects.filter(role__in=STAFF_ROLES)


# --- Organizations ------------------------------------------------------------------------------------


class OrganizationForm(forms.ModelForm):
    domains = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Email domains",
        help_text="One per line. New customers with an address at these domains join the organization.",
    )

    class Meta:
        model = Organization
        fields = ("name", "tier", "segment", "is_vip", "members_see_each_other", "account_owner", "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["domains"] = "\n".join(self.instance.domains.values_list("domain", flat=True))

    def clean_domains(self) -> list[str]:
        raw = self.cleaned_data["domains"].replace(",", "\n")
        return [line.strip() for line in raw.splitlines() if line.strip()]


class OrganizationDomainInline(ReadOnlyInline):
    """The domains as stored (normalised by the service); edit them in the field above."""

    model = OrganizationDomain
    fields = ("domain",)
    readonly_fields = ("domain",)
    show_change_link = False
    verbose_name_plural = "stored email domains"


@admin.register(Organization)
class OrganizationAdmin(ServiceModelAdmin):
    form = OrganizationForm
    inlines = (OrganizationDomainInline,)
    list_display = ("name", "tier", "segment", "is_vip", "members_see_each_other", "domain_list")
    list_filter = ("tier", "segment", "is_vip")
    search_fields = ("name", "domains__domain")
    raw_id_fields = ("account_owner",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "domains", "tier", "segment", "is_vip", "members_see_each_other")}),
        ("Account", {"fields": ("account_owner", "notes", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return super().get_queryset(request).prefetch_related("domains")

    @admin.display(description="Email domains")
    def domain_list(self, obj: Organization) -> str:
        return ", ".join(domain.domain for domain in obj.domains.all())

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Organization:
        return services.organization_create(**data)

    def service_update(self, request: HttpRequest, obj: Organization, data: dict[str, Any]) -> Organization:
        return services.organization_update(organization_id=obj.pk, **data)


# --- Users ----------------------------------------------------------------------------------------------


class _PasswordPairMixin:
    """Two password inputs (password1, password2) that must match and pass the configured validators."""

    def clean(self: Any) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 or password2:
            if password1 != password2:
                self.add_error("password2", "The two passwords differ.")
            else:
                try:
                    password_validation.validate_password(
                        password1, user=self.instance if self.instance.pk else None
                    )
                except forms.ValidationError as error:
                    self.add_error("password1", error)
        return cleaned


def _password_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


class UserAddForm(_PasswordPairMixin, forms.ModelForm):
    password1 = _password_field("Password", "Leave empty to create the user without a usable password.")
    password2 = _password_field("Password (again)")

    class Meta:
        model = User
        fields = ("email", "full_name", "role", "organization", "support_tier", "time_zone")


class UserChangeForm(_PasswordPairMixin, forms.ModelForm):
    password1 = _password_field("New password", "Leave empty to keep the current password.")
    password2 = _password_field("New password (again)")

    class Meta:
        model = User
        fields = (
            "email",
            "full_name",
            "role",
            "organization",
            "support_tier",
            "skills",
            "time_zone",
            "max_open_tickets",
            "availability",
            "is_active",
        )


USER_PROFILE_FIELDS = (
    "full_name",
    "role",
    "organization",
    "support_tier",
    "time_zone",
    "max_open_tickets",
    "availability",
    "is_active",
)


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    list_display = ("email", "full_name", "role", "organization", "support_tier", "availability", "is_active")
    list_select_related = ("organization",)
    list_filter = ("role", "support_tier", "availability", "is_active")
    search_fields = ("email", "full_name")
    show_full_result_count = False
    ordering = ("email",)
    raw_id_fields = ("organization",)
    filter_horizontal = ("skills",)
    readonly_fields = ("password_state", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "full_name", "role", "organization", "is_active")}),
        (
            "Agent settings",
            {"fields": ("support_tier", "skills", "max_open_tickets", "availability", "time_zone")},
        ),
        ("Password", {"fields": ("password_state", "password1", "password2")}),
        ("Activity", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("email", "full_name", "role", "organization", "support_tier", "time_zone")}),
        ("Password", {"fields": ("password1", "password2")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else super().get_readonly_fields(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # users own tickets and history: deactivate them instead

    @admin.display(description="Password")
    def password_state(self, obj: User) -> str:
        return "Set" if obj.has_usable_password() else "Not set (cannot sign in with a password)"

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> User:
        return services.user_create(
            email=data["email"],
            password=data.get("password1") or None,
            role=data["role"],
            organization=data.get("organization"),
            full_name=data.get("full_name", ""),
            support_tier=data.get("support_tier", ""),
            time_zone=data.get("time_zone") or "UTC",
        )

    def service_update(self, request: HttpRequest, obj: User, data: dict[str, Any]) -> User:
        return services.user_update(
            user_id=obj.pk,
            email=data["email"],
            skills=list(data.get("skills", [])),
            password=data.get("password1") or None,
            **{key: data[key] for key in USER_PROFILE_FIELDS if key in data},
        )


# --- Teams and skills -------------------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(ServiceModelAdmin):
    list_display = ("name", "lead", "default_tier", "is_escalation_team", "member_count")
    list_select_related = ("lead",)
    list_filter = ("default_tier", "is_escalation_team")
    search_fields = ("name",)
    fields = ("name", "slug", "lead", "default_tier", "is_escalation_team", "members", "created_at")
    readonly_fields = ("slug", "created_at")
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_total=models.Count("members"))

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, obj: Team) -> int:
        return obj.member_total  # type: ignore[attr-defined,no-any-return]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "lead":
            kwargs["queryset"] = _agents()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Only agents work in teams; listing every customer would also make the page unusable.
        if db_field.name == "members":
            kwargs["queryset"] = _agents()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> Team:
        return services.team_create(
            name=data["name"],
            lead=data.get("lead"),
            members=list(data.get("members", [])),
            default_tier=data["default_tier"],
            is_escalation_team=data.get("is_escalation_team", False),
        )

    def service_update(self, request: HttpRequest, obj: Team, data: dict[str, Any]) -> Team:
        return services.team_update(
            team_id=obj.pk,
            members=list(data.get("members", [])),
            name=data["name"],
            lead=data.get("lead"),
            default_tier=data["default_tier"],
            is_escalation_team=data.get("is_escalation_team", False),
        )


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


# --- API tokens and idempotency keys ----------------------------------------------------------------------


class ApiTokenAddForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        required=False,
        min_value=1,
        max_value=TOKEN_MAX_EXPIRY_DAYS,
        help_text="Leave empty for a token that does not expire.",
    )

    class Meta:
        model = ApiToken
        fields = ("user", "name", "rate_limit_per_minute")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created through `api_token_create` (plaintext shown once) and revoked, never edited."""

    add_form = ApiTokenAddForm
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("user",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("=prefix", "name", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "token_hash",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    actions = ("revoke_tokens",)
    show_full_result_count = False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("user", "name", "expires_in_days", "rate_limit_per_minute")
        return self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: a revoked row still explains who could call the API, and when

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        days = data.get("expires_in_days")
        token, plaintext = services.api_token_create(
            user=data["user"],
            name=data["name"],
            rate_limit_per_minute=data.get("rate_limit_per_minute"),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        for field in token._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        messages.success(request, f"API token for {token.user}: {plaintext}")

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        pass

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        # Render instead of redirecting: the message carrying the plaintext is then shown and consumed
        # in this response, so it never lands in the message cookie or the session.
        response = TemplateResponse(
            request,
            "helpdesk/admin/api_token_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "token": obj,
                "title": "Token created",
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        token_ids = list(queryset.filter(revoked_at__isnull=True).values_list("pk", flat=True))
        now = timezone.now()
        for token_id in token_ids:
            services.api_token_revoke(token_id=token_id, now=now)
        self.message_user(request, f"Revoked {len(token_ids)} token(s).", messages.SUCCESS)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyModelAdmin):
    list_display = ("key", "user", "method", "path", "response_status", "created_at")
    list_select_related = ("user",)
    list_filter = ("method",)
    search_fields = ("=key",)
    raw_id_fields = ("user",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator


@admin.register(SavedView)
class SavedViewAdmin(ReadOnlyModelAdmin):
    """Agents keep their views in the queue page (validated there); the admin only looks."""

    list_display = ("name", "owner", "team", "sort", "updated_at")
    list_select_related = ("owner", "team")
    list_filter = ("team",)
    search_fields = ("name", "owner__email")


# The webhook admin lives with the webhooks; importing it here registers it.
from helpdesk.webhooks import admin as webhooks_admin  # noqa: E402, F401
