"""The ticket page: conversation, composer, side panel, SLA panel, escalation, merge and link.

Agents only (a customer gets 404, like a ticket they may not see). Views parse a form, call one
service and redirect; a refusal re-renders the page with status 400, the agent's input kept and
the service's messages on the fields they concern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.exceptions import DomainError
from helpdesk.selectors import team_list_visible_to
from tickets import services
from tickets import ticket_page as page_reads
from tickets.forms import (
    SEND_AND_SET_STATUSES,
    ComposerForm,
    HandoffForm,
    LinkForm,
    MergeForm,
    PresenceForm,
    PreviewForm,
    TicketFieldsForm,
    add_domain_errors,
)
from tickets.models import Ticket
from tickets.rendering import render_markdown
from tickets.selectors import category_list_visible_to, tag_list_visible_to, ticket_list_visible_to

if TYPE_CHECKING:
    from helpdesk.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest


def _agent_ticket(request: AuthenticatedHttpRequest, ticket_id: int) -> Ticket:
    if not request.user.is_agent:
        raise Http404("No such ticket.")
    try:
        # Only the relations the page shows: each join left out is planning time saved per request.
        return (
            ticket_list_visible_to(request.user)
            .select_related(None)
            .select_related("requester", "organization", "team", "assignee", "category")
            .get(pk=ticket_id)
        )
    except Ticket.DoesNotExist as error:
        raise Http404("No such ticket.") from error


def _teams(user: User) -> Any:
    return team_list_visible_to(user).select_related(None).prefetch_related(None)


def _fields_form(request: AuthenticatedHttpRequest, ticket: Ticket, data: Any = None) -> TicketFieldsForm:
    return TicketFieldsForm(
        data,
        ticket=ticket,
        categories=category_list_visible_to(request.user),
        tags=tag_list_visible_to(request.user),
        teams=_teams(request.user),
        agents=page_reads.agent_list(),
    )


def _handoff_form(request: AuthenticatedHttpRequest, *, up: bool, data: Any = None) -> HandoffForm:
    return HandoffForm(data, teams=_teams(request.user), up=up, prefix="escalate" if up else "deescalate")


DIALOG_TEMPLATES = {
    "escalate": "tickets/_ticket_handoff_form.html",
    "deescalate": "tickets/_ticket_handoff_form.html",
    "merge": "tickets/_ticket_merge_form.html",
    "link": "tickets/_ticket_link_form.html",
}


def _dialogs(ticket: Ticket) -> list[dict[str, Any]]:
    return [
        {
            **dialog,
            "url": reverse(f"tickets:{dialog['name']}", args=[ticket.pk]),
            "template": DIALOG_TEMPLATES[dialog["name"]],
        }
        for dialog in (
            {"name": "escalate", "title": "Escalate ticket", "wide": True},
            {"name": "deescalate", "title": "De-escalate ticket", "wide": True},
            {"name": "merge", "title": f"Merge #{ticket.pk} into another ticket", "wide": False},
            {"name": "link", "title": f"Link #{ticket.pk} to another ticket", "wide": False},
        )
    ]


def _page(
    request: AuthenticatedHttpRequest,
    ticket: Ticket,
    *,
    status: int = 200,
    composer: ComposerForm | None = None,
    fields_form: TicketFieldsForm | None = None,
    open_dialog: str = "",
    open_form: Any = None,
) -> HttpResponse:
    context = page_reads.ticket_page_data(
        request.user, ticket, now=timezone.now(), from_view=request.GET.get("from", "")[:40]
    )
    context.update(
        composer=composer or ComposerForm(),
        fields_form=fields_form or _fields_form(request, ticket),
        send_and_set=[(value.value, value.label.split(" (")[0]) for value in SEND_AND_SET_STATUSES],
        dialogs=_dialogs(ticket),
        open_dialog=open_dialog,
        open_form=open_form,
    )
    return render(request, "tickets/ticket.html", context, status=status)


def _dialog_form(request: AuthenticatedHttpRequest, ticket: Ticket, name: str, form: Any) -> HttpResponse:
    """Answer a dialog's GET: its empty form, loaded when the dialog first opens."""
    return render(request, DIALOG_TEMPLATES[name], {"ticket": ticket, "form": form})


