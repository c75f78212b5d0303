"""Top-level URL map: the web shell, the admin and API v1."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api_urls", "api-v1"), namespace="api-v1")),
    path("tickets/", include("tickets.urls")),
    path("portal/", include("tickets.portal_urls")),
    path("help/", include("kb.urls")),
    path("surveys/", include("metrics.urls")),
    path("metrics/", include("metrics.reporting.urls")),
    path("", include("helpdesk.urls")),
]
