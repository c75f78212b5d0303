"""Django admin for webhooks: read-only views with actions that call the services (STYLE.md C4).

Subscriptions are created, changed and rotated on the Webhooks page (/webhooks/) or the API,
where the secret is shown once; the admin never shows a secret. Registered from helpdesk/admin.py.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from helpdesk.admin_base import EstimatedCountPaginator, ReadOnlyInline, ReadOnlyModelAdmin
from helpdesk.exceptions import DomainError
from helpdesk.webhooks import services
from helpdesk.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookFeedCursor, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "url", "is_active", "disabled_reason", "last_success_at", "last_failure_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    exclude = ("secret", "previous_secret")
    actions = ("enable_subscriptions",)

    @admin.action(description="Enable selected subscriptions (resume their waiting deliveries)")
    def enable_subscriptions(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        ids = list(queryset.filter(is_active=False).values_list("pk", flat=True))
        for subscription_id in ids:
            services.webhook_subscription_enable(subscription_id=subscription_id)
        self.message_user(request, f"Enabled {len(ids)} subscription(s).", messages.SUCCESS)


class WebhookAttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ("number", "started_at", "status_code", "error", "duration_ms", "response_body")
    show_change_link = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyModelAdmin):
    list_display = (
        "uuid",
        "event_type",
        "subscription",
        "status",
        "attempt_count",
        "last_status_code",
        "created_at",
    )
    list_select_related = ("subscription",)
    list_filter = ("status", "event_type")
    search_fields = ("=uuid",)
    raw_id_fields = ("ticket", "redelivered_by")
    inlines = (WebhookAttemptInline,)
    actions = ("redeliver",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).defer("subscription__secret", "subscription__previous_secret")

    @admin.action(description="Redeliver selected deliveries")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        queued = 0
        for delivery_id in queryset.values_list("pk", flat=True):
            try:
                services.webhook_delivery_redeliver(delivery_id=delivery_id, actor=request.user)  # type: ignore[arg-type]
                queued += 1
            except DomainError as error:
                self.message_user(request, f"Delivery {delivery_id}: {error.message}", messages.WARNING)
        self.message_user(request, f"Queued {queued} redelivery(ies).", messages.SUCCESS)


@admin.register(WebhookFeedCursor)
class WebhookFeedCursorAdmin(ReadOnlyModelAdmin):
    list_display = ("source", "position", "updated_at")
