"""What a rule can look at: a frozen snapshot of one ticket, and the fields it offers. Pure.

A snapshot is plain data (ids, names, strings, instants) built by tickets.automation.selectors;
conditions read it by field name. Time fields ("hours since created") are computed from the
instants and the snapshot's `now`, so the same snapshot answers the same way whenever asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class FieldKind(StrEnum):
    TEXT = "text"  # free text: keywords, exact match
    CHOICE = "choice"  # one value of a fixed vocabulary (status, priority…)
    ID = "id"  # a row id or None (team, assignee…)
    TREE = "tree"  # a category: its own id and its parent's; "is 3" matches 3 and 3's children
    SET = "set"  # several names (tags, changed fields)
    NUMBER = "number"  # hours, percentages, counts; None when not applicable
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: FieldKind
    label: str
    choices: tuple[str, ...] = ()
    # For time fields: the instant the hours count from (the snapshot's `instants` key).
    since: str = ""


TICKET_STATUSES = (
    "new",
    "triaged",
    "assigned",
    "in_progress",
    "pending",
    "on_hold",
    "escalated",
    "engineering",
    "resolved",
    "closed",
)
PRIORITIES = ("p1", "p2", "p3", "p4", "p5")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4", "sev5")
CHANNELS = ("portal", "email", "api", "phone", "chat")
TIERS = ("l1", "l2", "l3")
CUSTOMER_TIERS = ("enterprise", "business", "professional", "starter", "free")
SEGMENTS = ("high_touch", "blended", "scaled")
AUTHOR_KINDS = ("customer", "agent", "system")
VISIBILITIES = ("public", "internal")
TRIGGERS = ("created", "updated", "customer_replied", "time")

_F = FieldKind
FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            FieldSpec("ticket.subject", _F.TEXT, "Subject"),
            FieldSpec("ticket.description", _F.TEXT, "Description"),
            FieldSpec("ticket.text", _F.TEXT, "Subject or description"),
            FieldSpec("ticket.status", _F.CHOICE, "Status", TICKET_STATUSES),
            FieldSpec("ticket.priority", _F.CHOICE, "Priority", PRIORITIES),
            FieldSpec("ticket.severity", _F.CHOICE, "Severity", SEVERITIES),
            FieldSpec("ticket.channel", _F.CHOICE, "Channel", CHANNELS),
            FieldSpec("ticket.support_tier", _F.CHOICE, "Support tier", TIERS),
            FieldSpec("ticket.category", _F.TREE, "Category (a top category matches its children)"),
            FieldSpec("ticket.product_area", _F.ID, "Product area"),
            FieldSpec("ticket.team", _F.ID, "Team"),
            FieldSpec("ticket.assignee", _F.ID, "Assignee"),
            FieldSpec("ticket.tags", _F.SET, "Tags"),
            FieldSpec("ticket.reopened_count", _F.NUMBER, "Times reopened"),
            FieldSpec("requester.id", _F.ID, "Requester"),
            FieldSpec("requester.email", _F.TEXT, "Requester e-mail"),
            FieldSpec("requester.name", _F.TEXT, "Requester name"),
            FieldSpec("organization.id", _F.ID, "Organization"),
            FieldSpec("organization.name", _F.TEXT, "Organization name"),
            FieldSpec("organization.tier", _F.CHOICE, "Customer tier", CUSTOMER_TIERS),
            FieldSpec("organization.segment", _F.CHOICE, "Segment", SEGMENTS),
            FieldSpec("organization.is_vip", _F.BOOL, "VIP organization"),
            FieldSpec("message.body", _F.TEXT, "Message (the one just added; the description on create)"),
            FieldSpec("message.author_kind", _F.CHOICE, "Message author", AUTHOR_KINDS),
            FieldSpec("message.visibility", _F.CHOICE, "Message visibility", VISIBILITIES),
            FieldSpec("event.trigger", _F.CHOICE, "What happened", TRIGGERS),
            FieldSpec("event.changed_fields", _F.SET, "Fields changed by this update"),
            FieldSpec("hours_since_created", _F.NUMBER, "Hours since created", since="created"),
            FieldSpec("hours_since_updated", _F.NUMBER, "Hours since updated", since="updated"),
            FieldSpec(
                "hours_since_pending", _F.NUMBER, "Hours pending (waiting on customer)", since="pending"
            ),
            FieldSpec(
                "hours_since_customer_message", _F.NUMBER, "Hours since the customer wrote", since="customer"
            ),
            FieldSpec("hours_since_agent_message", _F.NUMBER, "Hours since an agent replied", since="agent"),
            FieldSpec("sla.percent_elapsed", _F.NUMBER, "SLA: percent of the target used (highest clock)"),
            FieldSpec("sla.breached", _F.BOOL, "SLA: a live clock is breached"),
        )
    }
)
# Fields a time rule can wait on, and the instant each counts from: when that instant moves (the
# ticket is updated, goes pending again, a new SLA clock period starts) a new period begins, in
# which the rule may fire again.
ANCHOR_OF: Mapping[str, str] = MappingProxyType(
    {name: spec.since for name, spec in FIELDS.items() if spec.since} | {"sla.percent_elapsed": "sla"}
)
TIME_FIELDS = frozenset(ANCHOR_OF)
SLA_FIELDS = frozenset({"sla.percent_elapsed", "sla.breached"})


@dataclass(frozen=True, slots=True)
class TicketSnapshot:
    """One ticket as rules see it at `now`. `values` holds every field but the time ones."""

    ticket_id: int
    now: datetime
    values: Mapping[str, Any] = field(default_factory=dict)
    # "created", "updated", "pending", "customer", "agent", "sla" (newest live clock's start) →
    # aware instant, or None.
    instants: Mapping[str, datetime | None] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """Return a field's value; hours since an instant are computed from `now` (None if unset)."""
        spec = FIELDS.get(name)
        if spec is not None and spec.since:
            instant = self.instants.get(spec.since)
            if instant is None:
                return None
            return (self.now - instant).total_seconds() / 3600
        return self.values.get(name)
