"""Tickets, their conversation, taxonomy, links and the append-only event log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import SupportTier


class Priority(models.TextChoices):
    P1 = "p1", "P1 Critical"
    P2 = "p2", "P2 High"
    P3 = "p3", "P3 Medium"
    P4 = "p4", "P4 Low"
    P5 = "p5", "P5 Request"


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1 Critical"
    SEV2 = "sev2", "SEV2 High"
    SEV3 = "sev3", "SEV3 Medium"
    SEV4 = "sev4", "SEV4 Low"
    SEV5 = "sev5", "SEV5 Minimal"


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    API = "api", "API"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING = "pending", "Pending (waiting on customer)"
    ON_HOLD = "on_hold", "On hold (waiting on third party)"
    ESCALATED = "escalated", "Escalated"
    ENGINEERING = "engineering", "Engineering"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES: tuple[str, ...] = (
    TicketStatus.NEW,
    TicketStatus.TRIAGED,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.PENDING,
    TicketStatus.ON_HOLD,
    TicketStatus.ESCALATED,
    TicketStatus.ENGINEERING,
)
OPEN_STATUS_Q = Q(status__in=OPEN_STATUSES)


class CloseReason(models.TextChoices):
    NONE = "", "—"
    MERGED = "merged", "Merged into another ticket"
    SPAM = "spam", "Spam"
    DUPLICATE = "duplicate", "Duplicate"


class Category(models.Model):
    """Two-level taxonomy: a top category and optional sub-categories."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["parent_id", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "slug"], name="category_slug_unique_in_parent"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(parent__isnull=True), name="category_top_slug_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


