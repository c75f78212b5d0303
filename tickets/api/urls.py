"""API v1 routes for tickets, their sub-resources, attachments and the taxonomy."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets.api import views
from tickets.api.views import automation as automation_views

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("tags", views.TagViewSet, basename="tag")
router.register("product-areas", views.ProductAreaViewSet, basename="product-area")
router.register("macros", automation_views.MacroViewSet, basename="macro")

urlpatterns = [
    path(
        "tickets/<int:ticket_pk>/messages/",
        views.TicketMessageViewSet.as_view({"get": "list", "post": "create"}),
        name="ticket-message-list",
    ),
    path(
        "tickets/<int:ticket_pk>/events/",
        views.TicketEventViewSet.as_view({"get": "list"}),
        name="ticket-event-list",
    ),
    path(
        "tickets/<int:ticket_pk>/links/",
        views.TicketLinkViewSet.as_view({"get": "list", "post": "create"}),
        name="ticket-link-list",
    ),
    path(
        "tickets/<int:ticket_pk>/links/<int:pk>/",
        views.TicketLinkViewSet.as_view({"delete": "destroy"}),
        name="ticket-link-detail",
    ),
    path(
        "tickets/<int:ticket_pk>/apply-macro/",
        automation_views.TicketApplyMacroView.as_view(),
        name="ticket-apply-macro",
    ),
    path(
        "attachments/<int:pk>/download/",
        views.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    *router.urls,
]
