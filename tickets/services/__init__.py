"""Every write to tickets goes through these functions (STYLE.md C3)."""

from __future__ import annotations

from tickets.services.bulk import ticket_bulk_update, tickets_add_tags, tickets_merge_into
from tickets.services.core import (
    HANDOFF_FIELDS,
    lock_ticket,
    ticket_assign,
    ticket_change_status,
    ticket_create,
    ticket_escalate,
    ticket_reopen,
    ticket_update,
)
from tickets.services.imports import ImportedMessage, ImportedStatus, TicketImport, ticket_import
from tickets.services.links import ticket_link, ticket_merge, ticket_unlink
from tickets.services.messages import UploadedFile, message_create
from tickets.services.satisfaction import ticket_satisfaction_record
from tickets.services.saved_views import saved_view_create, saved_view_delete, saved_view_rename
from tickets.services.sla_breaches import tickets_escalate_breached
from tickets.services.taxonomy import (
    category_create,
    category_update,
    product_area_create,
    product_area_update,
    tag_create,
    tag_update,
)

__all__ = [
    "HANDOFF_FIELDS",
    "ImportedMessage",
    "ImportedStatus",
    "TicketImport",
    "UploadedFile",
    "category_create",
    "category_update",
    "lock_ticket",
    "message_create",
    "product_area_create",
    "product_area_update",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_rename",
    "tag_create",
    "tag_update",
    "ticket_assign",
    "ticket_bulk_update",
    "ticket_change_status",
    "ticket_create",
    "ticket_escalate",
    "ticket_import",
    "ticket_link",
    "ticket_merge",
    "ticket_reopen",
    "ticket_satisfaction_record",
    "ticket_unlink",
    "ticket_update",
    "tickets_add_tags",
    "tickets_escalate_breached",
    "tickets_merge_into",
]
