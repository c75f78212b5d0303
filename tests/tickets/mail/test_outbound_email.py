"""tickets.services.outbound_email: replies queued with the message, sent once over real SMTP."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.utils import getaddresses

import pytest
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from tickets import services
from tickets.models import EmailTemplate, InboundEmail, OutboundEmail, OutboundStatus, Ticket
from tickets.services import outbound_email
from tickets.services.inbound_email import inbound_email_ingest
from tickets.services.messages import UploadedFile

from .conftest import corpus
from .servers import SmtpServer

pytestmark = [pytest.mark.mailserver, pytest.mark.django_db]


@pytest.fixture
def emailed_ticket(customer: User, coworker: User) -> Ticket:
    """A ticket Alice opened by e-mail, copying her colleague Bob."""
    raw = (
        f"From: Alice <{customer.email}>\r\nTo: support@helpdesk.test\r\nCc: {coworker.email}\r\n"
        "Subject: VPN drops\r\nMessage-ID: <first@acme.test>\r\n\r\nIt drops.\r\n"
    ).encode()
    row = inbound_email_ingest(raw=raw, source="test").inbound
    return Ticket.objects.get(pk=row.ticket_id)


def _send_due() -> int:
    return outbound_email.outbound_emails_send_due(now=timezone.now() + timedelta(seconds=1))


def test_a_public_agent_reply_is_queued_with_threading_headers(
    emailed_ticket: Ticket, agent: User, coworker: User
) -> None:
    # when an agent answers, copying someone else too
    message = services.message_create(
        ticket_id=emailed_ticket.pk, author=agent, body="Please **restart** the client.", cc=["it@acme.test"]
    )

    # then the e-mail is queued in the same transaction, fully rendered
    row = OutboundEmail.objects.get(message=message)
    t = emailed_ticket.pk
    assert (row.status, row.attempts, row.to, row.cc) == (
        "pending",
        0,
        ["alice@acme.test"],
        ["it@acme.test", coworker.email],
    )
    assert row.email_message_id == f"ticket-{t}.message-{message.pk}@helpdesk.test"
    assert (row.in_reply_to, row.references) == ("first@acme.test", "first@acme.test")
    assert row.subject == f"Re: VPN drops [#{t}]"
    assert row.body_text.startswith("Please **restart** the client.\n\n--\n")
    assert f"https://help.example.test/portal/tickets/{t}/" in row.body_text
    assert "<strong>restart</strong>" in row.body_html


def test_notes_customer_messages_and_imported_history_send_nothing(
    emailed_ticket: Ticket, agent: User, customer: User
) -> None:
    services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="Note", visibility="internal")
    services.message_create(ticket_id=emailed_ticket.pk, author=customer, body="Me again")
    services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="Old reply", send_email=False)

    assert OutboundEmail.objects.count() == 0


def test_the_reply_goes_out_once_over_smtp_with_its_headers(
    smtp_server: SmtpServer, emailed_ticket: Ticket, agent: User
) -> None:
    # given two replies, the second answering after the first
    first = services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="One.")
    second = services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="Two.")

    # when the sweep runs, and runs again
    assert _send_due() == 2
    assert _send_due() == 0

    # then the server got each once, threaded under the customer's message
    assert len(smtp_server.deliveries) == 2
    t = emailed_ticket.pk
    ids = [
        f"<ticket-{t}.message-{first.pk}@helpdesk.test>",
        f"<ticket-{t}.message-{second.pk}@helpdesk.test>",
    ]
    delivered = [delivery.message for delivery in smtp_server.deliveries]
    assert [message["Message-ID"] for message in delivered] == ids
    assert [message["In-Reply-To"] for message in delivered] == ["<first@acme.test>", "<first@acme.test>"]
    assert [" ".join(message["References"].split()) for message in delivered] == [
        "<first@acme.test>",
        f"<first@acme.test> {ids[0]}",
    ]
    assert [address for _, address in getaddresses(delivered[0].get_all("To"))] == ["alice@acme.test"]
    assert delivered[0]["X-Loop"] == "support@helpdesk.test"
    assert sorted(smtp_server.deliveries[0].rcpt_tos) == ["alice@acme.test", "bob@acme.test"]
    rows = OutboundEmail.objects.order_by("pk")
    assert [(row.status, row.attempts) for row in rows] == [("sent", 1), ("sent", 1)]


def test_attachments_of_the_reply_are_attached(
    smtp_server: SmtpServer, emailed_ticket: Ticket, agent: User
) -> None:
    services.message_create(
        ticket_id=emailed_ticket.pk,
        author=agent,
        body="The log you asked for.",
        attachments=[UploadedFile("vpn.pdf", "application/pdf", b"%PDF-1.4\n\x00\xff")],
    )

    _send_due()

    [delivery] = smtp_server.deliveries
    files = [(part.get_filename(), part.get_payload(decode=True)) for part in delivery.message.walk()]
    assert ("vpn.pdf", b"%PDF-1.4\n\x00\xff") in files


def test_a_temporary_smtp_error_is_retried_later_and_then_sent_once(
    smtp_server: SmtpServer, emailed_ticket: Ticket, agent: User
) -> None:
    # given the server answers 451 at DATA
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="Hello")
    now = timezone.now() + timedelta(seconds=1)

    # when
    assert outbound_email.outbound_emails_send_due(now=now) == 0

    # then it waits 30 s for its next attempt
    row = OutboundEmail.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, now + timedelta(seconds=30))
    assert "451" in row.last_error
    assert outbound_email.outbound_emails_send_due(now=now + timedelta(seconds=10)) == 0

    # when the server recovers and the attempt is due
    smtp_server.handler.data_reply = ""
    assert outbound_email.outbound_emails_send_due(now=now + timedelta(seconds=31)) == 1

    # then
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, len(smtp_server.deliveries)) == ("sent", 2, "", 1)


def test_a_refused_recipient_fails_the_email_without_retrying(
    smtp_server: SmtpServer, emailed_ticket: Ticket, agent: User
) -> None:
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user"
    services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="Hello")

    assert _send_due() == 0

    row = OutboundEmail.objects.get()
    assert (row.status, row.attempts) == (OutboundStatus.FAILED, 1)
    assert "550" in row.last_error
    assert smtp_server.deliveries == []


def test_an_unreachable_server_is_retried_until_the_attempts_run_out(
    settings: object, emailed_ticket: Ticket, agent: User
) -> None:
    # given nothing listens where mail should go
    from .servers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # type: ignore[attr-defined]
    settings.EMAIL_OUTBOUND_MAX_ATTEMPTS = 2  # type: ignore[attr-defined]
    services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="Hello")
    now = timezone.now() + timedelta(seconds=1)

    # when
    outbound_email.outbound_emails_send_due(now=now)
    outbound_email.outbound_emails_send_due(now=now + timedelta(hours=1))

    # then
    row = OutboundEmail.objects.get()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "ConnectionRefusedError" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_a_row_claimed_by_another_worker_is_skipped(
    smtp_server: SmtpServer, customer: User, agent: User
) -> None:
    # given a queued reply, and another worker in the middle of sending it
    ticket = services.ticket_create(requester=customer, subject="Locked")
    services.message_create(ticket_id=ticket.pk, author=agent, body="Hello")
    row = OutboundEmail.objects.get()
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with transaction.atomic():
            OutboundEmail.objects.select_for_update().get(pk=row.pk)
            holding.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    holding.wait(10)

    # when
    try:
        outcome = outbound_email.outbound_email_send(outbound_id=row.pk)
    finally:
        release.set()
        worker.join()

    # then
    assert outcome == outbound_email.SendOutcome.SKIPPED
    assert smtp_server.deliveries == []
    assert OutboundEmail.objects.get().attempts == 0


def test_a_reply_to_a_portal_ticket_threads_under_the_tickets_own_root(
    smtp_server: SmtpServer, customer: User, agent: User
) -> None:
    ticket = services.ticket_create(requester=customer, subject="From the portal")
    first = services.message_create(ticket_id=ticket.pk, author=agent, body="One")
    services.message_create(ticket_id=ticket.pk, author=agent, body="Two")

    _send_due()

    root = f"<ticket-{ticket.pk}@helpdesk.test>"
    first_id = f"<ticket-{ticket.pk}.message-{first.pk}@helpdesk.test>"
    headers = [(d.message["In-Reply-To"], d.message["References"]) for d in smtp_server.deliveries]
    assert [(in_reply_to, " ".join(references.split())) for in_reply_to, references in headers] == [
        (root, root),
        (first_id, f"{root} {first_id}"),
    ]


def test_an_admin_edited_template_replaces_the_file(
    emailed_ticket: Ticket, customer: User, agent: User
) -> None:
    # given
    outbound_email.email_template_save(
        name="reply_text", body="Hi {{ requester_name }}, {{ agent_name }} says: {{ body_text }} & more"
    )
    outbound_email.email_template_save(name="reply_subject", body="Your request {{ ticket_subject }}")

    # when
    message = services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="<b>fixed</b>")

    # then plain text is not HTML-escaped, and the subject keeps its ticket reference
    row = OutboundEmail.objects.get(message=message)
    assert (
        row.body_text == f"Hi {customer.get_short_name()}, {agent.get_full_name()} says: <b>fixed</b> & more"
    )
    assert row.subject == f"Your request VPN drops [#{emailed_ticket.pk}]"


def test_a_template_that_does_not_compile_is_refused() -> None:
    with pytest.raises(DomainError) as error:
        outbound_email.email_template_save(name="reply_text", body="{% if %}")

    assert list(error.value.field_errors) == ["body"]
    assert EmailTemplate.objects.count() == 0


def test_the_customer_reply_to_our_email_threads_back(
    smtp_server: SmtpServer, emailed_ticket: Ticket, agent: User
) -> None:
    # given our reply went out
    services.message_create(ticket_id=emailed_ticket.pk, author=agent, body="Restart it.")
    _send_due()
    [delivery] = smtp_server.deliveries

    # when Alice answers it (her client keeps In-Reply-To and drops nothing else)
    raw = corpus(
        "gmail_reply.eml", TICKET=emailed_ticket.pk, IN_REPLY_TO=delivery.message["Message-ID"].strip("<>")
    )
    row = inbound_email_ingest(raw=raw, source="test").inbound

    # then
    assert (row.status, row.ticket_id) == ("threaded", emailed_ticket.pk)
    assert InboundEmail.objects.filter(ticket=emailed_ticket).count() == 2
