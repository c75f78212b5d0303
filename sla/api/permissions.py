"""Who may call which SLA API action; which tickets they see is tickets.selectors' job (C5, C8)."""

from __future__ import annotations

from helpdesk.api.permissions import IsAgentReadAdminWrite


class IsStaffReadAdminWrite(IsAgentReadAdminWrite):
    """SLA configuration is internal: staff read it, only admins change it, customers get 403."""

    message = "Only support staff may read SLA settings, and only administrators change them."
