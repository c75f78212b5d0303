"""Names and threading headers of our outgoing mail, and how to read them back. Pure.

Every reply gets a deterministic Message-ID, `<ticket-<T>.message-<M>@EMAIL_DOMAIN>`, so a
resend after a crash carries the same id (clients show it once) and a customer's answer names its
ticket in In-Reply-To/References even when every other header was lost. Tickets without an
inbound e-mail thread under the virtual root `<ticket-<T>@EMAIL_DOMAIN>`. The subject carries the
ticket reference `[#T]`, the fallback for clients that drop the threading headers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TICKET_TOKEN = re.compile(r"\[#(\d{1,12})\]")
_OUR_ID = re.compile(r"^ticket-(\d{1,12})(?:\.message-(\d{1,12}))?@(.+)$", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|fw|fwd|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
MAX_REFERENCES = 20


def message_id_for(*, ticket_id: int, message_id: int, domain: str) -> str:
    """Return the Message-ID (without brackets) of the e-mail of one ticket message."""
    return f"ticket-{ticket_id}.message-{message_id}@{domain}"


def thread_root_for(*, ticket_id: int, domain: str) -> str:
    """Return the virtual first id of a ticket's thread, for tickets no e-mail started."""
    return f"ticket-{ticket_id}@{domain}"


def ticket_id_in_message_id(message_id: str, *, domain: str) -> int | None:
    """Return the ticket a Message-ID we generated belongs to, or None for anyone else's id."""
    match = _OUR_ID.match(message_id.strip("<> "))
    if match is None or match.group(3).lower() != domain.lower():
        return None
    return int(match.group(1))


def ticket_id_in_subject(subject: str) -> int | None:
    """Return the ticket named by a "[#123]" reference in a subject, or None."""
    match = TICKET_TOKEN.search(subject)
    return int(match.group(1)) if match else None


def reply_subject(subject: str, ticket_id: int) -> str:
    """Return "Re: <subject> [#id]" with one "Re:" and one reference, whatever the subject had."""
    base = TICKET_TOKEN.sub("", _REPLY_PREFIX.sub("", subject)).strip()
    return with_ticket_token(f"Re: {base}" if base else "Re: your request", ticket_id)


def with_ticket_token(subject: str, ticket_id: int) -> str:
    """Return `subject` (one line) ending in the ticket's reference, added when missing."""
    subject = " ".join(subject.split())
    token = f"[#{ticket_id}]"
    return subject if token in subject else f"{subject} {token}".strip()


def references_chain(root: str, earlier: Sequence[str]) -> list[str]:
    """Return References: the thread's root, then the latest earlier ids (at most MAX_REFERENCES in all)."""
    chain = [message_id for message_id in dict.fromkeys(earlier) if message_id != root]
    return [root, *chain[-(MAX_REFERENCES - 1) :]]
