"""Who may call the webhook API: managers read, admins read and write (STYLE.md C8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from helpdesk.webhooks import selectors

if TYPE_CHECKING:
    from rest_framework.views import APIView


class CanManageWebhooks(BasePermission):
    """Admins may do anything; managers may only read; everyone else is refused (403)."""

    message = "Only administrators may change webhooks; managers may read them."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return selectors.webhooks_can_read(request.user)
        return selectors.webhooks_can_manage(request.user)
