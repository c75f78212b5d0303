"""Input and output serializers for the ticket API (STYLE.md C8).

Input serializers validate and resolve ids to rows; views pass `validated_data` to one service.
Output serializers only read attributes the selectors already loaded: no per-row queries.

- tickets.py: the ticket (staff and customer views), its change inputs and imports
- conversation.py: messages, attachments, the event log and links
- taxonomy.py: categories, tags and product areas
- fields.py: input fields and helpers the modules share
"""

from __future__ import annotations

from tickets.api.serializers.conversation import (
    CUSTOMER_EVENT_DATA_KEYS,
    MAX_ATTACHMENTS,
    MAX_CC,
    AttachmentOutputSerializer,
    EventCustomerOutputSerializer,
    EventOutputSerializer,
    LinkCreateInputSerializer,
    LinkOutputSerializer,
    MessageCreateInputSerializer,
    MessageOutputSerializer,
)
from tickets.api.serializers.fields import MAX_TAGS, MAX_TEXT, TagNamesField, VisibleTicketIdField
from tickets.api.serializers.taxonomy import (
    CategoryCreateInputSerializer,
    CategoryOutputSerializer,
    CategoryUpdateInputSerializer,
    ProductAreaCreateInputSerializer,
    ProductAreaOutputSerializer,
    ProductAreaUpdateInputSerializer,
    TagCreateInputSerializer,
    TagOutputSerializer,
    TagUpdateInputSerializer,
)
from tickets.api.serializers.tickets import (
    CUSTOMER_FORBIDDEN_CREATE_FIELDS,
    IMPACT_CHOICES,
    USERS_AFFECTED_CHOICES,
    CategorySummaryOutputSerializer,
    ProductAreaSummaryOutputSerializer,
    TicketAssignInputSerializer,
    TicketBulkUpdateInputSerializer,
    TicketCreateInputSerializer,
    TicketCustomerOutputSerializer,
    TicketEscalateInputSerializer,
    TicketImportInputSerializer,
    TicketImportMessageInputSerializer,
    TicketImportStatusInputSerializer,
    TicketMergeInputSerializer,
    TicketOutputSerializer,
    TicketStatusInputSerializer,
    TicketUpdateInputSerializer,
)

__all__ = [
    "CUSTOMER_EVENT_DATA_KEYS",
    "CUSTOMER_FORBIDDEN_CREATE_FIELDS",
    "IMPACT_CHOICES",
    "MAX_ATTACHMENTS",
    "MAX_CC",
    "MAX_TAGS",
    "MAX_TEXT",
    "USERS_AFFECTED_CHOICES",
    "AttachmentOutputSerializer",
    "CategoryCreateInputSerializer",
    "CategoryOutputSerializer",
    "CategorySummaryOutputSerializer",
    "CategoryUpdateInputSerializer",
    "EventCustomerOutputSerializer",
    "EventOutputSerializer",
    "LinkCreateInputSerializer",
    "LinkOutputSerializer",
    "MessageCreateInputSerializer",
    "MessageOutputSerializer",
    "ProductAreaCreateInputSerializer",
    "ProductAreaOutputSerializer",
    "ProductAreaSummaryOutputSerializer",
    "ProductAreaUpdateInputSerializer",
    "TagCreateInputSerializer",
    "TagNamesField",
    "TagOutputSerializer",
    "TagUpdateInputSerializer",
    "TicketAssignInputSerializer",
    "TicketBulkUpdateInputSerializer",
    "TicketCreateInputSerializer",
    "TicketCustomerOutputSerializer",
    "TicketEscalateInputSerializer",
    "TicketImportInputSerializer",
    "TicketImportMessageInputSerializer",
    "TicketImportStatusInputSerializer",
    "TicketMergeInputSerializer",
    "TicketOutputSerializer",
    "TicketStatusInputSerializer",
    "TicketUpdateInputSerializer",
    "VisibleTicketIdField",
]
