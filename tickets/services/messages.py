"""Adding public replies and internal notes, with attachments."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import User
from tickets import events, transitions
from tickets.automation.hooks import runs_event_rules
from tickets.models import (
    Attachment,
    AuthorKind,
    Channel,
    MessageVisibility,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from tickets.rendering import BodyFormat, render_body
from tickets.services import alerts, outbound_email
from tickets.services.core import _apply_status, _save, lock_ticket


@dataclass(frozen=True)
class UploadedFile:
    """A file to attach, already read: name as given by the client, declared type and bytes."""

    filename: str
    content_type: str
    content: bytes


def _check_uploads(files: Sequence[UploadedFile]) -> None:
    errors = []
    for upload in files:
        if len(upload.content) > settings.ATTACHMENT_MAX_BYTES:
            errors.append(f"'{upload.filename}' is larger than {settings.ATTACHMENT_MAX_BYTES} bytes.")
        if upload.content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
            errors.append(f"'{upload.filename}' has a type that is not allowed ({upload.content_type}).")
    if errors:
        raise DomainError("Attachment refused.", field_errors={"attachments": errors})


def _clean_cc(cc: Sequence[str]) -> list[str]:
    cleaned, errors = [], []
    for address in cc:
        address = address.strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            errors.append(f"'{address}' is not an email address.")
            continue
        if address not in cleaned:
            cleaned.append(address)
    if errors:
        raise DomainError("Invalid CC.", field_errors={"cc": errors})
    return cleaned


def _author_kind(author: User | None) -> str:
    if author is None:
        return AuthorKind.SYSTEM
    return AuthorKind.AGENT if author.is_agent else AuthorKind.CUSTOMER


def insert_message(
    ticket: Ticket,
    *,
    author: User | None,
    body: str,
    visibility: str,
    at: datetime,
    is_automatic: bool = False,
    cc: Sequence[str] = (),
    channel: str = Channel.PORTAL,
    external_id: str = "",
    email_message_id: str = "",
    body_format: str = BodyFormat.MARKDOWN,
) -> TicketMessage:
    """Write a message and its MESSAGE_ADDED event on a ticket the caller has locked and will save.

    For services that add a message as part of a larger change (an escalation's handoff note);
    everything else calls message_create, which validates and applies the conversation rules.
    """
    message = TicketMessage.objects.create(
        ticket=ticket,
        author=author,
        author_kind=_author_kind(author),
        visibility=visibility,
        is_automatic=is_automatic,
        body=body,
        body_html=render_body(body, body_format),
        cc=list(cc),
        channel=channel,
        external_id=external_id,
        email_message_id=email_message_id,
        created_at=at,
    )
    events.message_added(ticket, actor=author, at=at, message=message)
    ticket.message_count += 1
    return message


@transaction.atomic
@runs_event_rules  # automation: event rules run after the write, in its transaction
def message_create(
    *,
    ticket_id: int,
    author: User | None,
    body: str,
    visibility: str = MessageVisibility.PUBLIC,
    cc: Sequence[str] = (),
    attachments: Sequence[UploadedFile] = (),
    is_automatic: bool = False,
    channel: str = Channel.PORTAL,
    external_id: str = "",
    email_message_id: str = "",
    at: datetime | None = None,
    body_format: str = BodyFormat.MARKDOWN,
    send_email: bool = True,
) -> TicketMessage:
    """Add a reply or note to a ticket and record MESSAGE_ADDED.

    A customer reply resumes a ticket waiting on the customer and reopens a resolved one;
    the first public human agent reply sets `first_response_at`. Customers cannot write
    internal notes (PermissionDeniedError); closed tickets take no messages (DomainError).
    A public reply not written by the customer is queued as an e-mail to the requester and CCs
    (tickets.services.outbound_email), unless `send_email` is False (imported or generated
    history). `body_format` "text" keeps a plain-text body (an e-mail's) from being read as Markdown.
    """
    if not body.strip():
        raise DomainError("Empty message.", field_errors={"body": ["Write something before sending."]})
    if visibility not in MessageVisibility.values:
        raise DomainError(
            "Unknown visibility.", field_errors={"visibility": [f"'{visibility}' is not a visibility."]}
        )
    kind = _author_kind(author)
    if kind == AuthorKind.CUSTOMER and visibility != MessageVisibility.PUBLIC:
        raise PermissionDeniedError("Customers cannot write internal notes.")
    if channel not in Channel.values:
        raise DomainError("Unknown channel.", field_errors={"channel": [f"'{channel}' is not a channel."]})
    _check_uploads(attachments)
    cc_list = _clean_cc(cc)
    at = at or timezone.now()
    ticket = lock_ticket(ticket_id)
    if ticket.status == TicketStatus.CLOSED:
        raise DomainError(
            "Ticket closed.", field_errors={"ticket": ["This ticket is closed; open a new ticket instead."]}
        )
    message = insert_message(
        ticket,
        author=author,
        body=body,
        visibility=visibility,
        is_automatic=is_automatic,
        cc=cc_list,
        channel=channel,
        external_id=external_id,
        email_message_id=email_message_id,
        at=at,
        body_format=body_format,
    )
    for upload in attachments:
        digest = hashlib.sha256(upload.content).hexdigest()
        attachment = Attachment(
            message=message,
            filename=upload.filename[:255] or "attachment",
            content_type=upload.content_type,
            size=len(upload.content),
            sha256=digest,
            created_at=at,
        )
        attachment.file.save(digest, ContentFile(upload.content), save=False)
        attachment.save()
    if visibility == MessageVisibility.PUBLIC:
        if kind == AuthorKind.AGENT:
            ticket.last_agent_message_at = at
            if ticket.first_response_at is None and not is_automatic:
                ticket.first_response_at = at
        elif kind == AuthorKind.CUSTOMER:
            ticket.last_customer_message_at = at
            if ticket.status == TicketStatus.PENDING:
                _apply_status(
                    ticket, TicketStatus.IN_PROGRESS, actor=author, at=at, reason="customer_replied"
                )
            elif ticket.status == TicketStatus.RESOLVED:
                target = transitions.reopen_target(has_assignee=ticket.assignee_id is not None)
                _apply_status(ticket, target, actor=author, at=at, reason="customer_replied")
    if kind == AuthorKind.AGENT:
        alerts.notify_mentioned(ticket, message_id=message.pk, body=body, author=author)
    _save(ticket, at)
    # --- e-mail channel (issue 7): queue the reply's e-mail in this transaction -------------------
    if send_email and visibility == MessageVisibility.PUBLIC and kind != AuthorKind.CUSTOMER:
        outbound_email.outbound_email_queue(ticket=ticket, message=message)
    # --- end e-mail channel ----------------------------------------------------------------------
    return message
