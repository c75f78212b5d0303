"""Fetching new mail from the IMAP mailbox named in settings (IMAP_*), for the beat task.

Each unseen message is fetched with BODY.PEEK[] (fetching does not mark it read), stored by
inbound_email_receive (committed), and only then flagged \\Seen — or moved to
IMAP_PROCESSED_FOLDER. A crash in between leaves it unseen, so the next poll fetches it again,
and the Message-ID makes that second store a no-op: nothing is lost, nothing is doubled.
Processing follows, per stored message; its failures stay on the row, never in the mailbox.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from tickets.services import inbound_email

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password: str
    use_ssl: bool
    folder: str
    processed_folder: str
    timeout: int

    @property
    def source(self) -> str:
        return f"imap:{self.user}@{self.host}/{self.folder}"


def mailbox_settings() -> MailboxSettings | None:
    """Return the configured mailbox, or None when IMAP_HOST is empty (polling off)."""
    if not settings.IMAP_HOST:
        return None
    return MailboxSettings(
        host=settings.IMAP_HOST,
        port=settings.IMAP_PORT,
        user=settings.IMAP_USER,
        password=settings.IMAP_PASSWORD,
        use_ssl=settings.IMAP_SSL,
        folder=settings.IMAP_FOLDER or "INBOX",
        processed_folder=settings.IMAP_PROCESSED_FOLDER,
        timeout=settings.IMAP_TIMEOUT,
    )


@contextmanager
def _connected(mailbox: MailboxSettings) -> Iterator[imaplib.IMAP4]:
    client: imaplib.IMAP4
    if mailbox.use_ssl:
        client = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=mailbox.timeout
        )
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=mailbox.timeout)
    try:
        client.login(mailbox.user, mailbox.password)
        yield client
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            logger.warning("imap.logout_failed", extra={"host": mailbox.host})


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _message_bytes(fetched: list[object]) -> bytes | None:
    for item in fetched:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _supports_move(client: imaplib.IMAP4) -> bool:
    # Servers announce more after login than in their greeting (imaplib keeps only the greeting's).
    status, data = client.capability()
    announced = b" ".join(item for item in data if isinstance(item, bytes)).upper() if status == "OK" else b""
    return b"MOVE" in announced.split()


def _done(client: imaplib.IMAP4, uid: bytes, mailbox: MailboxSettings, can_move: bool) -> None:
    client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if not mailbox.processed_folder:
        return
    target = _quoted(mailbox.processed_folder)
    if can_move:
        client.uid("MOVE", uid, target)
    else:
        status, _ = client.uid("COPY", uid, target)
        if status == "OK":
            client.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            client.expunge()


def mailbox_fetch_new(mailbox: MailboxSettings, *, limit: int = BATCH_SIZE) -> list[int]:
    """Store up to `limit` unseen messages of the mailbox; return the ids of the rows stored.

    Raises imaplib/OSError on connection trouble (the task retries on its next beat).
    """
    stored: list[int] = []
    with _connected(mailbox) as client:
        status, _ = client.select(_quoted(mailbox.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select folder {mailbox.folder!r}")
        can_move = _supports_move(client)
        status, data = client.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split() if status == "OK" and data else []
        for uid in uids[:limit]:
            if not re.fullmatch(rb"\d+", uid):
                continue
            status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = _message_bytes(list(fetched or [])) if status == "OK" else None
            if raw is None:
                logger.warning("imap.fetch_empty", extra={"uid": uid.decode()})
                continue
            row, _created = inbound_email.inbound_email_receive(raw=raw, source=mailbox.source)
            _done(client, uid, mailbox, can_move)
            stored.append(row.pk)
    return stored


def mailbox_poll(*, now: datetime) -> int:
    """Fetch and process new mail (when a mailbox is configured), then any stored message left
    unprocessed by an earlier crash; return how many messages were processed."""
    processed = 0
    mailbox = mailbox_settings()
    if mailbox is not None:
        for inbound_id in mailbox_fetch_new(mailbox):
            inbound_email.inbound_email_process(inbound_id=inbound_id, now=now)
            processed += 1
    processed += inbound_email.inbound_emails_process_pending(now=now)
    return processed
