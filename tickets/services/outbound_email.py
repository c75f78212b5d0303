"""Sending public replies by e-mail: queued with the reply, sent once by a sweeping task.

`outbound_email_queue` runs inside message_create's transaction and renders the whole e-mail
(so a retry sends exactly the same thing, under the same deterministic Message-ID).
`outbound_emails_send_due` — run by a beat task every few seconds, like notification e-mails —
claims each due row with SELECT … FOR UPDATE SKIP LOCKED, sends it while holding the claim and
marks it sent in the same transaction. A row never goes out twice while the database works; the
one window left is a crash after the SMTP server accepted the message and before the commit, and
then the resend carries the same Message-ID, which mail clients show once. SMTP errors that can
recover (connection, 4xx) are retried with doubling waits up to EMAIL_OUTBOUND_MAX_ATTEMPTS;
permanent ones (5xx for every recipient) mark the row failed for an admin.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from tickets.automation.hooks import rules_suspended
from tickets.mail import compose
from tickets.mail.models import (
    OUTBOUND_RESENDABLE_STATUSES,
    EmailTemplate,
    EmailTemplateName,
    InboundEmail,
    InboundStatus,
    OutboundBounce,
    OutboundEmail,
    OutboundStatus,
    header_message_id,
)
from tickets.models import Channel, MessageVisibility, Ticket, TicketMessage, TicketStatus
from tickets.rendering import BodyFormat

if TYPE_CHECKING:
    from tickets.mail.bounces import FailedRecipient

logger = logging.getLogger(__name__)

MAX_CC = 20
# Files bigger than this in total stay on the ticket page; the e-mail links to it instead.
MAX_ATTACHED_BYTES = 15 * 1024 * 1024
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600

_FILE_TEMPLATES = {
    EmailTemplateName.REPLY_SUBJECT: "tickets/email/reply_subject.txt",
    EmailTemplateName.REPLY_TEXT: "tickets/email/reply.txt",
    EmailTemplateName.REPLY_HTML: "tickets/email/reply.html",
}


class SendOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a recoverable error; the row waits for its next attempt
    FAILED = "failed"  # given up: permanent error or attempts exhausted
    SKIPPED = "skipped"  # already sent, failed, or claimed by another worker


def _bare(address: str) -> str:
    return address.rsplit("<", 1)[-1].strip(" >").lower()


def _valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _overrides() -> dict[str, str]:
    return dict(EmailTemplate.objects.filter(is_active=True).values_list("name", "body"))


def render_template(name: str, context: dict[str, Any], overrides: dict[str, str] | None = None) -> str:
    """Render one outgoing-mail template: the admin's EmailTemplate row if active, else the file.

    The context holds plain strings only, so an edited template cannot reach into the database.
    """
    override = (overrides if overrides is not None else _overrides()).get(name)
    if override is not None:
        autoescape = name == EmailTemplateName.REPLY_HTML
        return Template(override).render(Context(context, autoescape=autoescape))
    return render_to_string(_FILE_TEMPLATES[EmailTemplateName(name)], context)


@dataclass(frozen=True)
class _Thread:
    root: str
    in_reply_to: str
    earlier: list[str]
    last_inbound_cc: list[str]


def _thread(ticket: Ticket) -> _Thread:
    """Return the ticket's e-mail conversation so far: its root, the id to answer, earlier ids."""
    inbound = list(
        InboundEmail.objects.filter(
            ticket=ticket, status__in=(InboundStatus.TICKET_CREATED, InboundStatus.THREADED)
        )
        .order_by("received_at", "id")
        .values_list("received_at", "email_message_id", "cc")
    )
    inbound = [(at, header_message_id(stored_id), cc) for at, stored_id, cc in inbound]
    outbound = list(OutboundEmail.objects.filter(ticket=ticket).values_list("created_at", "email_message_id"))
    root = (
        inbound[0][1]
        if inbound
        else compose.thread_root_for(ticket_id=ticket.pk, domain=settings.EMAIL_DOMAIN)
    )
    earlier = [message_id for _, message_id in sorted([(at, mid) for at, mid, _ in inbound] + outbound)]
    return _Thread(
        root=root,
        # Answer the customer's last e-mail; with none, our own last reply (or the thread's root).
        in_reply_to=inbound[-1][1] if inbound else (earlier[-1] if earlier else root),
        earlier=earlier,
        last_inbound_cc=list(inbound[-1][2]) if inbound else [],
    )


