"""Who may read metrics through the API (STYLE.md C8): support staff; customers get 403."""

from __future__ import annotations

from helpdesk.api.permissions import IsAgent


class CanReadMetrics(IsAgent):
    """Agents, team leads, managers and admins read every metric; nobody writes through the API."""

    message = "Only support staff may read metrics."
