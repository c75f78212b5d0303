"""Context every page of the web shell gets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from helpdesk import selectors


def shell(request: HttpRequest) -> dict[str, Any]:
    """The header's unread-notification count for a signed-in person (one indexed count).

    Lazy: counted only when a template shows it (not on admin pages, not on htmx fragments).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: selectors.notification_unread_count(user))}
