"""The real-world corpus (corpus/realworld.py and corpus/*.eml) through the real ingest path.

Every message must end as the corpus says — opened a ticket, threaded onto the right one, ignored
as machine mail (kept), or kept for an admin — never raise, and always keep its raw bytes.
Ingesting the whole corpus a second time must change nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core import mail

from helpdesk import services as account_services
from helpdesk.models import Organization, User
from tests.factories import CustomerFactory
from tickets import services
from tickets.models import (
    Attachment,
    InboundEmail,
    OutboundBounce,
    OutboundEmail,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from tickets.services import inbound_email, outbound_email

from .conftest import corpus
from .corpus.realworld import BLOCKED_SENDER, FAMILY, OPENED, THREADED, Case, World, cases

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

# The .eml files of the corpus directory, with the outcome each must have here and the ticket it
# concerns ("*": whichever ticket happens to have the number the file names).
EML_OUTCOMES = {
    "alternative.eml": (OPENED, None),
    "auto_reply.eml": ("ignored_auto_reply", "vpn"),
    "bounce_dsn.eml": ("ignored_bounce", "*"),  # names ticket-1.message-2, which we never sent
    "broken_mime.eml": (OPENED, None),
    "forwarded.eml": (OPENED, None),
    "gmail_reply.eml": (THREADED, "vpn"),
    "header_injection.eml": (OPENED, None),
    "html_only_script.eml": (OPENED, None),
    "huge_attachment_name.eml": (OPENED, None),
    "inline_image.eml": (OPENED, None),
    "iso2022jp.eml": (OPENED, None),
    "missing_headers.eml": ("failed", None),
    "nested_rfc822.eml": (OPENED, None),
    "outlook_reply.eml": (THREADED, "vpn"),
    "plain_new.eml": (OPENED, None),
    "precedence_bulk.eml": ("ignored_auto_reply", None),
    "raw_8bit_headers.eml": (OPENED, None),
    "unknown_charset.eml": (OPENED, None),
}


def _snapshot() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        TicketMessage.objects.count(),
        TicketEvent.objects.count(),
        InboundEmail.objects.count(),
        OutboundEmail.objects.count(),
        OutboundBounce.objects.count(),
        Attachment.objects.count(),
    )


@pytest.fixture
def world(organization: Organization, customer: User, coworker: User, outsider: User, agent: User) -> World:
    account_services.organization_update(organization_id=organization.pk, domains=["acme.test"])
    first = (
        b"From: Alice Example <alice@acme.test>\r\nTo: support@helpdesk.test\r\nSubject: VPN drops\r\n"
        b"Message-ID: <vpn-first@acme.test>\r\n\r\nThe VPN drops every hour.\r\n"
    )
    vpn = Ticket.objects.get(
        pk=inbound_email.inbound_email_ingest(raw=first, source="setup").inbound.ticket_id
    )
    services.ticket_assign(ticket_id=vpn.pk, assignee=agent, actor=agent)
    vpn_reply = services.message_create(ticket_id=vpn.pk, author=agent, body="Please update the client.")

    closed = services.ticket_create(requester=customer, subject="Old problem")
    services.ticket_assign(ticket_id=closed.pk, assignee=agent, actor=agent)
    services.ticket_change_status(ticket_id=closed.pk, to=TicketStatus.CLOSED, actor=agent)

    gone = CustomerFactory(email="gone@acme.test", organization=organization)
    gone_ticket = services.ticket_create(requester=gone, subject="Account")
    services.ticket_assign(ticket_id=gone_ticket.pk, assignee=agent, actor=agent)
    gone_replies = [
        services.message_create(ticket_id=gone_ticket.pk, author=agent, body=f"Your account, part {n}.")
        for n in range(6)
    ]
    outbound_email.outbound_emails_send_due(now=datetime.now(UTC))
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    inbound_email.blocked_sender_create(pattern=BLOCKED_SENDER)
    mail.outbox.clear()
    return World(
        vpn_ticket=vpn.pk,
        vpn_first_id="vpn-first@acme.test",
        vpn_reply_id=OutboundEmail.objects.get(message=vpn_reply).email_message_id,
        closed_ticket=closed.pk,
        gone_ticket=gone_ticket.pk,
        gone_reply_ids=tuple(OutboundEmail.objects.get(message=m).email_message_id for m in gone_replies),
        agent_email=agent.email,
    )


def _all_cases(world: World) -> list[Case]:
    eml = [
        Case(
            f"file:{name}",
            corpus(name, TICKET=world.vpn_ticket, IN_REPLY_TO=world.vpn_first_id),
            status,
            ticket=ticket,
        )
        for name, (status, ticket) in EML_OUTCOMES.items()
    ]
    return [*cases(world), *eml]


def _ticket_key(world: World, key: str, opened_by: dict[str, int]) -> int:
    if key.startswith("case:"):
        return opened_by[key.removeprefix("case:")]
    return {"vpn": world.vpn_ticket, "closed": world.closed_ticket, "gone": world.gone_ticket}[key]


def _check(case: Case, row: InboundEmail, world: World, opened_by: dict[str, int], before: set[int]) -> None:
    """Assert one ingested message's outcome; `before` are the ticket ids that existed before it."""
    assert row.status == case.status, (case.name, row.status, row.error)
    expected_ticket = _ticket_key(world, case.ticket, opened_by) if case.ticket not in (None, "*") else None
    if case.status == OPENED:
        assert row.ticket_id is not None, case.name
        assert row.ticket_id not in before, case.name
        ticket = Ticket.objects.get(pk=row.ticket_id)
        assert ticket.channel == "email", case.name
        text, html = ticket.description, ticket.description_html
        opened_by[case.name] = ticket.pk
    elif case.status == THREADED:
        assert row.ticket_id == expected_ticket, (case.name, row.ticket_id, expected_ticket)
        message = TicketMessage.objects.get(pk=row.message_id)
        assert message.ticket_id == expected_ticket, case.name
        text, html = message.body, message.body_html
    else:
        # Machine mail, blocked senders and failures open nothing and write on no conversation.
        assert set(Ticket.objects.values_list("pk", flat=True)) == before, case.name
        if case.ticket != "*":
            assert row.ticket_id == expected_ticket, (case.name, row.ticket_id, expected_ticket)
        text = html = ""
    for wanted in case.text_has:
        assert wanted in text, (case.name, wanted, text[:500])
    for unwanted in case.text_lacks:
        assert unwanted not in text, (case.name, unwanted)
    for unwanted in case.html_lacks:
        assert unwanted not in html.lower(), (case.name, unwanted, html)
    for tag in case.tags:
        kind, _, value = tag.partition(":")
        ticket_messages = TicketMessage.objects.filter(ticket_id=row.ticket_id)
        if kind == "requester":
            assert Ticket.objects.get(pk=row.ticket_id).requester.email == value, case.name
        elif kind == "subject":
            assert Ticket.objects.get(pk=row.ticket_id).subject == value, case.name
        elif kind == "files":
            names = sorted(
                Attachment.objects.filter(message__in=ticket_messages).values_list("filename", flat=True)
            )
            assert names == sorted(value.split("|")), (case.name, names)
        elif kind == "refused":
            notes = ticket_messages.filter(visibility="internal", author=None).values_list("body", flat=True)
            assert any(value in note for note in notes), (case.name, list(notes))
    if case.bounced:
        outbound = OutboundEmail.objects.get(email_message_id=case.bounced)
        assert outbound.status == "bounced", case.name
        bounce = OutboundBounce.objects.get(outbound=outbound)
        assert (bounce.inbound_id, bounce.recipient) == (row.pk, case.bounced_recipient), case.name
        note = TicketMessage.objects.get(pk=row.message_id)
        assert (note.ticket_id, note.visibility, note.author_id) == (world.gone_ticket, "internal", None)
        assert note.body.startswith("Delivery failed: our e-mail"), note.body
        assert f"- {case.bounced_recipient} (" in note.body, note.body


