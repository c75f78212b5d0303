"""Receiving e-mail: keep the raw message first, then open or thread a ticket through the services.

Two steps, so that no message is ever lost: `inbound_email_receive` stores the raw bytes (a file
under MEDIA_ROOT, then an InboundEmail row, committed on its own) and is idempotent by
Message-ID; `inbound_email_process` then parses and acts, once per message (the row is locked and
its status checked), and records any exception on the row (status failed) for an admin to see and
retry. The IMAP poll, `manage.py ingest_email` and the admin's retry all call these two.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from helpdesk import services as account_services
from helpdesk.exceptions import DomainError
from helpdesk.models import User
from tickets.automation.hooks import one_write
from tickets.mail import bounces, classify, parse, quoting
from tickets.mail.compose import ticket_id_in_message_id, ticket_id_in_subject
from tickets.mail.models import (
    INBOUND_PENDING_STATUSES,
    BlockedSender,
    InboundEmail,
    InboundStatus,
    OutboundEmail,
)
from tickets.mail.parse import ParsedMessage
from tickets.models import Channel, LinkKind, MessageVisibility, Ticket, TicketMessage, TicketStatus
from tickets.rendering import BodyFormat
from tickets.services import outbound_email
from tickets.services.core import ticket_create
from tickets.services.links import ticket_link
from tickets.services.messages import UploadedFile, message_create

logger = logging.getLogger(__name__)

MAX_CC = 20
# The sweep retries a message whose processing crashed at most this often; then it waits for an admin.
MAX_AUTOMATIC_ATTEMPTS = 3
ATTACHMENTS_NOTE = "Files attached to the e-mail."

_MACHINE_STATUS = {
    classify.MachineKind.AUTO_REPLY: InboundStatus.IGNORED_AUTO_REPLY,
    classify.MachineKind.BOUNCE: InboundStatus.IGNORED_BOUNCE,
    classify.MachineKind.LOOP: InboundStatus.IGNORED_LOOP,
}


class UnusableEmail(DomainError):
    """A message that cannot open or join a ticket (no sender address, say); kept for an admin."""

    code = "unusable_email"


def own_addresses() -> frozenset[str]:
    """Return our own mailbox addresses (lower-case): never a sender, never a CC."""
    from_address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].strip(" >").lower()
    extra = {address.strip().lower() for address in settings.EMAIL_OWN_ADDRESSES if address.strip()}
    imap_user = settings.IMAP_USER.strip().lower()
    return frozenset({from_address, *extra, *([imap_user] if "@" in imap_user else [])})


def loop_marker() -> str:
    """Return the X-Loop value our outgoing mail carries."""
    return settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].strip(" >").lower()


# --- Step 1: keep the message --------------------------------------------------------------------


def inbound_email_receive(
    *, raw: bytes, source: str, now: datetime | None = None
) -> tuple[InboundEmail, bool]:
    """Store a raw message unless it was stored before; return (row, created).

    "Stored before" means the same Message-ID with the same content (parse.content_digest, which
    ignores trace headers): a different message reusing a Message-ID is stored as a message of
    its own, under `dup-<digest>.<Message-ID>`. Commits on its own (call it outside any
    transaction): once it returns, the message is safe whatever processing does. Raises only
    when storage fails (disk, database), and then nothing was recorded, so the caller can leave
    the message where it came from and try again.
    """
    envelope = parse.envelope(raw)
    content = parse.content_digest(raw)
    duplicate_key = f"dup-{content[:24]}.{envelope.message_id}"[:255]
    for _ in range(3):  # a concurrent store of the same id: look again
        existing = _stored(envelope.message_id, duplicate_key, content)
        if existing is not None:
            return existing, False
        taken = InboundEmail.objects.filter(email_message_id=envelope.message_id).exists()
        try:
            return _store(
                raw, envelope, content, duplicate_key if taken else envelope.message_id, source, now
            ), True
        except IntegrityError:
            continue
    raise IntegrityError(f"Could not store message <{envelope.message_id}>: its id keeps being taken.")


def _stored(message_id: str, duplicate_key: str, content: str) -> InboundEmail | None:
    """Return the row that already holds this message, if any."""
    rows = {
        row.email_message_id: row
        for row in InboundEmail.objects.filter(email_message_id__in=[message_id, duplicate_key])
    }
    if duplicate_key in rows:
        return rows[duplicate_key]
    first = rows.get(message_id)
    if first is None:
        return None
    if not first.content_sha256:  # stored before digests were kept
        with default_storage.open(first.raw.name, "rb") as stored:
            first.content_sha256 = parse.content_digest(stored.read())
    return first if first.content_sha256 == content else None


def _store(
    raw: bytes, envelope: parse.Envelope, content: str, key: str, source: str, now: datetime | None
) -> InboundEmail:
    digest = hashlib.sha256(raw).hexdigest()
    path = f"inbound-email/{digest[:2]}/{digest}.eml"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(raw))
    # One INSERT, committed on its own; a concurrent store of the same message loses the race.
    with transaction.atomic():
        return InboundEmail.objects.create(
            email_message_id=key,
            raw=path,
            raw_size=len(raw),
            raw_sha256=digest,
            content_sha256=content,
            source=source[:120],
            from_address=envelope.from_address[:254],
            subject=envelope.subject[:250],
            received_at=now or timezone.now(),
        )


# --- Step 2: act on it ---------------------------------------------------------------------------


def inbound_email_process(
    *, inbound_id: int, now: datetime | None = None, count_attempt: bool = True
) -> InboundEmail:
    """Open or thread a ticket for a stored message, once; return the row with its outcome.

    Idempotent: a message already processed is returned unchanged. A failing message never
    raises here: the error is recorded on the row (status failed) and the row is kept.
    `count_attempt` False: the caller already counted this attempt (the pending sweep does,
    in its own commit, so a message that kills the worker still runs out of attempts).
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            row = InboundEmail.objects.select_for_update(of=("self",)).get(pk=inbound_id)
            if row.status not in INBOUND_PENDING_STATUSES:
                return row
            if count_attempt:
                row.attempts += 1
            _process(row, now)
            row.processed_at, row.error = now, ""
            row.save(update_fields=_PROCESSED_FIELDS)
            return row
    except Exception as error:
        logger.exception("inbound_email.failed", extra={"inbound_email_id": inbound_id})
        InboundEmail.objects.filter(pk=inbound_id).update(
            status=InboundStatus.FAILED,
            error=_describe(error),
            processed_at=now,
            attempts=F("attempts") + (1 if count_attempt else 0),
        )
    return InboundEmail.objects.get(pk=inbound_id)


