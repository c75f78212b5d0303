"""Inbound mail from a real IMAP server (dovecot), and a whole conversation through SMTP and IMAP."""

from __future__ import annotations

import imaplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from helpdesk.models import User
from tickets import services
from tickets.mail import imap
from tickets.models import InboundEmail, InboundStatus, OutboundEmail, Ticket, TicketMessage
from tickets.services import outbound_email
from tickets.tasks import poll_mailbox_task

from .conftest import corpus
from .servers import ImapServer, SmtpServer, free_port

pytestmark = [pytest.mark.mailserver, pytest.mark.django_db]


def _client(server: ImapServer) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(server.user, server.password)
    return client


def _append(server: ImapServer, raw: bytes, folder: str = "INBOX") -> None:
    client = _client(server)
    try:
        status, _ = client.append(folder, None, None, raw)
        assert status == "OK"
    finally:
        client.logout()


def _search(server: ImapServer, criteria: str, folder: str = "INBOX") -> int:
    client = _client(server)
    try:
        client.select(folder)
        _, data = client.uid("SEARCH", None, criteria)
        return len((data[0] or b"").split())
    finally:
        client.logout()


def _poll() -> int:
    return imap.mailbox_poll(now=timezone.now())


def test_without_a_mailbox_the_poll_does_nothing() -> None:
    assert (imap.mailbox_settings(), _poll(), InboundEmail.objects.count()) == (None, 0, 0)


def test_new_mail_is_stored_processed_and_flagged_seen(imap_server: ImapServer) -> None:
    # given two messages waiting, one of them an auto-reply
    _append(imap_server, corpus("plain_new.eml"))
    _append(imap_server, corpus("auto_reply.eml", TICKET=1, IN_REPLY_TO="x@y"))

    # when
    assert _poll() == 2

    # then
    rows = {row.email_message_id: row for row in InboundEmail.objects.all()}
    assert rows["plain-new-1@newco.test"].status == InboundStatus.TICKET_CREATED
    assert rows["auto-reply-1@acme.test"].status == InboundStatus.IGNORED_AUTO_REPLY
    assert rows["plain-new-1@newco.test"].source == "imap:support@helpdesk.test@127.0.0.1/INBOX"
    assert (_search(imap_server, "UNSEEN"), _search(imap_server, "SEEN")) == (0, 2)

    # when polled again
    assert _poll() == 0
    assert Ticket.objects.count() == 1


def test_processed_mail_moves_to_the_processed_folder(imap_server: ImapServer, settings: Settings) -> None:
    # given
    settings.IMAP_PROCESSED_FOLDER = "Processed"
    client = _client(imap_server)
    client.create("Processed")
    client.logout()
    _append(imap_server, corpus("plain_new.eml"))

    # when
    _poll()

    # then
    assert (_search(imap_server, "ALL"), _search(imap_server, "ALL", folder="Processed")) == (0, 1)
    assert Ticket.objects.count() == 1