def _back(ticket: Ticket, anchor: str = "") -> HttpResponse:
    return redirect(reverse("tickets:detail", args=[ticket.pk]) + anchor, permanent=False)


@never_cache
@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _agent_ticket(request, ticket_id)
    return _page(request, ticket)


@login_required
@require_POST
def reply(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Send a public reply or an internal note, optionally moving the ticket to a waiting or done status."""
    ticket = _agent_ticket(request, ticket_id)
    form = ComposerForm(request.POST, request.FILES)
    if form.is_valid():
        then_status = form.cleaned_data["then_status"]
        try:
            # One transaction: a refused status move also takes back the message, so the agent can
            # fix the choice and send again without a duplicate reply reaching the customer.
            with transaction.atomic():
                message = services.message_create(
                    ticket_id=ticket.pk,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    visibility=form.cleaned_data["visibility"],
                    cc=form.cc_list(),
                    attachments=form.uploads(),
                )
                if then_status:
                    services.ticket_change_status(ticket_id=ticket.pk, to=then_status, actor=request.user)
        except DomainError as error:
            add_domain_errors(
                form, error.field_errors, error.message, {"ticket": "body", "status": "then_status"}
            )
        else:
            return _back(ticket, f"#message-{message.pk}")
    return _page(request, ticket, status=400, composer=form)


@login_required
@require_POST
def update_fields(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Apply the side panel's changed fields in one ticket_update (one event per changed field)."""
    ticket = _agent_ticket(request, ticket_id)
    form = _fields_form(request, ticket, request.POST)
    if form.is_valid():
        changes = form.changes()
        if not changes:
            return _back(ticket)
        try:
            services.ticket_update(ticket_id=ticket.pk, actor=request.user, changes=changes)
        except DomainError as error:
            add_domain_errors(form, error.field_errors, error.message)
        else:
            messages.success(request, "Ticket updated.")
            return _back(ticket)
    return _page(request, ticket, status=400, fields_form=form)


@login_required
@require_POST
def assign_to_me(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _agent_ticket(request, ticket_id)
    try:
        services.ticket_update(ticket_id=ticket.pk, actor=request.user, changes={"assignee": request.user})
    except DomainError as error:
        form = _fields_form(request, ticket)
        add_domain_errors(form, error.field_errors, error.message)
        return _page(request, ticket, status=400, fields_form=form)
    messages.success(request, "Assigned to you.")
    return _back(ticket)


def _escalate(request: AuthenticatedHttpRequest, ticket_id: int, *, up: bool) -> HttpResponse:
    ticket = _agent_ticket(request, ticket_id)
    dialog = "escalate" if up else "deescalate"
    if request.method == "GET":
        return _dialog_form(request, ticket, dialog, _handoff_form(request, up=up))
    form = _handoff_form(request, up=up, data=request.POST)
    if form.is_valid():
        try:
            services.ticket_escalate(
                ticket_id=ticket.pk,
                actor=request.user,
                handoff=form.handoff(),
                to_tier=form.cleaned_data["to_tier"] or None,
                to_team=form.cleaned_data["to_team"],
                up=up,
            )
        except DomainError as error:
            add_domain_errors(
                form, error.field_errors, error.message, {"team": "to_team", "support_tier": "to_tier"}
            )
        else:
            messages.success(request, "Ticket escalated." if up else "Ticket de-escalated.")
            return _back(ticket)
    return _page(request, ticket, status=400, open_dialog=dialog, open_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def escalate(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    return _escalate(request, ticket_id, up=True)


@login_required
@require_http_methods(["GET", "POST"])
def deescalate(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    return _escalate(request, ticket_id, up=False)


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Merge this ticket into another; the agent lands on the ticket it was merged into."""
    ticket = _agent_ticket(request, ticket_id)
    if request.method == "GET":
        return _dialog_form(request, ticket, "merge", MergeForm(prefix="merge"))
    form = MergeForm(request.POST, prefix="merge")
    if form.is_valid():
        original_id = form.cleaned_data["original"]
        try:
            original = services.ticket_merge(
                duplicate_id=ticket.pk, original_id=original_id, actor=request.user
            )
        except Ticket.DoesNotExist:
            form.add_error("original", f"There is no ticket #{original_id}.")
        except DomainError as error:
            add_domain_errors(form, error.field_errors, error.message, {"duplicate": "__all__"})
        else:
            messages.success(request, f"Ticket #{ticket.pk} was merged into this ticket.")
            return _back(original)
    return _page(request, ticket, status=400, open_dialog="merge", open_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def link(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _agent_ticket(request, ticket_id)
    if request.method == "GET":
        return _dialog_form(request, ticket, "link", LinkForm(prefix="link"))
    form = LinkForm(request.POST, prefix="link")
    if form.is_valid():
        other_id = form.cleaned_data["to_ticket"]
        try:
            services.ticket_link(
                from_id=ticket.pk, to_id=other_id, kind=form.cleaned_data["kind"], actor=request.user
            )
        except Ticket.DoesNotExist:
            form.add_error("to_ticket", f"There is no ticket #{other_id}.")
        except DomainError as error:
            add_domain_errors(form, error.field_errors, error.message)
        else:
            messages.success(request, f"Linked to #{other_id}.")
            return _back(ticket)
    return _page(request, ticket, status=400, open_dialog="link", open_form=form)


@never_cache
@login_required
@require_GET
def history(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """The History tab, loaded when first shown: every event as a readable line, newest first."""
    ticket = _agent_ticket(request, ticket_id)
    rows = page_reads.event_rows_for(request.user, ticket)
    return render(request, "tickets/_ticket_history.html", {"history": rows})


@login_required
@require_GET
def lookup(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Show the subject of the ticket number typed in the merge or link dialog, to confirm it."""
    _agent_ticket(request, ticket_id)
    raw = request.GET.get("merge-original") or request.GET.get("link-to_ticket") or ""
    target = None
    if raw.strip().isdigit():
        target = (
            ticket_list_visible_to(request.user)
            .select_related(None)
            .prefetch_related(None)
            .only("id", "subject", "status")
            .filter(pk=int(raw))
            .first()
        )
    return render(
        request,
        "tickets/_ticket_lookup.html",
        {"target": target, "raw": raw.strip(), "is_self": target is not None and target.pk == ticket_id},
    )


@login_required
@require_POST
def presence(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Heartbeat: record this agent as viewing or replying (or gone) and show who else is here."""
    ticket = _agent_ticket(request, ticket_id)
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    now = timezone.now()
    mode = form.cleaned_data["mode"]
    if mode == "left":
        page_reads.presence_clear(ticket_id=ticket.pk, user=request.user)
        return HttpResponse(status=204)
    page_reads.presence_touch(ticket_id=ticket.pk, user=request.user, mode=mode, now=now)
    others = page_reads.presence_list(ticket_id=ticket.pk, now=now, exclude_user_id=request.user.pk)
    return render(request, "tickets/_ticket_presence.html", {"others": others})


@login_required
@require_POST
def preview(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Render the composer's Markdown exactly as it will be stored (sanitised)."""
    _agent_ticket(request, ticket_id)
    form = PreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(request, "tickets/_ticket_preview.html", {"html": render_markdown(body), "body": body})


urlpatterns = [
    path("<int:ticket_id>/", detail, name="detail"),
    path("<int:ticket_id>/reply/", reply, name="reply"),
    path("<int:ticket_id>/fields/", update_fields, name="fields"),
    path("<int:ticket_id>/assign-to-me/", assign_to_me, name="assign-to-me"),
    path("<int:ticket_id>/escalate/", escalate, name="escalate"),
    path("<int:ticket_id>/deescalate/", deescalate, name="deescalate"),
    path("<int:ticket_id>/merge/", merge, name="merge"),
    path("<int:ticket_id>/link/", link, name="link"),
    path("<int:ticket_id>/history/", history, name="history"),
    path("<int:ticket_id>/lookup/", lookup, name="lookup"),
    path("<int:ticket_id>/presence/", presence, name="presence"),
    path("<int:ticket_id>/preview/", preview, name="preview"),
]
