"""The customer portal: my tickets, filing a ticket, and one ticket's public conversation.

Customers only (agents are sent to their workspace). A ticket the customer may not see is a 404.
Views parse a form, call tickets.portal / tickets.services and redirect; a refusal re-renders the
page with status 400, the customer's input kept and the messages on the fields they concern.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.exceptions import DomainError
from tickets import portal, selectors, services
from tickets.downloads import attachment_response
from tickets.forms import add_domain_errors
from tickets.models import Ticket, TicketStatus
from tickets.portal_forms import NewTicketForm, ReplyForm

if TYPE_CHECKING:
    from helpdesk.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest

TICKETS_PER_PAGE = 20


def customer_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required; agents have the workspace instead of the portal."""

    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_agent:
            return redirect("tickets:queue")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _visible_ticket(request: AuthenticatedHttpRequest, ticket_id: int) -> Ticket:
    try:
        return selectors.ticket_get_visible(request.user, ticket_id)
    except Ticket.DoesNotExist as error:
        raise Http404("No such ticket.") from error


def _back(ticket: Ticket, anchor: str = "") -> HttpResponse:
    return redirect(reverse("portal:ticket", args=[ticket.pk]) + anchor)


@never_cache
@customer_only
@require_GET
def ticket_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My tickets, or my organization's when it shares them among members."""
    show_organization = portal.organization_tab_available(request.user)
    scope = "organization" if request.GET.get("tab") == "organization" and show_organization else "mine"
    page = Paginator(portal.portal_ticket_list(request.user, scope=scope), TICKETS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [(ticket, portal.customer_status(ticket.status)) for ticket in page.object_list]
    return render(
        request,
        "portal/ticket_list.html",
        {"page": page, "rows": rows, "scope": scope, "show_organization": show_organization},
    )


@never_cache
@customer_only
@require_http_methods(["GET", "POST"])
def ticket_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """File a ticket; the form's one-time token makes a double submit file it once."""
    categories = portal.portal_categories(request.user)
    if request.method == "GET":
        return _new_page(request, NewTicketForm(categories=categories))
    form = NewTicketForm(request.POST, request.FILES, categories=categories)
    if form.is_valid():
        try:
            ticket, created = portal.portal_ticket_file(requester=request.user, submission=form.submission())
        except DomainError as error:
            add_domain_errors(form, error.field_errors, error.message, {"body": "attachments"})
        else:
            if created:
                messages.success(request, f"Thanks — we've received your request (ticket #{ticket.pk}).")
            return _back(ticket)
    return _new_page(request, form, status=400)


def _new_page(request: AuthenticatedHttpRequest, form: NewTicketForm, status: int = 200) -> HttpResponse:
    return render(request, "portal/ticket_new.html", {"form": form}, status=status)


@never_cache
@customer_only
@require_GET
def ticket_detail(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _visible_ticket(request, ticket_id)
    return _detail_page(request, ticket)


def _detail_page(
    request: AuthenticatedHttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    context = {
        "ticket": ticket,
        "customer_status": portal.customer_status(ticket.status),
        "conversation": list(selectors.message_list_visible_to(request.user, ticket)),
        "promise": portal.response_promise(ticket, now=now) if ticket.is_open else None,
        "is_waiting_on_customer": ticket.status == TicketStatus.PENDING,
        "may_reply": portal.may_reply(ticket, now=now),
        "may_close": portal.may_close(ticket),
        "may_reopen": portal.may_reopen(ticket, now=now),
        "reopen_deadline": portal.reopen_deadline(ticket),
        "reply_form": reply_form or ReplyForm(),
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


@customer_only
@require_POST
def ticket_reply(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    """Add a public reply; on a waiting ticket it resumes work, on a solved one it reopens it."""
    ticket = _visible_ticket(request, ticket_id)
    form = ReplyForm(request.POST, request.FILES)
    if not portal.may_reply(ticket, now=timezone.now()):
        form.add_error(None, "This ticket can no longer take replies; please open a new ticket.")
    elif form.is_valid():
        try:
            message = services.message_create(
                ticket_id=ticket.pk,
                author=request.user,
                body=form.cleaned_data["body"],
                attachments=form.uploads(),
            )
        except DomainError as error:
            add_domain_errors(form, error.field_errors, error.message, {"ticket": "body"})
        else:
            messages.success(request, "Your reply was sent.")
            return _back(ticket, f"#message-{message.pk}")
    return _detail_page(request, ticket, reply_form=form, status=400)


@customer_only
@require_POST
def ticket_close(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _visible_ticket(request, ticket_id)
    if not portal.may_close(ticket):
        messages.error(request, "This ticket is already closed.")
        return _back(ticket)
    try:
        services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.CLOSED, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Ticket closed. Thanks for letting us know.")
    return _back(ticket)


@customer_only
@require_POST
def ticket_reopen(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _visible_ticket(request, ticket_id)
    if not portal.may_reopen(ticket, now=timezone.now()):
        messages.error(
            request,
            f"Solved tickets can be reopened for {portal.reopen_days()} days; please open a new ticket instead.",
        )
        return _back(ticket)
    try:
        services.ticket_reopen(ticket_id=ticket.pk, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Ticket reopened. Tell us what is still wrong in a reply.")
    return _back(ticket)


@never_cache
@customer_only
@require_GET
def attachment_download(request: AuthenticatedHttpRequest, attachment_id: int) -> FileResponse:
    """Stream an attachment of a public message on a ticket the customer may see (404 otherwise)."""
    return attachment_response(request.user, attachment_id)


urlpatterns = [
    path("", ticket_list, name="home"),
    path("new/", ticket_new, name="new"),
    path("tickets/<int:ticket_id>/", ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", ticket_reply, name="reply"),
    path("tickets/<int:ticket_id>/close/", ticket_close, name="close"),
    path("tickets/<int:ticket_id>/reopen/", ticket_reopen, name="reopen"),
    path("attachments/<int:attachment_id>/", attachment_download, name="attachment"),
]
