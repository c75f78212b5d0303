"""The customer portal under /portal/ (namespace "portal"): file and follow tickets."""

from __future__ import annotations

from tickets.views import portal

app_name = "portal"

urlpatterns = portal.urlpatterns