def _recipients(requester_email: str, message: TicketMessage, thread: _Thread) -> tuple[list[str], list[str]]:
    requester = requester_email.lower()
    to = [requester] if _valid(requester) else []
    # Reply-all to the customer's latest e-mail (whom they kept in the conversation), plus the
    # CCs the agent added to this reply.
    own = {_bare(settings.DEFAULT_FROM_EMAIL), *(a.lower() for a in settings.EMAIL_OWN_ADDRESSES)}
    cc: list[str] = []
    for address in [*message.cc, *thread.last_inbound_cc]:
        address = str(address).strip().lower()
        if address and address not in to and address not in own and address not in cc and _valid(address):
            cc.append(address)
    return to, cc[:MAX_CC]


def outbound_email_queue(*, ticket: Ticket, message: TicketMessage) -> OutboundEmail | None:
    """Queue the e-mail of a public reply in the caller's transaction; None when nobody can get it."""
    requester = User.objects.only("email", "full_name").get(pk=ticket.requester_id)
    thread = _thread(ticket)
    to, cc = _recipients(requester.email, message, thread)
    if not to and not cc:
        return None
    domain = settings.EMAIL_DOMAIN
    author = message.author
    context = {
        "ticket_id": str(ticket.pk),
        "ticket_subject": ticket.subject,
        "ticket_url": settings.SITE_URL + reverse("portal:ticket", args=[ticket.pk]),
        "requester_name": requester.get_short_name(),
        "agent_name": author.get_full_name() if author else "Support",
        "body_text": message.body,
        "body_html": message.body_html,
        "site_url": settings.SITE_URL,
    }
    overrides = _overrides()
    subject_line = render_template(EmailTemplateName.REPLY_SUBJECT, context, overrides)
    subject = compose.with_ticket_token(
        subject_line or compose.reply_subject(ticket.subject, ticket.pk), ticket.pk
    )
    return OutboundEmail.objects.create(
        message=message,
        ticket=ticket,
        email_message_id=compose.message_id_for(ticket_id=ticket.pk, message_id=message.pk, domain=domain),
        in_reply_to=thread.in_reply_to,
        references=" ".join(compose.references_chain(thread.root, thread.earlier)),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        cc=cc,
        subject=subject[:300],
        body_text=render_template(EmailTemplateName.REPLY_TEXT, context, overrides),
        body_html=render_template(EmailTemplateName.REPLY_HTML, context, overrides),
        created_at=message.created_at,
        next_attempt_at=timezone.now(),
    )


def _email(row: OutboundEmail, connection: Any) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_email,
        to=row.to,
        cc=row.cc,
        connection=connection,
        headers={
            "Message-ID": f"<{row.email_message_id}>",
            "In-Reply-To": f"<{row.in_reply_to}>",
            "References": " ".join(f"<{message_id}>" for message_id in row.references.split()),
            "X-Loop": _bare(settings.DEFAULT_FROM_EMAIL),
            # Ask Exchange and friends not to answer our replies with out-of-office mail.
            "X-Auto-Response-Suppress": "OOF, AutoReply",
            "X-Helpdesk-Ticket": str(row.ticket_id),
        },
    )
    if row.body_html:
        email.attach_alternative(row.body_html, "text/html")
    total = 0
    for attachment in row.message.attachments.all():
        total += attachment.size
        if total > MAX_ATTACHED_BYTES:
            break
        with attachment.file.open("rb") as stored:
            email.attach(attachment.filename, stored.read(), attachment.content_type)
    return email


