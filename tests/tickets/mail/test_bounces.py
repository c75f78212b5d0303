"""Bounces of our replies: read (tickets.mail.bounces), recorded on the ticket once, and resent by an admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from helpdesk.models import User
from tickets import services
from tickets.mail import bounces, parse
from tickets.models import (
    InboundEmail,
    OutboundBounce,
    OutboundEmail,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from tickets.services import inbound_email, outbound_email

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _dsn(
    *, original_id: str, recipient: str = "alice@acme.test", action: str = "failed", status: str = "5.1.1"
) -> bytes:
    return (
        "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\r\n"
        "To: support@helpdesk.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn-{action}-{recipient}-{original_id}@mx.acme.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <alice@acme.test>: Recipient address\r\n rejected: User unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@helpdesk.test\r\nTo: {recipient}\r\nMessage-ID: <{original_id}>\r\n"
        "References: <ticket-1@helpdesk.test> <older-reply@helpdesk.test>\r\n--B--\r\n"
    ).encode()


def _qmail(*, original_id: str, recipient: str = "alice@acme.test") -> bytes:
    return (
        "From: MAILER-DAEMON@mail.acme.test\r\nTo: support@helpdesk.test\r\nSubject: failure notice\r\n"
        # An id on our own domain (our relay wrote the report): still a bounce, not a loop.
        f"Message-ID: <qmail-{original_id}>\r\n\r\n"
        "Hi. This is the qmail-send program at mail.acme.test.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        f"<{recipient}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        "Return-Path: <support@helpdesk.test>\r\nFrom: support@helpdesk.test\r\n"
        f"To: {recipient}\r\nReferences: <some-older@helpdesk.test>\r\nMessage-ID: <{original_id}>\r\n\r\nHi\r\n"
    ).encode()


# --- Reading reports (pure) -------------------------------------------------------------------------


def test_a_dsn_names_the_bounced_message_its_recipient_status_and_diagnostic() -> None:
    report = bounces.read_report(parse.parse(_dsn(original_id="ticket-7.message-9@helpdesk.test")))

    assert report.original_ids == ("ticket-7.message-9@helpdesk.test",)  # not the References
    assert report.failed == (
        bounces.FailedRecipient(
            address="alice@acme.test",
            status="5.1.1",
            diagnostic="550 5.1.1 <alice@acme.test>: Recipient address rejected: User unknown",
        ),
    )
    assert report.delayed_only is False


def test_a_delay_warning_reports_no_failure() -> None:
    raw = _dsn(original_id="ticket-7.message-9@helpdesk.test", action="delayed", status="4.4.1")

    report = bounces.read_report(parse.parse(raw))

    assert (report.failed, report.delayed_only) == ((), True)


def test_a_qmail_bounce_is_read_from_its_text() -> None:
    report = bounces.read_report(parse.parse(_qmail(original_id="ticket-7.message-9@helpdesk.test")))

    assert report.original_ids == ("ticket-7.message-9@helpdesk.test",)
    assert report.failed == (
        bounces.FailedRecipient("alice@acme.test", "5.1.1", "Sorry, no mailbox here by that name. (#5.1.1)"),
    )


def test_an_exim_bounce_with_a_folded_message_id_is_read_from_its_text() -> None:
    raw = (
        b"From: Mail Delivery System <Mailer-Daemon@mx.acme.test>\r\nTo: support@helpdesk.test\r\n"
        b"Subject: Mail delivery failed: returning message to sender\r\nMessage-Id: <E1x@mx.acme.test>\r\n\r\n"
        b"This message was created automatically by mail delivery software.\r\n\r\n"
        b"A message that you sent could not be delivered to one or more of its\r\n"
        b"recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
        b"  bob@acme.test\r\n    mailbox is full: retry timeout exceeded\r\n"
        b"  alice@acme.test\r\n    host mx.acme.test [192.0.2.1]\r\n    550 5.1.1 User unknown\r\n\r\n"
        b"------ This is a copy of the message, including all the headers. ------\r\n\r\n"
        b"Return-path: <support@helpdesk.test>\r\nMessage-ID:\r\n <ticket-7.message-9@helpdesk.test>\r\n\r\nHi\r\n"
    )

    report = bounces.read_report(parse.parse(raw))

    assert report.original_ids == ("ticket-7.message-9@helpdesk.test",)
    assert [(r.address, r.status, r.diagnostic) for r in report.failed] == [
        ("bob@acme.test", "", "mailbox is full: retry timeout exceeded"),
        ("alice@acme.test", "5.1.1", "host mx.acme.test [192.0.2.1] 550 5.1.1 User unknown"),
    ]


def test_a_read_receipt_is_no_delivery_failure() -> None:
    raw = (
        b"From: alice@acme.test\r\nTo: support@helpdesk.test\r\nSubject: Read: hi\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="M"\r\n\r\n'
        b"--M\r\nContent-Type: text/plain\r\n\r\n<alice@acme.test>: read\r\n"
        b"--M\r\nContent-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; alice@acme.test\r\n"
        b"Original-Message-ID: <ticket-7.message-9@helpdesk.test>\r\n--M--\r\n"
    )

    assert bounces.read_report(parse.parse(raw)) == bounces.BounceReport((), (), False, "")


# --- Recording them ------------------------------------------------------------------------------------


@pytest.fixture
def sent_reply(customer: User, agent: User) -> OutboundEmail:
    ticket = services.ticket_create(requester=customer, subject="VPN drops")
    services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=agent)
    reply = services.message_create(ticket_id=ticket.pk, author=agent, body="Please restart.")
    assert outbound_email.outbound_emails_send_due(now=datetime.now(UTC)) == 1
    mail.outbox.clear()
    return OutboundEmail.objects.get(message=reply)


def _ingest(raw: bytes, now: datetime = T0) -> InboundEmail:
    return inbound_email.inbound_email_ingest(raw=raw, source="test", now=now).inbound


@pytest.mark.django_db
def test_a_bounce_marks_our_reply_bounced_and_notes_it_once_on_the_ticket(sent_reply: OutboundEmail) -> None:
    # given
    ticket_before = Ticket.objects.values("status", "updated_at").get(pk=sent_reply.ticket_id)

    # when the DSN for our reply arrives
    row = _ingest(_dsn(original_id=sent_reply.email_message_id))

    # then the reply is marked bounced, with the reason
    sent_reply.refresh_from_db()
    assert (sent_reply.status, sent_reply.bounced_at) == ("bounced", T0)
    assert sent_reply.last_error == (
        "Bounced: alice@acme.test (5.1.1: 550 5.1.1 <alice@acme.test>: Recipient address rejected: User unknown)"
    )
    # and one internal system note on its ticket says who failed and why
    assert (row.status, row.ticket_id) == ("bounce_recorded", sent_reply.ticket_id)
    note = TicketMessage.objects.get(pk=row.message_id)
    assert (note.ticket_id, note.visibility, note.author_id, note.channel) == (
        sent_reply.ticket_id,
        "internal",
        None,
        "email",
    )
    assert note.body.startswith(f'Delivery failed: our e-mail "{sent_reply.subject}" of ')
    assert "- alice@acme.test (5.1.1: 550 5.1.1" in note.body
    assert f"Reported by inbound e-mail #{row.pk}." in note.body
    bounce = OutboundBounce.objects.get()
    assert (bounce.outbound_id, bounce.inbound_id, bounce.recipient, bounce.status, bounce.note_id) == (
        sent_reply.pk,
        row.pk,
        "alice@acme.test",
        "5.1.1",
        note.pk,
    )
    # and nothing else: no reply to anyone, no status change
    assert OutboundEmail.objects.count() == 1
    assert mail.outbox == []
    assert Ticket.objects.values("status").get(pk=sent_reply.ticket_id)["status"] == ticket_before["status"]

    # when the same bounce is delivered again, or an admin retries it
    again = _ingest(b"Received: by relay2\r\n" + _dsn(original_id=sent_reply.email_message_id))
    retried = inbound_email.inbound_email_process(inbound_id=row.pk, now=T0)

    # then nothing is added
    assert (again.pk, retried.status) == (row.pk, "bounce_recorded")
    assert (
        TicketMessage.objects.filter(ticket_id=sent_reply.ticket_id).count(),
        OutboundBounce.objects.count(),
    ) == (
        2,
        1,
    )


@pytest.mark.django_db
def test_another_report_of_the_same_failure_is_kept_without_a_second_note(sent_reply: OutboundEmail) -> None:
    first = _ingest(_dsn(original_id=sent_reply.email_message_id))

    second = _ingest(_qmail(original_id=sent_reply.email_message_id), now=T0 + timedelta(minutes=5))

    assert (second.status, second.ticket_id, second.message_id) == (
        "bounce_recorded",
        sent_reply.ticket_id,
        None,
    )
    assert list(OutboundBounce.objects.order_by("pk").values_list("inbound_id", "note_id")) == [
        (first.pk, first.message_id),
        (second.pk, None),
    ]
    assert TicketMessage.objects.filter(ticket_id=sent_reply.ticket_id, author=None).count() == 1


@pytest.mark.django_db
def test_a_bounce_naming_someone_we_did_not_write_to_is_not_believed(sent_reply: OutboundEmail) -> None:
    row = _ingest(_dsn(original_id=sent_reply.email_message_id, recipient="victim@evil.test"))

    sent_reply.refresh_from_db()
    assert (row.status, row.ticket_id, row.message_id) == ("ignored_bounce", sent_reply.ticket_id, None)
    assert (sent_reply.status, OutboundBounce.objects.count()) == ("sent", 0)
    assert TicketMessage.objects.filter(ticket_id=sent_reply.ticket_id).count() == 1


@pytest.mark.django_db
def test_a_delay_warning_changes_nothing(sent_reply: OutboundEmail) -> None:
    row = _ingest(_dsn(original_id=sent_reply.email_message_id, action="delayed", status="4.4.1"))

    sent_reply.refresh_from_db()
    assert (row.status, sent_reply.status, OutboundBounce.objects.count()) == ("ignored_bounce", "sent", 0)


@pytest.mark.django_db
def test_a_bounce_on_a_closed_ticket_marks_the_reply_without_a_note(
    sent_reply: OutboundEmail, agent: User
) -> None:
    services.ticket_change_status(ticket_id=sent_reply.ticket_id, to=TicketStatus.CLOSED, actor=agent)

    row = _ingest(_dsn(original_id=sent_reply.email_message_id))

    sent_reply.refresh_from_db()
    assert (row.status, row.message_id, sent_reply.status) == ("bounce_recorded", None, "bounced")
    assert OutboundBounce.objects.get().note_id is None


@pytest.mark.django_db
def test_the_bounce_note_runs_no_event_rules(
    sent_reply: OutboundEmail, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given event rules that would fail if they ran (a rule could answer the note: to the dead address)
    from tickets.automation import rules

    def explode(*args: object, **kwargs: object) -> None:
        raise AssertionError("event rules ran")

    monkeypatch.setattr(rules, "rules_run_after_write", explode)

    # when
    row = _ingest(_dsn(original_id=sent_reply.email_message_id))

    # then the note was written without them
    assert (row.status, row.error) == ("bounce_recorded", "")


# --- Resending ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_admin_resends_a_bounced_reply_once_to_the_corrected_address(
    sent_reply: OutboundEmail, customer: User, admin_user: User
) -> None:
    # given the reply bounced, and the customer's address was corrected since
    _ingest(_dsn(original_id=sent_reply.email_message_id))
    User.objects.filter(pk=customer.pk).update(email="alice.new@acme.test")

    # when an admin resends it, twice (a double click)
    first = outbound_email.outbound_email_resend(outbound_id=sent_reply.pk, actor=admin_user, now=T0)
    second = outbound_email.outbound_email_resend(outbound_id=sent_reply.pk, actor=admin_user, now=T0)

    # then it is queued once, as a new attempt of the same e-mail
    sent_reply.refresh_from_db()
    assert (first, second) == (True, False)
    assert (sent_reply.status, sent_reply.attempts, sent_reply.next_attempt_at, sent_reply.last_error) == (
        "pending",
        0,
        T0,
        "",
    )
    assert (sent_reply.to, sent_reply.resends, sent_reply.resent_at, sent_reply.resent_by_id) == (
        ["alice.new@acme.test"],
        1,
        T0,
        admin_user.pk,
    )

    # when the sweep runs, twice
    sent = outbound_email.outbound_emails_send_due(now=T0 + timedelta(seconds=5))
    sent += outbound_email.outbound_emails_send_due(now=T0 + timedelta(seconds=10))

    # then exactly one copy went out, under the same Message-ID (the conversation still threads)
    assert sent == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice.new@acme.test"]
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{sent_reply.email_message_id}>"
    sent_reply.refresh_from_db()
    assert sent_reply.status == "sent"


@pytest.mark.django_db
def test_only_failed_or_bounced_mail_can_be_resent(sent_reply: OutboundEmail, admin_user: User) -> None:
    assert outbound_email.outbound_email_resend(outbound_id=sent_reply.pk, actor=admin_user) is False

    OutboundEmail.objects.filter(pk=sent_reply.pk).update(status="pending")
    assert outbound_email.outbound_email_resend(outbound_id=sent_reply.pk, actor=admin_user) is False

    OutboundEmail.objects.filter(pk=sent_reply.pk).update(status="failed", attempts=8)
    assert outbound_email.outbound_email_resend(outbound_id=sent_reply.pk, actor=admin_user) is True
    sent_reply.refresh_from_db()
    assert (sent_reply.status, sent_reply.attempts, sent_reply.resends) == ("pending", 0, 1)


@pytest.mark.django_db
def test_failed_and_bounced_mail_is_listed_and_resent_from_the_admin(
    client: Client, admin_user: User, sent_reply: OutboundEmail, customer: User, agent: User
) -> None:
    # given one bounced reply, one failed and one sent
    _ingest(_dsn(original_id=sent_reply.email_message_id))
    other = services.message_create(ticket_id=sent_reply.ticket_id, author=agent, body="Second try.")
    failed = OutboundEmail.objects.get(message=other)
    OutboundEmail.objects.filter(pk=failed.pk).update(
        status="failed", last_error="SMTPDataError: 554 refused"
    )
    fine = services.message_create(ticket_id=sent_reply.ticket_id, author=agent, body="Fine.")
    OutboundEmail.objects.filter(message=fine).update(status="sent", subject="A sent one")
    client.force_login(admin_user)

    # when an admin lists what needs attention
    listing = client.get("/admin/tickets/outboundemail/?delivery=problem")

    # then
    page = listing.content.decode()
    assert listing.status_code == 200
    assert "Bounced: alice@acme.test (5.1.1" in page
    assert "SMTPDataError: 554 refused" in page
    assert "A sent one" not in page
    detail = client.get(f"/admin/tickets/outboundemail/{sent_reply.pk}/change/")
    assert "Recipient address rejected: User unknown" in detail.content.decode()  # the bounce inline

    # when they resend all three, twice
    selected = [sent_reply.pk, failed.pk, OutboundEmail.objects.get(message=fine).pk]
    first = client.post(
        "/admin/tickets/outboundemail/", {"action": "resend", "_selected_action": selected}, follow=True
    )
    second = client.post(
        "/admin/tickets/outboundemail/", {"action": "resend", "_selected_action": selected}, follow=True
    )

    # then the two problem ones are queued once; the sent one is left alone
    assert "Queued again: 2 e-mail(s)" in first.content.decode()
    assert "Left alone: 1 e-mail(s)" in first.content.decode()
    assert "Left alone: 3 e-mail(s)" in second.content.decode()
    assert dict(OutboundEmail.objects.filter(pk__in=selected).values_list("pk", "resends")) == {
        sent_reply.pk: 1,
        failed.pk: 1,
        selected[2]: 0,
    }
    assert set(OutboundEmail.objects.filter(pk__in=selected[:2]).values_list("status", flat=True)) == {
        "pending"
    }
