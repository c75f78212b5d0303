"""The public help centre under /help/ (namespace "kb")."""

from __future__ import annotations

app_name = "kb"

urlpatterns: list = []
