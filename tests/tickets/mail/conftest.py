"""E-mail channel fixtures: the message corpus and the settings every e-mail test assumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from .servers import DOVECOT, ImapServer, SmtpServer

CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str, **replacements: object) -> bytes:
    """Return a corpus message's bytes with {PLACEHOLDERS} filled in (TICKET, IN_REPLY_TO)."""
    raw = (CORPUS / name).read_bytes()
    for key, value in replacements.items():
        raw = raw.replace(b"{" + key.encode() + b"}", str(value).encode())
    return raw


@pytest.fixture(autouse=True)
def _email_settings(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEFAULT_FROM_EMAIL = "Support <support@helpdesk.test>"
    settings.EMAIL_DOMAIN = "helpdesk.test"
    settings.EMAIL_OWN_ADDRESSES = []
    settings.IMAP_HOST = ""
    settings.IMAP_USER = ""
    settings.SITE_URL = "https://help.example.test"


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django's SMTP backend sends to it."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def imap_server(settings: Settings) -> Iterator[ImapServer]:
    """A real IMAP server (Debian's dovecot) on 127.0.0.1, configured as our mailbox."""
    if not Path(DOVECOT).exists():
        pytest.fail(
            f"IMAP tests need dovecot at {DOVECOT}. Install it with `make mailserver` "
            "(apt-get install -y dovecot-imapd), or deselect them with `-m 'not mailserver'`.",
            pytrace=False,
        )
    server = ImapServer().start()
    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SSL = "127.0.0.1", server.port, False
    settings.IMAP_USER, settings.IMAP_PASSWORD = server.user, server.password
    settings.IMAP_FOLDER, settings.IMAP_PROCESSED_FOLDER, settings.IMAP_TIMEOUT = "INBOX", "", 10
    yield server
    server.stop()
