"""Which ticket API actions a role may call. Which tickets it sees is tickets.selectors' job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

# Customers may read and create their tickets, reply, close and reopen them (the status service
# limits their moves); everything that works a ticket is for staff; imports are for admins.
STAFF_TICKET_ACTIONS = frozenset(
    {"partial_update", "assign", "escalate", "de_escalate", "merge", "bulk_update"}
)
ADMIN_TICKET_ACTIONS = frozenset({"import_tickets"})


class CanActOnTickets(BasePermission):
    """Gate ticket actions by role: staff-only and admin-only actions are listed above."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = getattr(view, "action", None)
        if action in ADMIN_TICKET_ACTIONS:
            self.message = "Only administrators may import tickets."
            return bool(user.is_admin)
        if action in STAFF_TICKET_ACTIONS:
            self.message = "Only support staff may do this."
            return bool(user.is_agent)
        return True
