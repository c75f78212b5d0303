"""tickets.services.inbound_email: new tickets, threading, idempotency, refusals and failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from helpdesk import services as account_services
from helpdesk.models import Organization, User
from tickets import services
from tickets.models import (
    BlockedSender,
    InboundEmail,
    InboundStatus,
    OutboundEmail,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMessage,
    TicketStatus,
)
from tickets.services import inbound_email
from tickets.services.inbound_email import inbound_email_ingest

from .conftest import corpus

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _ingest(raw: bytes, *, now: datetime = T0) -> InboundEmail:
    return inbound_email_ingest(raw=raw, source="test", now=now).inbound


def _mail(
    *,
    sender: str = "alice@acme.test",
    subject: str = "VPN drops",
    body: str = "The VPN drops every hour.",
    message_id: str = "m1@acme.test",
    extra: str = "",
) -> bytes:
    return (
        f"From: Sender <{sender}>\r\nTo: support@helpdesk.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def _counts() -> tuple[int, int, int, int]:
    return (
        Ticket.objects.count(),
        TicketMessage.objects.count(),
        TicketEvent.objects.count(),
        InboundEmail.objects.count(),
    )


# --- New tickets -----------------------------------------------------------------------------------


def test_a_new_message_from_a_new_sender_opens_a_ticket_and_a_customer_joining_by_domain(
    organization: Organization,
) -> None:
    # given an organization owning the sender's domain
    account_services.organization_update(organization_id=organization.pk, domains=["newco.test"])

    # when
    row = _ingest(corpus("plain_new.eml"))

    # then
    assert (row.status, row.error, row.attempts) == (InboundStatus.TICKET_CREATED, "", 1)
    ticket = Ticket.objects.get(pk=row.ticket_id)
    requester = User.objects.get(email="carol@newco.test")
    assert (requester.full_name, requester.role, requester.organization_id) == (
        "Carol Customer",
        "customer",
        organization.pk,
    )
    assert (ticket.subject, ticket.channel, ticket.requester_id, ticket.organization_id) == (
        "Printer on floor 3 is jammed",
        "email",
        requester.pk,
        organization.pk,
    )
    assert ticket.description.startswith("Hello,\n\nThe printer on floor 3")
    assert "<br>" in ticket.description_html  # plain text keeps its line breaks
    assert row.raw.read() == corpus("plain_new.eml")


def test_reingesting_the_same_message_changes_nothing() -> None:
    # given
    first = _ingest(corpus("plain_new.eml"))
    before = _counts()

    # when
    again = inbound_email_ingest(raw=corpus("plain_new.eml"), source="test", now=T0 + timedelta(hours=1))

    # then
    assert (again.created, again.inbound.pk, again.inbound.status) == (False, first.pk, "ticket_created")
    assert _counts() == before


def test_another_message_reusing_a_message_id_is_kept_and_processed_as_its_own() -> None:
    # given a message, then a different one from a mailer that reuses its Message-ID
    first = _ingest(_mail(message_id="same@acme.test", subject="Printer", body="The printer jams."))
    other = _mail(message_id="same@acme.test", sender="bob@acme.test", subject="Scanner", body="It is off.")

    # when the other arrives, and then again through a second relay
    second = inbound_email_ingest(raw=other, source="test", now=T0)
    again = inbound_email_ingest(raw=b"Received: by relay2.acme.test\r\n" + other, source="test", now=T0)

    # then it was stored and opened its own ticket, once
    assert second.created
    assert second.inbound.email_message_id.startswith("dup-")
    assert second.inbound.header_message_id == "same@acme.test"
    assert second.inbound.raw.read() == other
    assert second.inbound.status == "ticket_created"
    assert second.inbound.ticket_id != first.ticket_id
    assert Ticket.objects.get(pk=second.inbound.ticket_id).subject == "Scanner"
    assert (again.created, again.inbound.pk) == (False, second.inbound.pk)
    assert InboundEmail.objects.count() == 2


def test_attachments_are_saved_and_refused_ones_noted_for_agents() -> None:
    # when
    row = _ingest(corpus("huge_attachment_name.eml"))

    # then the PDF and the .docx (typed by its name) are kept; the .exe is not, and agents are told
    ticket = Ticket.objects.get(pk=row.ticket_id)
    public, note = list(TicketMessage.objects.filter(ticket=ticket))
    kept = list(public.attachments.values_list("content_type", "size"))
    assert kept == [
        ("application/pdf", 13),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", 7),
    ]
    assert (note.visibility, note.author_id) == ("internal", None)
    assert "passwdu0000.exe (application/octet-stream: type not allowed)" in note.body


def test_html_only_mail_opens_a_ticket_with_its_text_and_no_markup() -> None:
    row = _ingest(corpus("html_only_script.eml"))

    ticket = Ticket.objects.get(pk=row.ticket_id)
    assert ticket.description.startswith("First paragraph with a bad link and the docs")
    assert "script" not in ticket.description_html
    assert "javascript" not in ticket.description_html


def test_a_message_without_sender_is_kept_as_failed_for_an_admin() -> None:
    # when
    row = _ingest(corpus("missing_headers.eml"))

    # then
    assert row.status == InboundStatus.FAILED
    assert row.error == "The message names no sender address (From, Sender or Reply-To)."
    assert (row.ticket_id, Ticket.objects.count()) == (None, 0)
    assert row.raw.read() == corpus("missing_headers.eml")


def test_an_exception_while_processing_is_recorded_and_the_message_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a bug deep in ticket creation
    def explode(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(inbound_email, "ticket_create", explode)

    # when
    row = _ingest(corpus("plain_new.eml"))

    # then nothing was written but the kept message and its error
    assert (row.status, row.error) == (InboundStatus.FAILED, "RuntimeError: boom")
    assert (Ticket.objects.count(), User.objects.filter(email="carol@newco.test").exists()) == (0, False)

    # when the bug is gone and an admin retries
    monkeypatch.undo()
    retried = inbound_email.inbound_email_process(inbound_id=row.pk, now=T0)

    # then
    assert (retried.status, retried.error, retried.attempts) == ("ticket_created", "", 2)


def test_the_sweep_processes_messages_left_unprocessed_and_gives_up_after_three_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a stored message nobody processed (a crash between the two steps)
    row, _ = inbound_email.inbound_email_receive(raw=corpus("plain_new.eml"), source="test", now=T0)

    # when the sweep runs before a minute has passed, then after
    assert inbound_email.inbound_emails_process_pending(now=T0 + timedelta(seconds=30)) == 0
    assert inbound_email.inbound_emails_process_pending(now=T0 + timedelta(minutes=2)) == 1

    # then
    row.refresh_from_db()
    assert row.status == InboundStatus.TICKET_CREATED

    # and a message that keeps failing is left to an admin after three attempts
    monkeypatch.setattr(inbound_email, "ticket_create", lambda **kwargs: 1 / 0)
    failing, _ = inbound_email.inbound_email_receive(raw=corpus("forwarded.eml"), source="test", now=T0)
    for minute in range(2, 7):
        inbound_email.inbound_emails_process_pending(now=T0 + timedelta(minutes=minute))
    failing.refresh_from_db()
    assert (failing.status, failing.attempts) == (InboundStatus.FAILED, 3)


# --- Threading -------------------------------------------------------------------------------------


@pytest.fixture
def vpn_ticket(customer: User, agent: User) -> Ticket:
    row = _ingest(_mail(message_id="first@acme.test"))
    ticket = Ticket.objects.get(pk=row.ticket_id)
    assert ticket.requester_id == customer.pk
    services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=agent)
    return ticket


def test_a_reply_threads_by_in_reply_to_and_is_trimmed(vpn_ticket: Ticket, coworker: User) -> None:
    # when Alice answers our first e-mail, copying her colleague Bob
    row = _ingest(corpus("gmail_reply.eml", TICKET=999999, IN_REPLY_TO="first@acme.test"))

    # then
    assert (row.status, row.ticket_id) == (InboundStatus.THREADED, vpn_ticket.pk)
    message = TicketMessage.objects.get(pk=row.message_id)
    assert message.body.startswith("Thanks, restarting the client fixed it for now.")
    assert "Please restart" not in message.body
    assert "Alice Example" not in message.body
    assert (message.channel, message.visibility, message.author_kind, message.cc) == (
        "email",
        "public",
        "customer",
        ["bob@acme.test"],
    )
    assert message.email_message_id == "gmail-reply-1@acme.test"
    assert row.cc == ["bob@acme.test"]


def test_a_reply_to_our_outgoing_message_id_threads(vpn_ticket: Ticket, agent: User) -> None:
    # given our reply went out with its deterministic Message-ID
    reply = services.message_create(ticket_id=vpn_ticket.pk, author=agent, body="Please restart.")
    our_id = OutboundEmail.objects.get(message=reply).email_message_id
    assert our_id == f"ticket-{vpn_ticket.pk}.message-{reply.pk}@helpdesk.test"

    # when the customer's Outlook answers it
    row = _ingest(corpus("outlook_reply.eml", TICKET=999999, IN_REPLY_TO=our_id))

    # then
    assert (row.status, row.ticket_id) == ("threaded", vpn_ticket.pk)
    assert TicketMessage.objects.get(pk=row.message_id).body == (
        "It happened again this morning at 9:12.\n\nAlice Example | ACME"
    )


def test_a_reply_without_headers_threads_by_the_subject_reference(vpn_ticket: Ticket) -> None:
    row = _ingest(
        _mail(subject=f"RE: VPN drops [#{vpn_ticket.pk}]", message_id="reply2@acme.test", body="Still.")
    )

    assert (row.status, row.ticket_id) == ("threaded", vpn_ticket.pk)


def test_a_coworker_of_the_same_organization_may_thread(vpn_ticket: Ticket, coworker: User) -> None:
    row = _ingest(
        _mail(sender=coworker.email, subject=f"Re: [#{vpn_ticket.pk}]", message_id="bob1@acme.test")
    )

    assert (row.status, row.ticket_id, TicketMessage.objects.get(pk=row.message_id).author_id) == (
        "threaded",
        vpn_ticket.pk,
        coworker.pk,
    )


def test_a_stranger_naming_a_ticket_opens_a_new_one(vpn_ticket: Ticket, outsider: User) -> None:
    # when someone outside the ticket's organization quotes its number and Message-ID
    row = _ingest(
        _mail(
            sender=outsider.email,
            subject=f"Re: VPN drops [#{vpn_ticket.pk}]",
            message_id="eve1@globex.test",
            extra="In-Reply-To: <first@acme.test>\r\n",
        )
    )

    # then they do not write into it
    assert row.status == "ticket_created"
    assert row.ticket_id != vpn_ticket.pk
    assert Ticket.objects.get(pk=row.ticket_id).requester_id == outsider.pk


def test_an_agent_mailing_into_a_ticket_writes_an_internal_note(vpn_ticket: Ticket, agent: User) -> None:
    row = _ingest(_mail(sender=agent.email, subject=f"Re: [#{vpn_ticket.pk}]", message_id="agent1@x.test"))

    message = TicketMessage.objects.get(pk=row.message_id)
    assert (message.visibility, message.author_id) == ("internal", agent.pk)
    assert OutboundEmail.objects.count() == 0


def test_a_reply_on_a_pending_ticket_resumes_work(vpn_ticket: Ticket, agent: User) -> None:
    services.ticket_change_status(ticket_id=vpn_ticket.pk, to=TicketStatus.PENDING, actor=agent)

    _ingest(_mail(subject=f"Re: [#{vpn_ticket.pk}]", message_id="resume@acme.test"))

    vpn_ticket.refresh_from_db()
    assert vpn_ticket.status == TicketStatus.IN_PROGRESS


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(vpn_ticket: Ticket, agent: User) -> None:
    services.ticket_change_status(ticket_id=vpn_ticket.pk, to=TicketStatus.CLOSED, actor=agent)

    row = _ingest(_mail(subject=f"Re: VPN drops [#{vpn_ticket.pk}]", message_id="late@acme.test"))

    assert row.status == "ticket_created"
    link = TicketLink.objects.get()
    assert {link.from_ticket_id, link.to_ticket_id} == {row.ticket_id, vpn_ticket.pk}
    assert link.kind == "related"


def test_a_reply_to_a_merged_ticket_lands_on_the_one_it_was_merged_into(
    vpn_ticket: Ticket, customer: User, agent: User
) -> None:
    duplicate = services.ticket_create(requester=customer, subject="VPN again")
    services.ticket_merge(duplicate_id=duplicate.pk, original_id=vpn_ticket.pk, actor=agent)

    row = _ingest(_mail(subject=f"Re: [#{duplicate.pk}]", message_id="merged@acme.test"))

    assert (row.status, row.ticket_id) == ("threaded", vpn_ticket.pk)


# --- Machine mail and blocked senders ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "name", "status"),
    [
        ("out-of-office reply", "auto_reply.eml", InboundStatus.IGNORED_AUTO_REPLY),
        ("delivery failure report", "bounce_dsn.eml", InboundStatus.IGNORED_BOUNCE),
        ("bulk mail", "precedence_bulk.eml", InboundStatus.IGNORED_AUTO_REPLY),
    ],
)
def test_machine_mail_opens_nothing_and_sends_nothing(
    vpn_ticket: Ticket, _case: str, name: str, status: str
) -> None:
    # given
    before = _counts()

    # when
    row = _ingest(corpus(name, TICKET=vpn_ticket.pk, IN_REPLY_TO="first@acme.test"))

    # then kept and listed, nothing else
    assert row.status == status
    assert _counts()[:3] == before[:3]
    assert (OutboundEmail.objects.count(), len(mail.outbox)) == (0, 0)


def test_our_own_reply_coming_back_is_a_loop(vpn_ticket: Ticket, agent: User) -> None:
    reply = services.message_create(ticket_id=vpn_ticket.pk, author=agent, body="Hi")
    outbound = OutboundEmail.objects.get(message=reply)
    raw = _mail(
        sender="support@helpdesk.test", message_id=outbound.email_message_id, subject=outbound.subject
    )

    row = _ingest(raw)

    assert (row.status, row.ticket_id) == (InboundStatus.IGNORED_LOOP, vpn_ticket.pk)
    assert TicketMessage.objects.filter(ticket=vpn_ticket).count() == 1


@pytest.mark.parametrize(
    ("_case", "pattern"), [("exact address", "spam@junk.test"), ("whole domain", "@JUNK.test")]
)
def test_blocked_senders_are_kept_but_open_nothing(_case: str, pattern: str, admin_user: User) -> None:
    # given
    inbound_email.blocked_sender_create(pattern=pattern, actor=admin_user)

    # when
    row = _ingest(_mail(sender="spam@junk.test", message_id="spam@junk.test"))

    # then
    assert (row.status, row.ticket_id) == (InboundStatus.BLOCKED, None)
    assert (Ticket.objects.count(), User.objects.filter(email="spam@junk.test").exists()) == (0, False)


def test_blocked_sender_patterns_are_validated() -> None:
    from helpdesk.exceptions import DomainError

    with pytest.raises(DomainError) as error:
        inbound_email.blocked_sender_create(pattern="not a pattern")

    assert error.value.field_errors == {
        "pattern": ["Give an address (ana@example.com) or a domain (@example.com)."]
    }
    assert BlockedSender.objects.count() == 0


# --- The whole corpus ----------------------------------------------------------------------------------


def test_every_corpus_message_opens_threads_or_is_kept_for_an_admin(vpn_ticket: Ticket) -> None:
    from .conftest import CORPUS

    for path in sorted(CORPUS.glob("*.eml")):
        row = _ingest(corpus(path.name, TICKET=vpn_ticket.pk, IN_REPLY_TO="first@acme.test"))
        assert row.status != InboundStatus.RECEIVED, path.name
        if row.status in (InboundStatus.TICKET_CREATED, InboundStatus.THREADED):
            assert row.ticket_id is not None, path.name
        if row.status == InboundStatus.FAILED:
            assert path.name == "missing_headers.eml", (path.name, row.error)
    assert InboundEmail.objects.count() == len(list(CORPUS.glob("*.eml"))) + 1


def test_damaged_messages_are_never_lost(vpn_ticket: Ticket) -> None:
    # given real messages cut short or with junk spliced in, deterministic
    import random

    from .conftest import CORPUS

    rng = random.Random(7)
    samples = [
        corpus(path.name, TICKET=vpn_ticket.pk, IN_REPLY_TO="first@acme.test")
        for path in CORPUS.glob("*.eml")
    ]
    damaged = []
    for number in range(40):
        sample = rng.choice(samples)
        cut, at = rng.randrange(len(sample)), rng.randrange(len(sample))
        damaged.append(
            sample[:cut] + bytes(rng.randrange(256) for _ in range(20)) + f"{number}".encode() + sample[at:]
        )

    # when each is ingested
    rows = [inbound_email_ingest(raw=raw, source="fuzz").inbound for raw in damaged]

    # then each was stored as received and reached a final outcome
    assert all(row.status != InboundStatus.RECEIVED for row in rows)
    assert all(row.raw.open("rb").read() in damaged for row in rows)
