"""Who may call which knowledge-base API action; which articles they see is kb.selectors' job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


class IsAgentOrReadOnly(BasePermission):
    """Anyone, signed in or not, may read (the help centre is public); only staff write."""

    message = "Only support staff may edit the knowledge base."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_agent)
