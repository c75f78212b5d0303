"""Who may call which API action; which rows they see is the selectors' job (STYLE.md C5, C8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


class IsAgent(BasePermission):
    """Agents, team leads, managers and admins."""

    message = "Only support staff may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


class IsAdmin(BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_admin)


class IsAdminOrReadOnly(BasePermission):
    """Any signed-in user may read (rows limited by the selector); only admins write."""

    message = "Only administrators may change this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or request.user.is_admin


class IsAgentReadAdminWrite(BasePermission):
    """Staff may read; only admins write. Customers get 403 (teams are internal)."""

    message = "Only support staff may read this, and only administrators change it."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_agent):
            return False
        return request.method in SAFE_METHODS or user.is_admin
