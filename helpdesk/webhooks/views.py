"""The Webhooks page: subscriptions, their secrets (shown once), the delivery log and redelivery.

Admins manage; managers read (no secrets, no buttons); everyone else gets 403. Every write calls
one service (STYLE.md C4); pages that show a new secret are never cached.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.admin_base import add_domain_error
from helpdesk.exceptions import DomainError
from helpdesk.webhooks import backoff, selectors, services
from helpdesk.webhooks.forms import RotateSecretForm, WebhookSubscriptionForm
from helpdesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEventType, WebhookSubscription

if TYPE_CHECKING:
    from helpdesk.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest

DELIVERIES_PER_PAGE = 50


def _require_reader(request: AuthenticatedHttpRequest) -> None:
    if not selectors.webhooks_can_read(request.user):
        raise PermissionDenied("Only administrators and managers may see webhooks.")


def _require_admin(request: AuthenticatedHttpRequest) -> None:
    if not selectors.webhooks_can_manage(request.user):
        raise PermissionDenied("Only administrators may change webhooks.")


def _subscription(request: AuthenticatedHttpRequest, subscription_id: int) -> WebhookSubscription:
    return get_object_or_404(selectors.subscription_list_visible_to(request.user), pk=subscription_id)


@never_cache  # a POST answer carries the new subscription's secret
@require_http_methods(["GET", "POST"])
@login_required
def subscription_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List subscriptions; an admin's POST creates one and shows its secret in this answer only."""
    _require_reader(request)
    form = WebhookSubscriptionForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST":
        _require_admin(request)
        if form.is_valid():
            try:
                subscription, secret = services.webhook_subscription_create(
                    created_by=request.user, **form.cleaned_data
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return _detail(request, subscription, secret=secret, status=201)
    return render(
        request,
        "helpdesk/webhooks/list.html",
        {
            "subscriptions": selectors.subscription_list_visible_to(request.user),
            "form": form,
            "can_manage": selectors.webhooks_can_manage(request.user),
        },
        status=400 if form.errors else 200,
    )


def _detail(
    request: AuthenticatedHttpRequest,
    subscription: WebhookSubscription,
    *,
    secret: str = "",
    form: WebhookSubscriptionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    shown = request.GET.get("status", "")
    deliveries = (
        selectors.delivery_list_visible_to(request.user)
        .filter(subscription=subscription)
        .defer("payload")
        .order_by("-created_at", "-id")
    )
    if shown in DeliveryStatus.values:
        deliveries = deliveries.filter(status=shown)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    edit = form or WebhookSubscriptionForm(
        initial={
            field: getattr(subscription, field)
            for field in ("name", "url", "event_types", "include_internal_notes", "is_active")
        }
    )
    context = {
        "subscription": subscription,
        "secret": secret,
        "form": edit,
        "rotate_form": RotateSecretForm(),
        "page": page,
        "shown": shown,
        "statuses": DeliveryStatus.choices,
        "event_labels": dict(WebhookEventType.choices),
        "can_manage": selectors.webhooks_can_manage(request.user),
        "schedule": backoff.schedule(
            settings.WEBHOOKS_MAX_ATTEMPTS,
            base_seconds=settings.WEBHOOKS_RETRY_BASE_SECONDS,
            cap_seconds=settings.WEBHOOKS_RETRY_MAX_SECONDS,
        ),
    }
    return render(request, "helpdesk/webhooks/detail.html", context, status=status)


@never_cache
@login_required
def subscription_detail(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    """A subscription, its state and its delivery log (filter by ?status=)."""
    _require_reader(request)
    return _detail(request, _subscription(request, subscription_id))


@require_POST
@login_required
def subscription_update(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    """Save the edit form; a refused change shows the page again with the errors."""
    _require_admin(request)
    subscription = _subscription(request, subscription_id)
    form = WebhookSubscriptionForm(request.POST)
    if form.is_valid():
        try:
            services.webhook_subscription_update(subscription_id=subscription.pk, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Webhook “{form.cleaned_data['name']}” saved.")
            return redirect("helpdesk:webhook-detail", subscription.pk)
    return _detail(request, subscription, form=form, status=400)


@never_cache  # the answer carries the new secret
@require_POST
@login_required
def subscription_rotate_secret(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    """Give the subscription a new secret and show it once."""
    _require_admin(request)
    subscription = _subscription(request, subscription_id)
    form = RotateSecretForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the old secret for 0 to 168 hours.")
        return redirect("helpdesk:webhook-detail", subscription.pk)
    hours = form.cleaned_data["keep_previous_hours"] or 0
    subscription, secret = services.webhook_subscription_rotate_secret(
        subscription_id=subscription.pk, keep_previous_for=timedelta(hours=hours)
    )
    return _detail(request, subscription, secret=secret)


@require_POST
@login_required
def subscription_enable(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    """Turn a (disabled) subscription on; its waiting deliveries resume."""
    _require_admin(request)
    subscription = _subscription(request, subscription_id)
    services.webhook_subscription_enable(subscription_id=subscription.pk)
    messages.success(request, f"Webhook “{subscription.name}” enabled; waiting deliveries resume.")
    return redirect("helpdesk:webhook-detail", subscription.pk)


@require_POST
@login_required
def subscription_delete(request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
    """Delete a subscription and its delivery log."""
    _require_admin(request)
    subscription = _subscription(request, subscription_id)
    services.webhook_subscription_delete(subscription_id=subscription.pk)
    messages.success(request, f"Webhook “{subscription.name}” deleted.")
    return redirect("helpdesk:webhooks")


@login_required
def delivery_detail(request: AuthenticatedHttpRequest, delivery_id: int) -> HttpResponse:
    """One delivery: its payload as sent and every attempt's status code, error and answer."""
    _require_reader(request)
    try:
        delivery = selectors.delivery_get_visible(request.user, delivery_id)
    except WebhookDelivery.DoesNotExist as missing:
        raise Http404("No such delivery.") from missing
    context = {
        "delivery": delivery,
        "payload": json.dumps(delivery.payload, indent=2, sort_keys=True, ensure_ascii=False),
        "can_manage": selectors.webhooks_can_manage(request.user),
    }
    return render(request, "helpdesk/webhooks/delivery.html", context)


@require_POST
@login_required
def delivery_redeliver(request: AuthenticatedHttpRequest, delivery_id: int) -> HttpResponse:
    """Queue one more attempt of a delivery; htmx gets the updated row, others a redirect back."""
    _require_admin(request)
    delivery = get_object_or_404(selectors.delivery_list_visible_to(request.user), pk=delivery_id)
    try:
        delivery = services.webhook_delivery_redeliver(delivery_id=delivery.pk, actor=request.user)
    except DomainError as error:
        if request.htmx:
            return HttpResponse(error.message, status=error.status_code)
        messages.error(request, error.message)
    else:
        if request.htmx:
            return render(
                request, "helpdesk/webhooks/_delivery_row.html", {"delivery": delivery, "can_manage": True}
            )
        messages.success(request, "Redelivery queued.")
    back = request.POST.get("next", "")
    if back == "delivery":
        return redirect("helpdesk:webhook-delivery", delivery.pk)
    return redirect(reverse("helpdesk:webhook-detail", args=[delivery.subscription_id]))
