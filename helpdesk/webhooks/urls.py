"""Routes of the Webhooks page, added to helpdesk/urls.py (names start with "webhook")."""

from __future__ import annotations

from django.urls import path

from helpdesk.webhooks import views

urlpatterns = [
    path("webhooks/", views.subscription_list, name="webhooks"),
    path("webhooks/<int:subscription_id>/", views.subscription_detail, name="webhook-detail"),
    path("webhooks/<int:subscription_id>/edit/", views.subscription_update, name="webhook-update"),
    path(
        "webhooks/<int:subscription_id>/rotate-secret/",
        views.subscription_rotate_secret,
        name="webhook-rotate-secret",
    ),
    path("webhooks/<int:subscription_id>/enable/", views.subscription_enable, name="webhook-enable"),
    path("webhooks/<int:subscription_id>/delete/", views.subscription_delete, name="webhook-delete"),
    path("webhooks/deliveries/<int:delivery_id>/", views.delivery_detail, name="webhook-delivery"),
    path(
        "webhooks/deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="webhook-redeliver",
    ),
]
