"""The web shell: home page and API token management. Sign-in uses Django's auth views (urls.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk import selectors, services
from helpdesk.forms import ApiTokenCreateForm
from helpdesk.models import ApiToken
from tickets.models import OPEN_STATUSES, TicketStatus
from tickets.selectors import ticket_count_by_status_visible_to, ticket_list_visible_to

if TYPE_CHECKING:
    from helpdesk.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest

CUSTOMER_TICKETS_PER_PAGE = 25


class StatusCount(NamedTuple):
    status: str
    label: str
    count: int


class TokenRow(NamedTuple):
    token: ApiToken
    state: str  # "active", "expired" or "revoked"


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Agents get a dashboard of open tickets; customers the list of tickets they may see."""
    if request.user.is_agent:
        return _agent_home(request)
    return _customer_home(request)


def _agent_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    counts = ticket_count_by_status_visible_to(request.user, statuses=OPEN_STATUSES)
    status_counts = [
        StatusCount(status, TicketStatus(status).label, counts.get(status, 0)) for status in OPEN_STATUSES
    ]
    return render(
        request,
        "helpdesk/home_agent.html",
        {"status_counts": status_counts, "open_total": sum(row.count for row in status_counts)},
    )


def _customer_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    tickets = (
        ticket_list_visible_to(request.user)
        .select_related(None)
        .prefetch_related(None)
        .only("id", "subject", "status", "updated_at")
        .order_by("-updated_at", "-id")
    )
    page = Paginator(tickets, CUSTOMER_TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "helpdesk/home_customer.html", {"page": page})


def _token_state(token: ApiToken, now: datetime) -> str:
    if token.is_revoked:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


@never_cache  # the response may carry a new token's plaintext; keep it out of every cache
@require_http_methods(["GET", "POST"])
@login_required
def api_token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the user's tokens; a POST creates one and shows its plaintext in this response only."""
    now = timezone.now()
    created: ApiToken | None = None
    plaintext: str | None = None
    status = 200
    form = ApiTokenCreateForm(request.POST) if request.method == "POST" else ApiTokenCreateForm()
    if request.method == "POST":
        if form.is_valid():
            days = form.cleaned_data["expires_in_days"]
            created, plaintext = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=now + timedelta(days=days) if days else None,
            )
            form = ApiTokenCreateForm()
            status = 201
        else:
            status = 400
    rows = [TokenRow(token, _token_state(token, now)) for token in selectors.api_token_list_for(request.user)]
    context = {"form": form, "rows": rows, "created": created, "plaintext": plaintext}
    return render(request, "helpdesk/api_tokens.html", context, status=status)


@require_POST
@login_required
def api_token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's own tokens; another user's token id is a 404."""
    token = get_object_or_404(selectors.api_token_list_for(request.user), pk=token_id)
    services.api_token_revoke(token_id=token.pk)
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) revoked.")
    return redirect("helpdesk:api-tokens")


NOTIFICATIONS_PER_PAGE = 30


@login_required
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The notification centre: the person's own alerts, newest first, unread ones marked."""
    show = "unread" if request.GET.get("show") == "unread" else "all"
    notifications = selectors.notification_list_for(request.user).select_related("ticket")
    if show == "unread":
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "helpdesk/notifications.html", {"page": page, "show": show})


@login_required
def notification_badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The header's unread count, polled by htmx."""
    count = selectors.notification_unread_count(request.user)
    return render(request, "helpdesk/_notification_badge.html", {"count": count})


@require_POST
@login_required
def notification_mark_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of them read; idempotent. Only one's own are touched."""
    raw = request.POST.get("id", "")
    ids = [int(raw)] if raw.isdigit() else None
    services.notification_mark_read(recipient=request.user, notification_ids=ids)
    if request.htmx and ids:
        notification = get_object_or_404(selectors.notification_list_for(request.user), pk=ids[0])
        return render(request, "helpdesk/_notification_row.html", {"notification": notification})
    if ids is None:
        messages.success(request, "All notifications marked read.")
    return redirect("helpdesk:notifications")
