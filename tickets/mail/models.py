"""Tables of the e-mail channel; imported by tickets.models so they belong to the tickets app."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received, not processed yet"
    TICKET_CREATED = "ticket_created", "Opened a ticket"
    THREADED = "threaded", "Added to a ticket"
    IGNORED_AUTO_REPLY = "ignored_auto_reply", "Ignored: auto-reply"
    IGNORED_BOUNCE = "ignored_bounce", "Ignored: bounce or delivery report"
    BOUNCE_RECORDED = "bounce_recorded", "Bounce: recorded on its ticket"
    IGNORED_LOOP = "ignored_loop", "Ignored: our own mail came back"
    BLOCKED = "blocked", "Blocked sender"
    FAILED = "failed", "Failed: needs an admin"


# Statuses whose message still waits for (another) processing attempt.
INBOUND_PENDING_STATUSES = (InboundStatus.RECEIVED, InboundStatus.FAILED)


def inbound_raw_upload_to(instance: InboundEmail, filename: str) -> str:
    return f"inbound-email/{instance.raw_sha256[:2]}/{instance.raw_sha256}.eml"


class InboundEmail(models.Model):
    """One received message, stored raw before anything else happens to it (never lost).

    `email_message_id` (unique, the Message-ID header) makes receiving idempotent: the same message delivered twice, through
    IMAP and a pipe, or fetched again after a crash, is stored and processed once. Another message
    reusing a Message-ID (`content_sha256` differs) is a message of its own, stored under
    `dup-<digest>.<Message-ID>`: a mailer that reuses ids must not make mail disappear.
    """

    email_message_id = models.CharField(max_length=255, unique=True)
    raw = models.FileField(upload_to=inbound_raw_upload_to, max_length=300)
    raw_size = models.PositiveBigIntegerField()
    raw_sha256 = models.CharField(max_length=64)
    content_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="Digest of the message less its trace headers: the same message delivered twice has the same.",
    )
    source = models.CharField(
        max_length=120, help_text="Where it came from: imap:<user>@<host>/<folder>, pipe…"
    )
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=250, blank=True)
    cc = models.JSONField(default=list, blank=True, help_text="Other people the message was addressed to.")
    status = models.CharField(max_length=20, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    message = models.ForeignKey(
        "tickets.TicketMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "received_at"], name="inbound_email_ticket_idx"),
            models.Index(fields=["status", "-received_at"], name="inbound_email_status_idx"),
            # The retry sweep: messages stored but not (successfully) processed.
            models.Index(
                fields=["received_at"],
                condition=Q(status__in=INBOUND_PENDING_STATUSES),
                name="inbound_email_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"<{self.email_message_id}> {self.status}"

    @property
    def header_message_id(self) -> str:
        """The message's own Message-ID, also for a message stored under `dup-<digest>.`."""
        return header_message_id(self.email_message_id)


_DUPLICATE_PREFIX = re.compile(r"^dup-[0-9a-f]{24}\.")


def header_message_id(stored_id: str) -> str:
    """Return the Message-ID an InboundEmail id stands for (without the `dup-<digest>.` prefix)."""
    return _DUPLICATE_PREFIX.sub("", stored_id)


class BlockedSender(models.Model):
    """Mail from this address, or from any address at `@domain`, is kept but never opens tickets."""

    pattern = models.CharField(
        max_length=254,
        unique=True,
        help_text="An address (ana@example.com) or a whole domain (@example.com).",
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pattern"]

    def __str__(self) -> str:
        return self.pattern


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed: not sent"
    BOUNCED = "bounced", "Bounced: sent, then reported undeliverable"


# Statuses an admin may send again (OutboundEmail resend).
OUTBOUND_RESENDABLE_STATUSES = (OutboundStatus.FAILED, OutboundStatus.BOUNCED)


class OutboundEmail(models.Model):
    """A public reply to e-mail, queued in the transaction that wrote the reply; sent once.

    The content is rendered when queued, so a retry sends exactly what the first try would have,
    under the same deterministic Message-ID.
    """

    message = models.OneToOneField(
        "tickets.TicketMessage", on_delete=models.CASCADE, related_name="outbound_email"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="outbound_emails")
    email_message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    from_email = models.CharField(max_length=254)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=OutboundStatus.choices, default=OutboundStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    resends = models.PositiveSmallIntegerField(
        default=0, help_text="How often an admin queued it again after it failed or bounced."
    )
    resent_at = models.DateTimeField(null=True, blank=True)
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="outbound_email_ticket_idx"),
            # The send sweep: unsent rows whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="outbound_email_due_idx"
            ),
            # The admin's "needs attention" list: failed and bounced rows, newest first.
            models.Index(
                fields=["-created_at"],
                condition=Q(status__in=OUTBOUND_RESENDABLE_STATUSES),
                name="outbound_email_problem_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"<{self.email_message_id}> {self.status}"


class OutboundBounce(models.Model):
    """One recipient of one of our e-mails reported undeliverable by one bounce message.

    Unique per (bounce, our e-mail, recipient): processing the same bounce again records nothing.
    `note` is the internal note written on the ticket, when one was (a closed ticket takes none,
    and a second report of a failure already noted since the last send adds no second note).
    """

    outbound = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="bounces")
    inbound = models.ForeignKey(InboundEmail, on_delete=models.CASCADE, related_name="bounces")
    recipient = models.CharField(max_length=254)
    status = models.CharField(max_length=32, blank=True, help_text="The DSN status code, e.g. 5.1.1.")
    diagnostic = models.TextField(blank=True, help_text="What the receiving server said.")
    note = models.ForeignKey(
        "tickets.TicketMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inbound", "outbound", "recipient"], name="outbound_bounce_once_per_report"
            ),
        ]
        indexes = [
            models.Index(fields=["outbound", "recipient", "created_at"], name="outbound_bounce_lookup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.status or 'bounced'} (outbound e-mail #{self.outbound_id})"


class EmailTemplateName(models.TextChoices):
    REPLY_SUBJECT = "reply_subject", "Reply: subject"
    REPLY_TEXT = "reply_text", "Reply: plain-text body"
    REPLY_HTML = "reply_html", "Reply: HTML body"


class EmailTemplate(models.Model):
    """An admin's edit of one outgoing e-mail template; without one, the file template is used."""

    name = models.CharField(max_length=20, choices=EmailTemplateName.choices, unique=True)
    body = models.TextField(help_text="Django template syntax; see docs/email.md for the variables.")
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.get_name_display()
