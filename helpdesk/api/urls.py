"""API v1 routes for accounts, organizations, teams, tokens, notifications and webhooks."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from helpdesk.api import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("teams", views.TeamViewSet, basename="team")
router.register("tokens", views.ApiTokenViewSet, basename="api-token")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [*router.urls, path("webhooks/", include("helpdesk.webhooks.api.urls"))]