def test_every_corpus_message_ends_as_expected_and_a_second_ingest_changes_nothing(world: World) -> None:
    all_cases = _all_cases(world)
    assert len(all_cases) >= 60 + len(EML_OUTCOMES)
    outbound_before = OutboundEmail.objects.count()
    rows: dict[str, InboundEmail] = {}
    opened_by: dict[str, int] = {}
    families: Counter[str] = Counter()
    problems: list[str] = []

    # when each message is ingested, in order
    for case in all_cases:
        before = set(Ticket.objects.values_list("pk", flat=True))
        result = inbound_email.inbound_email_ingest(raw=case.raw, source="corpus", now=T0)
        row = result.inbound
        rows[case.name] = row

        # then it is stored (once) with its bytes, and ends as the corpus says
        if case.same_as:  # a re-delivery: the row stored the first time, nothing else
            assert (result.created, row.pk, row.status) == (False, rows[case.same_as].pk, case.status), (
                case.name
            )
            continue
        assert result.created, case.name
        with row.raw.open("rb") as stored:
            assert stored.read() == case.raw, case.name
        try:
            _check(case, row, world, opened_by, before)
        except AssertionError as error:  # collected, so one run lists every wrong outcome
            problems.append(f"{case.name}: {error}")
        families[FAMILY.get(row.status, row.status)] += 1
    assert not problems, "\n".join(problems)

    # and nothing was sent or queued in answer to any of it
    assert OutboundEmail.objects.count() == outbound_before
    assert mail.outbox == []
    assert all(families[name] for name in ("opened", "threaded", "auto", "kept")), families

    # when the whole corpus arrives again
    snapshot = _snapshot()
    for case in all_cases:
        again = inbound_email.inbound_email_ingest(raw=case.raw, source="corpus-again", now=T0)
        assert (again.created, again.inbound.pk, again.inbound.status) == (
            False,
            rows[case.name].pk,
            rows[case.name].status,
        ), case.name

    # then nothing changed
    assert _snapshot() == snapshot
    print(f"corpus: {len(all_cases)} messages, {dict(families)}")