def test_a_crash_before_flagging_leaves_the_mail_to_fetch_again_without_doubling_it(
    imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a poll that stores the message and dies before flagging it \Seen
    _append(imap_server, corpus("plain_new.eml"))
    original = imap._done

    def die(*args: object, **kwargs: object) -> None:
        raise ConnectionResetError("worker lost the server")

    monkeypatch.setattr(imap, "_done", die)
    with pytest.raises(ConnectionResetError):
        _poll()
    assert (InboundEmail.objects.count(), _search(imap_server, "UNSEEN")) == (1, 1)

    # when the next poll runs normally, and the pending sweep catches up later
    monkeypatch.setattr(imap, "_done", original)
    _poll()
    imap.inbound_email.inbound_emails_process_pending(now=timezone.now() + timedelta(minutes=2))

    # then one message, one ticket, and the mailbox is up to date
    assert (InboundEmail.objects.count(), Ticket.objects.count(), _search(imap_server, "UNSEEN")) == (1, 1, 0)


def test_an_unreachable_mailbox_is_logged_and_left_for_the_next_beat(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SSL = "127.0.0.1", free_port(), False

    assert poll_mailbox_task() == 0
    assert "imap.poll_failed" in caplog.text


# --- A whole conversation ----------------------------------------------------------------------------


def _customer_reply(to_our_mail: EmailMessage, *, sender: str, body: str, keep: str, html: bool) -> bytes:
    """Answer one of our e-mails as a mail client does: "Re:", threading headers, the quote below.

    `keep` says which threading headers the client writes: both, in-reply-to, references, or
    none (a web mailer that leaves only the subject's [#id]).
    """
    our_id, our_text = str(to_our_mail["Message-ID"]), to_our_mail.get_content()
    reply = EmailMessage()
    reply["From"], reply["To"] = f"Alice <{sender}>", "support@helpdesk.test"
    reply["Subject"] = "Re: " + str(to_our_mail["Subject"])
    reply["Message-ID"] = make_msgid(domain="acme.test")
    if keep in ("both", "in-reply-to"):
        reply["In-Reply-To"] = our_id
    if keep in ("both", "references"):
        reply["References"] = " ".join([*str(to_our_mail.get("References", "")).split(), our_id])
    attribution = "On Mon, 3 Mar 2025 at 10:00, Support <support@helpdesk.test> wrote:"
    if html:
        reply.set_content(
            f"<div>{body}</div><div class='gmail_quote'>{attribution}<blockquote>"
            + "<br>".join(our_text.splitlines())
            + "</blockquote></div>",
            subtype="html",
        )
    else:
        quoted = "\n".join("> " + line for line in our_text.splitlines())
        reply.set_content(f"{body}\n\n{attribution}\n{quoted}\n")
    return bytes(reply)


def test_a_ten_message_exchange_through_smtp_and_imap_is_one_ticket(
    imap_server: ImapServer, smtp_server: SmtpServer, customer: User, agent: User
) -> None:
    # given Alice writes in
    first = EmailMessage()
    first["From"], first["To"], first["Subject"] = (
        f"Alice <{customer.email}>",
        "support@helpdesk.test",
        "VPN drops",
    )
    first["Message-ID"] = make_msgid(domain="acme.test")
    first.set_content("The VPN drops every hour.")
    _append(imap_server, bytes(first))
    _poll()
    ticket = Ticket.objects.get()
    # her mail clients differ: full headers, only References, none but the subject's [#id] (a
    # web mailer), and an HTML-only client writing only In-Reply-To
    styles = [("both", False), ("references", False), ("none", False), ("in-reply-to", True)]

    for turn in range(5):
        # when an agent answers and the reply goes out over SMTP
        services.message_create(ticket_id=ticket.pk, author=agent, body=f"Agent answer {turn + 1}.")
        outbound_email.outbound_emails_send_due(now=timezone.now() + timedelta(seconds=1))
        delivered = smtp_server.deliveries[-1]
        assert delivered.rcpt_tos == [customer.email]
        if turn == 4:
            break
        # and Alice's client answers it into our mailbox
        keep, html = styles[turn]
        received = delivered.message
        our_mail = EmailMessage()
        for name in ("Subject", "Message-ID", "References"):
            if received[name]:
                our_mail[name] = " ".join(str(received[name]).split())
        our_mail.set_content(received.get_payload(0).get_payload(decode=True).decode())
        answer = _customer_reply(
            our_mail, sender=customer.email, body=f"Customer reply {turn + 2}.", keep=keep, html=html
        )
        _append(imap_server, answer)
        _poll()

    # then: one ticket holding the whole conversation, each reply without the quoted history
    assert Ticket.objects.count() == 1
    statuses = list(InboundEmail.objects.order_by("received_at", "id").values_list("status", "ticket_id"))
    assert statuses == [("ticket_created", ticket.pk)] + [("threaded", ticket.pk)] * 4
    bodies = list(TicketMessage.objects.filter(ticket=ticket).values_list("author_kind", "body"))
    assert [(kind, body.strip()) for kind, body in bodies] == [
        ("agent", "Agent answer 1."),
        ("customer", "Customer reply 2."),
        ("agent", "Agent answer 2."),
        ("customer", "Customer reply 3."),
        ("agent", "Agent answer 3."),
        ("customer", "Customer reply 4."),
        ("agent", "Agent answer 4."),
        ("customer", "Customer reply 5."),
        ("agent", "Agent answer 5."),
    ]
    assert 1 + len(bodies) == 10  # the opening e-mail is the ticket's description
    # and every reply we sent sits in one thread in Alice's mail client: same root, growing chain
    references = [" ".join(d.message["References"].split()).split() for d in smtp_server.deliveries]
    assert all(chain[0] == first["Message-ID"] for chain in references)
    assert [len(chain) for chain in references] == [1, 3, 5, 7, 9]
    assert OutboundEmail.objects.filter(status="sent").count() == 5