def _classify(error: Exception) -> bool:
    """Return whether a send error may recover on its own (a retry can succeed)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _ in error.recipients.values())
    if isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError)):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code < 500
    return isinstance(error, (smtplib.SMTPException, OSError))  # disconnects, refused connections, timeouts


def outbound_email_send(*, outbound_id: int, now: datetime | None = None) -> SendOutcome:
    """Send one queued e-mail if it is still pending and nobody else holds it; return what happened.

    The SMTP conversation runs while the row is locked, and the row is marked sent in the same
    transaction: a second worker skips it, a failed send leaves it pending for its next attempt.
    """
    now = now or timezone.now()
    connection = get_connection(fail_silently=False)
    with transaction.atomic():
        row = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("message")
            .filter(pk=outbound_id, status=OutboundStatus.PENDING)
            .first()
        )
        if row is None:
            return SendOutcome.SKIPPED
        row.attempts += 1
        try:
            _email(row, connection).send()
        except Exception as error:
            recoverable = _classify(error)
            logger.warning(
                "outbound_email.send_failed",
                extra={"outbound_email_id": row.pk, "attempt": row.attempts, "recoverable": recoverable},
            )
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            if recoverable and row.attempts < settings.EMAIL_OUTBOUND_MAX_ATTEMPTS:
                wait = min(RETRY_BASE_SECONDS * 2 ** (row.attempts - 1), RETRY_MAX_SECONDS)
                row.next_attempt_at = now + timedelta(seconds=wait)
                row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                return SendOutcome.RETRY
            row.status = OutboundStatus.FAILED
            row.save(update_fields=["attempts", "last_error", "status"])
            return SendOutcome.FAILED
        row.status, row.sent_at, row.last_error = OutboundStatus.SENT, now, ""
        row.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return SendOutcome.SENT


def outbound_emails_send_due(*, now: datetime, limit: int = 200, time_budget_seconds: float = 40.0) -> int:
    """Send every pending e-mail whose attempt is due; return how many went.

    Stops after `limit` rows or `time_budget_seconds`, inside the task's time limit. Parallel
    runs share the rows (each is claimed with SKIP LOCKED).
    """
    due = list(
        OutboundEmail.objects.filter(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    deadline = time.monotonic() + time_budget_seconds
    sent = 0
    for outbound_id in due:
        if time.monotonic() > deadline:
            break
        if outbound_email_send(outbound_id=outbound_id, now=now) == SendOutcome.SENT:
            sent += 1
    return sent


# --- Delivery problems: bounces and resends ------------------------------------------------------


@transaction.atomic
def outbound_email_bounced(
    *, outbound_id: int, inbound_id: int, failed: Sequence[FailedRecipient], now: datetime
) -> TicketMessage | None:
    """Record that `failed` recipients of one of our e-mails bounced, as inbound e-mail `inbound_id` says.

    Marks the e-mail bounced (unless an admin already queued it again: the report then concerns
    the earlier sending) and writes one internal note on its ticket naming who failed and why.
    Returns the note, or None when none was due: this report was recorded before (the same bounce
    processed again), every failure it names was noted already (another MTA's report of the same
    failure; after an admin resent the e-mail, only notes since then count), or the ticket is closed.
    """
    row = OutboundEmail.objects.select_for_update(of=("self",)).get(pk=outbound_id)
    earlier = OutboundBounce.objects.filter(outbound=row, note__isnull=False)
    if row.resent_at is not None:  # failures noted before an admin resent it were about the old sending
        earlier = earlier.filter(created_at__gte=row.resent_at)
    noted = set(earlier.values_list("recipient", flat=True))
    to_note: list[OutboundBounce] = []
    for recipient in failed:
        bounce, created = OutboundBounce.objects.get_or_create(
            inbound_id=inbound_id,
            outbound=row,
            recipient=recipient.address[:254],
            defaults={
                "status": recipient.status[:32],
                "diagnostic": recipient.diagnostic,
                "created_at": now,
            },
        )
        if created and bounce.recipient not in noted:
            to_note.append(bounce)
    if not to_note:
        return None
    if row.status != OutboundStatus.PENDING:
        row.status, row.bounced_at = OutboundStatus.BOUNCED, now
        row.last_error = "Bounced: " + "; ".join(_describe_bounce(bounce) for bounce in to_note)[:1990]
        row.save(update_fields=["status", "bounced_at", "last_error"])
    if Ticket.objects.filter(pk=row.ticket_id, status=TicketStatus.CLOSED).exists():
        return None  # a closed ticket takes no messages; the admin list still shows the bounce
    from tickets.services.messages import message_create  # messages imports this module

    sent = f" of {row.sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if row.sent_at else ""
    lines = "\n".join(f"- {_describe_bounce(bounce)}" for bounce in to_note)
    # No event rules: a rule answering this note would write to the address that just bounced.
    with rules_suspended():
        note = message_create(
            ticket_id=row.ticket_id,
            author=None,
            body=(
                f'Delivery failed: our e-mail "{row.subject}"{sent} could not be delivered to:\n{lines}\n\n'
                f"Reported by inbound e-mail #{inbound_id}. Once the address is right, an admin can send "
                f"it again (Admin → Outbound e-mails → Resend)."
            ),
            visibility=MessageVisibility.INTERNAL,
            channel=Channel.EMAIL,
            body_format=BodyFormat.TEXT,
            at=now,
        )
    OutboundBounce.objects.filter(pk__in=[bounce.pk for bounce in to_note]).update(note=note)
    return note


def _describe_bounce(bounce: OutboundBounce) -> str:
    reason = ": ".join(part for part in (bounce.status, bounce.diagnostic[:300]) if part)
    return f"{bounce.recipient} ({reason})" if reason else bounce.recipient


@transaction.atomic
def outbound_email_resend(*, outbound_id: int, actor: User | None, now: datetime | None = None) -> bool:
    """Queue a failed or bounced e-mail again; return False, changing nothing, when it is neither.

    The same row goes out again — same Message-ID, so the conversation still threads — through
    the usual sweep, to the requester's current address (an admin corrects a bounced address on
    the user, then resends) and the same CCs. One row is one e-mail and the sweep claims it with
    SKIP LOCKED, so two copies are never in flight; a second click finds it pending and does
    nothing.
    """
    now = now or timezone.now()
    row = (
        OutboundEmail.objects.select_for_update(of=("self",))
        .filter(pk=outbound_id, status__in=OUTBOUND_RESENDABLE_STATUSES)
        .first()
    )
    if row is None:
        return False
    requester = (
        User.objects.filter(requested_tickets__pk=row.ticket_id).values_list("email", flat=True).first() or ""
    ).lower()
    if _valid(requester):
        row.to = [requester]
    row.cc = [address for address in row.cc if address != requester]
    row.status, row.attempts, row.next_attempt_at, row.last_error = OutboundStatus.PENDING, 0, now, ""
    row.resends += 1
    row.resent_at, row.resent_by = now, actor
    row.save(
        update_fields=[
            "to",
            "cc",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "resends",
            "resent_at",
            "resent_by",
        ]
    )
    logger.info("outbound_email.resent", extra={"outbound_email_id": row.pk, "resends": row.resends})
    return True


@transaction.atomic
def email_template_save(
    *, name: str, body: str, is_active: bool = True, template_id: int | None = None
) -> EmailTemplate:
    """Create or change an admin's override of an outgoing-mail template.

    Raises DomainError when the name is unknown or taken, or the template does not compile.
    """
    if name not in EmailTemplateName.values:
        raise DomainError("Unknown template.", field_errors={"name": [f"'{name}' is not a template name."]})
    try:
        Template(body)
    except TemplateSyntaxError as error:
        raise DomainError("Invalid template.", field_errors={"body": [str(error)]}) from error
    taken = EmailTemplate.objects.filter(name=name).exclude(pk=template_id)
    if taken.exists():
        raise DomainError("Name taken.", field_errors={"name": ["This template already has an override."]})
    row = EmailTemplate.objects.select_for_update().get(pk=template_id) if template_id else EmailTemplate()
    row.name, row.body, row.is_active, row.updated_at = name, body, is_active, timezone.now()
    row.save()
    return row