class Tag(models.Model):
    """A managed vocabulary: tickets may only carry tags that exist and are active."""

    name = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductArea(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    subject = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True)  # sanitized render of `description`
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    organization = models.ForeignKey(
        "helpdesk.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV4)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    product_area = models.ForeignKey(
        ProductArea, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.PORTAL)
    team = models.ForeignKey(
        "helpdesk.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    support_tier = models.CharField(max_length=2, choices=SupportTier.choices, default=SupportTier.L1)
    status = models.CharField(max_length=12, choices=TicketStatus.choices, default=TicketStatus.NEW)
    close_reason = models.CharField(max_length=12, choices=CloseReason.choices, blank=True, default="")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_duplicates"
    )
    external_id = models.CharField(max_length=120, blank=True, default="")
    source = models.CharField(max_length=60, blank=True, default="", help_text="System an import came from.")
    # Cached facts derived from the event log, kept by the services for fast lists and metrics.
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_message_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The soonest due instant of the ticket's running SLA clocks (NULL: none running), kept by the
    # SLA re-plan alone; queues sort on it. Never written by save() (see below).
    sla_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="ticket_external_id_unique_per_source",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="ticket_not_merged_into_self"
            ),
        ]
        indexes = [
            # Team queues and the "open tickets of one team" API list, newest first.
            models.Index(
                fields=["team", "-created_at", "-id"], condition=OPEN_STATUS_Q, name="ticket_open_team_idx"
            ),
            models.Index(
                fields=["assignee", "-created_at", "-id"],
                condition=OPEN_STATUS_Q,
                name="ticket_open_assignee_idx",
            ),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            # Queues in SLA order: most urgent due instant first, first in, first out after it.
            models.Index(
                models.F("sla_due_at").asc(nulls_last=True),
                "priority",
                "created_at",
                "id",
                condition=OPEN_STATUS_Q,
                name="ticket_open_sla_idx",
            ),
            models.Index(
                "team",
                models.F("sla_due_at").asc(nulls_last=True),
                "priority",
                "created_at",
                "id",
                condition=OPEN_STATUS_Q,
                name="ticket_open_team_sla_idx",
            ),
            # "Waiting on customer" in SLA order, and "Recently resolved", newest first.
            models.Index(
                models.F("sla_due_at").asc(nulls_last=True),
                "priority",
                "created_at",
                "id",
                condition=Q(status="pending"),
                name="ticket_pending_sla_idx",
            ),
            models.Index(
                Coalesce("closed_at", "resolved_at").desc(nulls_last=True),
                models.F("id").desc(),
                condition=Q(status__in=("resolved", "closed")),
                name="ticket_recently_resolved_idx",
            ),
            # The change feed for syncing integrations: updated_since + cursor.
            models.Index(fields=["updated_at", "id"], name="ticket_updated_idx"),
            models.Index(fields=["organization", "-created_at"], name="ticket_org_idx"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_idx"),
            models.Index(fields=["status"], name="ticket_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A whole-row save writes every column but sla_due_at: the copy being saved may predate
        # the last SLA re-plan, and rolling the due instant back would misorder the queues.
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = _TICKET_SAVED_FIELDS
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("api-v1:ticket-detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


_TICKET_SAVED_FIELDS = [
    field.name
    for field in Ticket._meta.concrete_fields
    if not field.primary_key and field.name != "sla_due_at"
]


class MessageVisibility(models.TextChoices):
    PUBLIC = "public", "Public reply"
    INTERNAL = "internal", "Internal note"


class AuthorKind(models.TextChoices):
    """Who wrote a message, frozen at write time so SLA replays do not depend on later role edits."""

    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket_messages",
    )
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    visibility = models.CharField(
        max_length=8, choices=MessageVisibility.choices, default=MessageVisibility.PUBLIC
    )
    is_automatic = models.BooleanField(
        default=False, help_text="An automatic acknowledgement, not a human reply."
    )
    body = models.TextField()
    body_html = models.TextField()
    cc = models.JSONField(default=list, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.PORTAL)
    external_id = models.CharField(max_length=120, blank=True, default="")
    email_message_id = models.CharField(max_length=998, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="message_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visibility} on #{self.ticket_id} by {self.author_id}"

    @property
    def is_public(self) -> bool:
        return self.visibility == MessageVisibility.PUBLIC


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file kept under MEDIA_ROOT (outside the web root), served only through a checked view."""

    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class LinkKind(models.TextChoices):
    PARENT_OF = "parent_of", "Parent of"  # from = incident, to = a report of it
    RELATED = "related", "Related to"  # stored once, from.id < to.id
    DUPLICATE_OF = "duplicate_of", "Duplicate of"


class TicketLink(models.Model):
    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=14, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=~Q(from_ticket=models.F("to_ticket")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.from_ticket_id} {self.kind} #{self.to_ticket_id}"


class TicketEventKind(models.TextChoices):
    CREATED = "created", "Created"
    FIELD_CHANGED = "field_changed", "Field changed"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    MESSAGE_ADDED = "message_added", "Message added"
    MERGED = "merged", "Merged into another ticket"
    MERGE_RECEIVED = "merge_received", "Received a merged duplicate"
    LINKED = "linked", "Linked"
    UNLINKED = "unlinked", "Unlinked"
    ESCALATED = "escalated", "Escalated"
    DE_ESCALATED = "de_escalated", "De-escalated"
    SATISFACTION_RATED = "satisfaction_rated", "Satisfaction rated"
    # Routing and automation (tickets/automation): a rule fired, a macro was applied, a ticket was routed.
    RULE_FIRED = "rule_fired", "Automation rule fired"
    MACRO_APPLIED = "macro_applied", "Macro applied"
    ROUTED = "routed", "Routed"


class TicketEvent(models.Model):
    """Append-only: rows are never updated (a database trigger refuses UPDATE).

    `occurred_at` is when the change happened (historical for imports); `recorded_at` is when the
    row was written. SLA clocks and metrics replay events in (occurred_at, id) order.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=TicketEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "occurred_at", "id"], name="event_ticket_idx"),
            models.Index(fields=["kind", "occurred_at"], name="event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"


class CannedResponse(models.Model):
    """A reusable reply the composer inserts; shared when `owner` is empty, limited to `team` when set."""

    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown, inserted into the reply as written.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text="Leave empty to share it with every agent.",
    )
    team = models.ForeignKey(
        "helpdesk.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text="Offer it only to members of this team.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


# --- Routing, automation rules and macros live in their own module (issue 7) ------------------------
from tickets.automation.models import (  # noqa: E402, F401 - models of this app, re-exported
    AgentRouting,
    AutomationRule,
    CategorySkill,
    Macro,
    RoutingStrategy,
    RuleFiring,
    RuleKind,
    RuleTrigger,
    TeamRouting,
)

# --- The e-mail channel's tables live in their own module (issue 7) -------------------------------
from tickets.mail.models import (  # noqa: E402, F401 - models of this app, re-exported
    BlockedSender,
    EmailTemplate,
    EmailTemplateName,
    InboundEmail,
    InboundStatus,
    OutboundBounce,
    OutboundEmail,
    OutboundStatus,
)