_PROCESSED_FIELDS = ["status", "error", "attempts", "cc", "ticket", "message", "processed_at"]


def inbound_emails_process_pending(*, now: datetime, limit: int = 100) -> int:
    """Process stored messages that no one processed (a crash between the steps); return how many.

    Leaves messages younger than a minute to whoever just stored them, and messages that
    failed MAX_AUTOMATIC_ATTEMPTS times to an admin.
    """
    pending = list(
        InboundEmail.objects.filter(
            status__in=INBOUND_PENDING_STATUSES,
            attempts__lt=MAX_AUTOMATIC_ATTEMPTS,
            received_at__lte=now - timedelta(minutes=1),
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for inbound_id in pending:
        # Counted before trying, in its own commit: a message that kills the worker mid-way
        # would otherwise be retried forever.
        InboundEmail.objects.filter(pk=inbound_id).update(attempts=F("attempts") + 1)
        inbound_email_process(inbound_id=inbound_id, now=now, count_attempt=False)
    return len(pending)


def _describe(error: BaseException) -> str:
    if isinstance(error, DomainError):
        details = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in error.field_errors.items())
        return f"{error.message} {details}".strip()
    return "".join(traceback.format_exception_only(type(error), error)).strip()[:2000]


def _process(row: InboundEmail, now: datetime) -> None:
    with default_storage.open(row.raw.name, "rb") as stored:
        raw = stored.read()
    parsed = parse.parse(raw)
    row.cc = [address.address for address in _participants(parsed)]
    machine = classify.machine_kind(
        parsed, own_domain=settings.EMAIL_DOMAIN, own_addresses=own_addresses(), loop_marker=loop_marker()
    )
    if machine is not None:
        row.status = _MACHINE_STATUS[machine]
        report = bounces.read_report(parsed) if machine == classify.MachineKind.BOUNCE else None
        if report is not None and _record_bounce(row, report, now=now):
            return
        # For the admin's eyes only (nothing is written on the ticket): the ticket it concerns.
        own = ticket_id_in_message_id(parsed.message_id, domain=settings.EMAIL_DOMAIN)
        concerned = (
            own
            or (_ticket_id_of(report.original_ids) if report is not None else None)
            or _ticket_id_of(parsed.thread_ids)
        )
        row.ticket_id = concerned if concerned and Ticket.objects.filter(pk=concerned).exists() else None
        return
    sender = _usable_sender(parsed)
    if sender is None:
        raise UnusableEmail("The message names no sender address (From, Sender or Reply-To).")
    if sender_is_blocked(sender.address):
        row.status = InboundStatus.BLOCKED
        return
    author = account_services.customer_get_or_create(email=sender.address, full_name=sender.name)
    ticket, follow_up_of = _thread_target(parsed, author, now)
    uploads, refused = _uploads(parsed)
    cc = [address for address in row.cc if address != author.email][:MAX_CC]  # row.cc: the participants
    if ticket is not None:
        row.message = _add_reply(ticket, parsed, author=author, row=row, uploads=uploads, cc=cc, now=now)
        row.status, row.ticket = InboundStatus.THREADED, ticket
    else:
        row.ticket = _open_ticket(
            parsed, author=author, uploads=uploads, cc=cc, follow_up_of=follow_up_of, now=now
        )
        row.status = InboundStatus.TICKET_CREATED
    if refused:
        _note_refused(row.ticket, refused, inbound_id=row.pk, now=now)


# --- Bounces of our own mail -----------------------------------------------------------------------


def _record_bounce(row: InboundEmail, report: bounces.BounceReport, *, now: datetime) -> bool:
    """Record a delivery failure of one of our e-mails on its ticket; False when the bounce names none.

    The report must name one of our e-mails by the bounced message's Message-ID and, as failed,
    someone that e-mail went to: our Message-IDs are predictable, so a report about anyone else
    is not believed (it stays listed as a bounce for an admin).
    """
    if report.delayed_only or not report.original_ids:
        return False
    known = {
        outbound.email_message_id: outbound
        for outbound in OutboundEmail.objects.filter(email_message_id__in=report.original_ids)
    }
    outbound = next((known[found] for found in report.original_ids if found in known), None)
    if outbound is None:
        return False
    recipients = [address.lower() for address in (*outbound.to, *outbound.cc)]
    failed = [
        recipient
        for recipient in report.failed
        if recipient.address in recipients or recipient.original_address in recipients
    ]
    if not report.failed:
        # A report with no recipient we could read: the recipients of ours it names.
        text = report.human_text.lower()
        code = bounces.STATUS_CODE.search(text)
        failed = [
            bounces.FailedRecipient(address=address, status=code.group(1) if code else "")
            for address in recipients
            if re.search(rf"(?<![\w.+-]){re.escape(address)}(?![\w-])", text)
        ]
    if not failed:
        return False
    note = outbound_email.outbound_email_bounced(
        outbound_id=outbound.pk, inbound_id=row.pk, failed=failed, now=now
    )
    row.status, row.ticket_id, row.message = InboundStatus.BOUNCE_RECORDED, outbound.ticket_id, note
    return True


# --- Threading -----------------------------------------------------------------------------------


def _header_ticket_id(parsed: ParsedMessage) -> int | None:
    """Return the ticket the message's In-Reply-To/References point at, most specific first."""
    return _ticket_id_of(parsed.thread_ids)


def _ticket_id_of(ids: tuple[str, ...]) -> int | None:
    """Return the ticket of the first of `ids` that is one of ours or an e-mail received on a ticket."""
    if not ids:
        return None
    known: dict[str, int] = {}
    for model in (OutboundEmail, InboundEmail):
        rows = model.objects.filter(email_message_id__in=ids, ticket__isnull=False).values_list(
            "email_message_id", "ticket_id"
        )
        known.update({message_id: ticket_id for message_id, ticket_id in rows if ticket_id is not None})
    for message_id in ids:
        ticket_id = ticket_id_in_message_id(message_id, domain=settings.EMAIL_DOMAIN) or known.get(message_id)
        if ticket_id is not None:
            return ticket_id
    return None


def _thread_target(parsed: ParsedMessage, author: User, now: datetime) -> tuple[Ticket | None, Ticket | None]:
    """Return (ticket to add the reply to, closed ticket the new one follows up), either may be None.

    Headers first, then the subject's [#id]. A ticket is only joined when the sender belongs to
    it (requester, a CC, the same organization, or an agent): a Message-ID or a ticket number is
    no secret, and must not let a stranger write into someone else's conversation.
    """
    from tickets import portal  # tickets.portal imports the services package

    follow_up_of = None
    for ticket_id in dict.fromkeys([_header_ticket_id(parsed), ticket_id_in_subject(parsed.subject)]):
        ticket = _live_ticket(ticket_id) if ticket_id is not None else None
        if ticket is None or not _may_thread(ticket, author):
            continue
        # A closed ticket takes no messages, and a customer may reopen a resolved one only within
        # the portal's window: past that, their mail opens a new ticket linked to the old one.
        closed = ticket.status == TicketStatus.CLOSED
        if closed or (not author.is_agent and not portal.may_reply(ticket, now=now)):
            follow_up_of = follow_up_of or ticket
            continue
        return ticket, None
    return None, follow_up_of


def _live_ticket(ticket_id: int) -> Ticket | None:
    """Return the ticket, following merges to the one that lives on."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    for _ in range(10):
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    return ticket


def _may_thread(ticket: Ticket, author: User) -> bool:
    if author.pk == ticket.requester_id or author.is_agent:
        return True
    if ticket.organization_id is not None and author.organization_id == ticket.organization_id:
        return True
    email = author.email
    return (
        InboundEmail.objects.filter(ticket=ticket, cc__contains=[email]).exists()
        or OutboundEmail.objects.filter(ticket=ticket, cc__contains=[email]).exists()
        or TicketMessage.objects.filter(ticket=ticket, cc__contains=[email]).exists()
    )


def _usable_sender(parsed: ParsedMessage) -> parse.Address | None:
    """Return the sender (From, else Sender, else Reply-To), or a Reply-To when that one is no valid address."""
    for candidate in (parsed.sender, *parsed.reply_to):
        if candidate is None:
            continue
        try:
            validate_email(candidate.address)
        except ValidationError:
            continue
        return candidate
    return None


def _participants(parsed: ParsedMessage) -> list[parse.Address]:
    """Return the other addressees (To and Cc, less our own addresses and the sender), valid ones only."""
    own = own_addresses()
    sender = parsed.sender.address if parsed.sender else ""
    found = []
    for address in (*parsed.to, *parsed.cc):
        if address.address in own or address.address == sender:
            continue
        try:
            validate_email(address.address)
        except ValidationError:
            continue
        found.append(address)
    return found


# --- Writing through the ticket services ---------------------------------------------------------


def _uploads(parsed: ParsedMessage) -> tuple[list[UploadedFile], list[str]]:
    """Split the attachments into those the ticket may keep and descriptions of those it may not."""
    allowed = set(settings.ATTACHMENT_ALLOWED_TYPES)
    kept: list[UploadedFile] = []
    refused: list[str] = []
    for attachment in parsed.attachments:
        content_type = attachment.content_type
        if content_type not in allowed:
            guessed = mimetypes.guess_type(attachment.filename)[0] or ""
            content_type = guessed if guessed in allowed else content_type
        if content_type not in allowed:
            refused.append(f"{attachment.filename} ({attachment.content_type}: type not allowed)")
        elif len(attachment.content) > settings.ATTACHMENT_MAX_BYTES:
            refused.append(f"{attachment.filename} ({len(attachment.content)} bytes: too large)")
        else:
            kept.append(
                UploadedFile(attachment.filename[:255] or "attachment", content_type, attachment.content)
            )
    return kept, refused


def _add_reply(
    ticket: Ticket,
    parsed: ParsedMessage,
    *,
    author: User,
    row: InboundEmail,
    uploads: list[UploadedFile],
    cc: list[str],
    now: datetime,
) -> TicketMessage:
    body = quoting.trim_reply(parsed.text).text or ("(attachments only)" if uploads else "(no text)")
    return message_create(
        ticket_id=ticket.pk,
        author=author,
        body=body,
        # Agents answer customers in the workspace; what they mail in stays internal, so nothing
        # reaches a customer that was not written there.
        visibility=MessageVisibility.INTERNAL if author.is_agent else MessageVisibility.PUBLIC,
        cc=cc,
        attachments=uploads,
        channel=Channel.EMAIL,
        email_message_id=row.header_message_id,
        body_format=BodyFormat.TEXT,
        at=now,
    )


def _open_ticket(
    parsed: ParsedMessage,
    *,
    author: User,
    uploads: list[UploadedFile],
    cc: list[str],
    follow_up_of: Ticket | None,
    now: datetime,
) -> Ticket:
    subject = " ".join(parsed.subject.split()) or "(no subject)"
    # One write for the rules: the ticket, its attachments and its link are "created", not a
    # creation followed by a customer reply.
    with one_write():
        ticket = ticket_create(
            requester=author,
            actor=author,
            subject=subject,
            description=parsed.text,
            channel=Channel.EMAIL,
            description_format=BodyFormat.TEXT,
            created_at=now,
        )
        if uploads:
            message_create(
                ticket_id=ticket.pk,
                author=author,
                body=ATTACHMENTS_NOTE,
                cc=cc,
                attachments=uploads,
                channel=Channel.EMAIL,
                body_format=BodyFormat.TEXT,
                at=now,
            )
        if follow_up_of is not None:
            ticket_link(from_id=ticket.pk, to_id=follow_up_of.pk, kind=LinkKind.RELATED, actor=author, at=now)
    return ticket


def _note_refused(ticket: Ticket | None, refused: list[str], *, inbound_id: int, now: datetime) -> None:
    if ticket is None:
        return
    lines = "\n".join(f"- {item}" for item in refused)
    message_create(
        ticket_id=ticket.pk,
        author=None,
        body=f"Attachments not saved from inbound e-mail #{inbound_id} (the original is kept):\n{lines}",
        visibility=MessageVisibility.INTERNAL,
        channel=Channel.EMAIL,
        body_format=BodyFormat.TEXT,
        at=now,
    )


# --- Blocked senders -----------------------------------------------------------------------------


def sender_is_blocked(address: str) -> bool:
    """Return whether the address, or its whole domain, is on the blocked-senders list."""
    address = address.strip().lower()
    domain = address.rsplit("@", 1)[-1]
    return BlockedSender.objects.filter(pattern__in=[address, f"@{domain}"]).exists()


def _clean_pattern(pattern: str) -> str:
    pattern = pattern.strip().lower()
    candidate = f"x{pattern}" if pattern.startswith("@") else pattern
    try:
        validate_email(candidate)
    except ValidationError as error:
        raise DomainError(
            "Invalid pattern.",
            field_errors={"pattern": ["Give an address (ana@example.com) or a domain (@example.com)."]},
        ) from error
    return pattern


@transaction.atomic
def blocked_sender_create(*, pattern: str, note: str = "", actor: User | None = None) -> BlockedSender:
    """Block an address or a whole @domain; raises DomainError when invalid or already blocked."""
    pattern = _clean_pattern(pattern)
    if BlockedSender.objects.filter(pattern=pattern).exists():
        raise DomainError("Already blocked.", field_errors={"pattern": ["This sender is already blocked."]})
    return BlockedSender.objects.create(pattern=pattern, note=note[:200], created_by=actor)


@transaction.atomic
def blocked_sender_update(*, blocked_sender_id: int, pattern: str, note: str = "") -> BlockedSender:
    """Change a blocked-senders entry; raises DomainError when invalid or taken."""
    row = BlockedSender.objects.select_for_update().get(pk=blocked_sender_id)
    pattern = _clean_pattern(pattern)
    if BlockedSender.objects.filter(pattern=pattern).exclude(pk=row.pk).exists():
        raise DomainError("Already blocked.", field_errors={"pattern": ["This sender is already blocked."]})
    row.pattern, row.note = pattern, note[:200]
    row.save()
    return row


@dataclass(frozen=True)
class IngestResult:
    inbound: InboundEmail
    created: bool


def inbound_email_ingest(*, raw: bytes, source: str, now: datetime | None = None) -> IngestResult:
    """Receive then process one raw message (the two steps above), for the benchmark and tests.

    `manage.py ingest_email` runs the two steps itself, to answer the MTA "try again later" when
    storing fails and "done" once the message is stored, whatever processing makes of it.
    """
    inbound, created = inbound_email_receive(raw=raw, source=source, now=now)
    if inbound.status == InboundStatus.RECEIVED:  # new, or stored earlier by a run that then crashed
        inbound = inbound_email_process(inbound_id=inbound.pk, now=now)
    return IngestResult(inbound, created)
