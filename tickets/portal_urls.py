"""The customer portal under /portal/ (namespace "portal"): file and follow tickets."""

from __future__ import annotations

app_name = "portal"

urlpatterns: list = []
