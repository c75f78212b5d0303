"""Routes under /api/v1/webhooks/ (included from helpdesk/api/urls.py)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from helpdesk.webhooks.api import views

router = SimpleRouter()
router.register("subscriptions", views.WebhookSubscriptionViewSet, basename="webhook-subscription")
router.register("deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
