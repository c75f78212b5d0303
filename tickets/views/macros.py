"""Macros: agents keep personal ones, leads/managers/admins share them; any agent applies them on a ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.exceptions import DomainError
from helpdesk.models import WebhookEventType
from helpdesk.selectors import team_list_visible_to
from helpdesk.webhooks import selectors as webhook_selectors
from tickets.automation.forms import ApplyMacroForm, MacroForm
from tickets.automation.models import Macro
from tickets.automation.placeholders import PLACEHOLDERS
from tickets.automation.selectors import macro_list_manageable_by
from tickets.forms import add_domain_errors
from tickets.selectors import ticket_list_visible_to
from tickets.services import macros as macro_services
from tickets.services.macros import SHARING_ROLES

if TYPE_CHECKING:
    from helpdesk.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest


def _require_agent(request: AuthenticatedHttpRequest) -> None:
    if not request.user.is_agent:
        raise Http404("No such page.")


def _form(request: AuthenticatedHttpRequest, data: object = None, **kwargs: object) -> MacroForm:
    # Only those who may see webhooks (managers, admins) are offered one to call.
    endpoints = (
        webhook_selectors.subscriptions_callable_by_automation(WebhookEventType.AUTOMATION_MACRO_APPLIED)
        if webhook_selectors.webhooks_can_read(request.user)
        else None
    )
    form = MacroForm(data, teams=team_list_visible_to(request.user), endpoints=endpoints, **kwargs)  # type: ignore[arg-type]
    if request.user.role not in SHARING_ROLES:
        del form.fields["shared"]
        del form.fields["team"]
    return form


def _editor(
    request: AuthenticatedHttpRequest, form: MacroForm, macro: Macro | None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "macro": macro, "placeholders": PLACEHOLDERS.items()}
    return render(request, "tickets/macros/macro_form.html", context, status=status)


@login_required
def macro_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_agent(request)
    rows = macro_list_manageable_by(request.user).order_by("name", "id")
    return render(request, "tickets/macros/macros.html", {"macros": rows})


@login_required
@require_http_methods(["GET", "POST"])
def macro_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_agent(request)
    if request.method == "GET":
        return _editor(request, _form(request, initial={"visibility": "public", "is_active": True}), None)
    form = _form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            macro = macro_services.macro_create(
                actor=request.user,
                name=data["name"],
                body=data["body"],
                visibility=data["visibility"],
                actions_json=data["actions"],
                shared=bool(data.get("shared")),
                team=data.get("team"),
            )
        except DomainError as error:
            add_domain_errors(form, error.field_errors, error.message)
        else:
            messages.success(request, f"Macro “{macro.name}” saved.")
            return redirect("tickets:macros")
    return _editor(request, form, None, status=400)


def _manageable(request: AuthenticatedHttpRequest, macro_id: int) -> Macro:
    try:
        return macro_list_manageable_by(request.user).get(pk=macro_id)
    except Macro.DoesNotExist as error:
        raise Http404("No such macro.") from error


@login_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: AuthenticatedHttpRequest, macro_id: int) -> HttpResponse:
    _require_agent(request)
    macro = _manageable(request, macro_id)
    if request.method == "GET":
        initial = {
            "name": macro.name,
            "body": macro.body,
            "visibility": macro.visibility,
            "actions": macro.actions,
            "shared": macro.is_shared,
            "team": macro.team_id,
            "is_active": macro.is_active,
        }
        return _editor(request, _form(request, initial=initial), macro)
    form = _form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes = {
            "name": data["name"],
            "body": data["body"],
            "visibility": data["visibility"],
            "actions": data["actions"],
            "is_active": data["is_active"],
        }
        if "team" in data:
            changes["team"] = data["team"]
        try:
            macro_services.macro_update(macro_id=macro.pk, actor=request.user, changes=changes)
        except DomainError as error:
            add_domain_errors(form, error.field_errors, error.message)
        else:
            messages.success(request, "Macro saved.")
            return redirect("tickets:macros")
    return _editor(request, form, macro, status=400)


@login_required
@require_POST
def macro_delete(request: AuthenticatedHttpRequest, macro_id: int) -> HttpResponse:
    _require_agent(request)
    macro = _manageable(request, macro_id)
    macro_services.macro_delete(macro_id=macro.pk, actor=request.user)
    messages.success(request, f"Macro “{macro.name}” deleted.")
    return redirect("tickets:macros")


@login_required
@require_POST
def macro_apply(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Apply a macro from the ticket page: its reply is posted and its actions performed, or nothing."""
    _require_agent(request)
    if not ticket_list_visible_to(request.user).filter(pk=ticket_id).exists():
        raise Http404("No such ticket.")
    back = reverse("tickets:detail", args=[ticket_id])
    form = ApplyMacroForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a macro to apply.")
        return redirect(back)
    try:
        macro_services.macro_apply(
            macro_id=form.cleaned_data["macro"], ticket_id=ticket_id, actor=request.user
        )
    except Macro.DoesNotExist:
        messages.error(request, "That macro is not available to you.")
    except DomainError as error:
        details = [message for messages_ in error.field_errors.values() for message in messages_]
        messages.error(request, f"The macro was not applied: {'; '.join(details) or error.message}")
    else:
        messages.success(request, "Macro applied.")
    return redirect(back)


urlpatterns = [
    path("macros/", macro_list_page, name="macros"),
    path("macros/new/", macro_new, name="macro-new"),
    path("macros/<int:macro_id>/", macro_edit, name="macro-edit"),
    path("macros/<int:macro_id>/delete/", macro_delete, name="macro-delete"),
    path("<int:ticket_id>/apply-macro/", macro_apply, name="apply-macro"),
]
