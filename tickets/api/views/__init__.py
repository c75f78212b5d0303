"""API v1 for tickets, their messages, events, links and attachments (STYLE.md C8).

Every read starts from tickets.selectors, so a ticket the caller may not see answers 404 on
every route. Every write validates an *InputSerializer, calls one service and renders an
*OutputSerializer. POSTs honour Idempotency-Key.

- tickets.py: TicketViewSet (tickets themselves, bulk changes and imports)
- conversation.py: a ticket's messages, event log, links, and attachment downloads
- taxonomy.py: categories, tags and product areas
- common.py: OpenAPI pieces the modules share
"""

from __future__ import annotations

from tickets.api.views.common import ERRORS, ID_LOOKUP, IDEMPOTENCY_HEADER
from tickets.api.views.conversation import (
    AnyMediaRenderer,
    AttachmentDownloadView,
    TicketEventViewSet,
    TicketLinkViewSet,
    TicketMessageViewSet,
)
from tickets.api.views.taxonomy import CategoryViewSet, ProductAreaViewSet, TagViewSet
from tickets.api.views.tickets import TicketViewSet

__all__ = [
    "ERRORS",
    "IDEMPOTENCY_HEADER",
    "ID_LOOKUP",
    "AnyMediaRenderer",
    "AttachmentDownloadView",
    "CategoryViewSet",
    "ProductAreaViewSet",
    "TagViewSet",
    "TicketEventViewSet",
    "TicketLinkViewSet",
    "TicketMessageViewSet",
    "TicketViewSet",
]
