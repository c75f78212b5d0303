"""message_create: replies, notes, their effect on the ticket, and attachments."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import User
from tickets import services
from tickets.models import Attachment, Ticket, TicketEvent, TicketMessage, TicketStatus
from tickets.services import UploadedFile

pytestmark = pytest.mark.django_db

S = TicketStatus
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
T2 = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media_root(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _ticket(requester: User, *, status: str = S.NEW, assignee: User | None = None) -> Ticket:
    ticket = services.ticket_create(
        requester=requester, subject="VPN drops", assignee=assignee, created_at=T0
    )
    if status != ticket.status:
        Ticket.objects.filter(pk=ticket.pk).update(status=status)
        ticket.refresh_from_db()
    return ticket


def _snapshot(ticket_id: int) -> dict[str, Any]:
    ticket = Ticket.objects.get(pk=ticket_id)
    values = {field.attname: getattr(ticket, field.attname) for field in Ticket._meta.concrete_fields}
    values["messages"] = TicketMessage.objects.filter(ticket_id=ticket_id).count()
    values["attachments"] = Attachment.objects.filter(message__ticket_id=ticket_id).count()
    values["events"] = TicketEvent.objects.filter(ticket_id=ticket_id).count()
    return values


def _last_events(ticket: Ticket, count: int) -> list[tuple[str, dict[str, Any]]]:
    rows = list(TicketEvent.objects.filter(ticket=ticket))[-count:]
    return [(event.kind, event.data) for event in rows]


def test_message_is_stored_rendered_and_recorded(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer, assignee=agent)

    # when
    message = services.message_create(
        ticket_id=ticket.pk, author=agent, body="Try **this** <script>x()</script>", channel="email", at=T1
    )

    # then
    message.refresh_from_db()
    assert (message.body, message.body_html) == (
        "Try **this** <script>x()</script>",
        "<p>Try <strong>this</strong> </p>",
    )
    assert (message.author_kind, message.visibility, message.channel, message.created_at) == (
        "agent",
        "public",
        "email",
        T1,
    )
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event is not None
    assert (event.kind, event.actor_id, event.occurred_at) == ("message_added", agent.pk, T1)
    assert event.data == {
        "message_id": message.pk,
        "visibility": "public",
        "author_kind": "agent",
        "is_automatic": False,
    }
    ticket.refresh_from_db()
    assert (ticket.message_count, ticket.last_agent_message_at, ticket.updated_at) == (1, T1, T1)


def test_first_public_agent_reply_sets_first_response_once(
    customer: User, agent: User, other_agent: User
) -> None:
    # given
    ticket = _ticket(customer, assignee=agent)

    # when
    services.message_create(ticket_id=ticket.pk, author=agent, body="On it.", at=T1)
    services.message_create(ticket_id=ticket.pk, author=other_agent, body="Me too.", at=T2)

    # then
    ticket.refresh_from_db()
    assert (ticket.first_response_at, ticket.last_agent_message_at, ticket.message_count) == (T1, T2, 2)


@pytest.mark.parametrize(
    ("_case", "author_kind", "visibility", "is_automatic"),
    [
        ("automatic acknowledgement", "agent", "public", True),
        ("internal note", "agent", "internal", False),
        ("system message", "system", "public", False),
        ("customer message", "customer", "public", False),
    ],
)
def test_messages_that_are_not_a_human_agent_reply_leave_first_response_unset(
    customer: User, agent: User, _case: str, author_kind: str, visibility: str, is_automatic: bool
) -> None:
    # given
    ticket = _ticket(customer, assignee=agent)
    author = {"agent": agent, "system": None, "customer": customer}[author_kind]

    # when
    services.message_create(
        ticket_id=ticket.pk,
        author=author,
        body="Hello",
        visibility=visibility,
        is_automatic=is_automatic,
        at=T1,
    )

    # then
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.message_count == 1


def test_automatic_acknowledgement_then_human_reply_sets_first_response_at_the_reply(
    customer: User, agent: User
) -> None:
    # given
    ticket = _ticket(customer)
    services.message_create(ticket_id=ticket.pk, author=agent, body="We got it.", is_automatic=True, at=T1)

    # when
    services.message_create(ticket_id=ticket.pk, author=agent, body="Looking now.", at=T2)

    # then
    ticket.refresh_from_db()
    assert ticket.first_response_at == T2


def test_customer_reply_on_a_pending_ticket_resumes_work(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer, status=S.PENDING, assignee=agent)

    # when
    services.message_create(ticket_id=ticket.pk, author=customer, body="Here are the logs.", at=T1)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.last_customer_message_at, ticket.reopened_count) == (S.IN_PROGRESS, T1, 0)
    assert [kind for kind, _data in _last_events(ticket, 2)] == ["message_added", "status_changed"]
    assert _last_events(ticket, 1) == [
        ("status_changed", {"from": "pending", "to": "in_progress", "reason": "customer_replied"})
    ]


@pytest.mark.parametrize(
    ("_case", "assigned", "expected"),
    [
        ("assigned ticket back to work", True, S.IN_PROGRESS),
        ("unassigned ticket back to triage", False, S.TRIAGED),
    ],
)
def test_customer_reply_on_a_resolved_ticket_reopens_it(
    customer: User, agent: User, _case: str, assigned: bool, expected: str
) -> None:
    # given
    ticket = _ticket(customer, assignee=agent if assigned else None)
    services.ticket_change_status(ticket_id=ticket.pk, to=S.RESOLVED, actor=agent, at=T1)

    # when
    services.message_create(ticket_id=ticket.pk, author=customer, body="Still broken.", at=T2)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count, ticket.resolved_at) == (expected, 1, None)
    assert _last_events(ticket, 1) == [
        (
            "status_changed",
            {"from": "resolved", "to": expected, "reason": "customer_replied", "reopened": True},
        )
    ]


@pytest.mark.parametrize(("_case", "status"), [("on hold", S.ON_HOLD), ("in progress", S.IN_PROGRESS)])
def test_customer_reply_leaves_other_statuses_alone(
    customer: User, agent: User, _case: str, status: str
) -> None:
    # given
    ticket = _ticket(customer, status=status, assignee=agent)

    # when
    services.message_create(ticket_id=ticket.pk, author=customer, body="Any news?", at=T1)

    # then
    ticket.refresh_from_db()
    assert ticket.status == status
    assert [kind for kind, _data in _last_events(ticket, 1)] == ["message_added"]


def test_agent_reply_on_a_pending_ticket_keeps_it_pending(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer, status=S.PENDING, assignee=agent)

    # when
    services.message_create(ticket_id=ticket.pk, author=agent, body="Reminder: logs please.", at=T1)

    # then
    ticket.refresh_from_db()
    assert ticket.status == S.PENDING


@pytest.mark.parametrize(("_case", "author_kind"), [("customer", "customer"), ("agent", "agent")])
def test_closed_ticket_refuses_messages(customer: User, agent: User, _case: str, author_kind: str) -> None:
    # given
    ticket = _ticket(customer, status=S.CLOSED)
    before = _snapshot(ticket.pk)
    author = customer if author_kind == "customer" else agent

    # when
    with pytest.raises(DomainError) as raised:
        services.message_create(ticket_id=ticket.pk, author=author, body="Hello?")

    # then
    assert raised.value.field_errors == {"ticket": ["This ticket is closed; open a new ticket instead."]}
    assert _snapshot(ticket.pk) == before


def test_customers_cannot_write_internal_notes(customer: User) -> None:
    # given
    ticket = _ticket(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(PermissionDeniedError) as raised:
        services.message_create(ticket_id=ticket.pk, author=customer, body="psst", visibility="internal")

    # then
    assert raised.value.message == "Customers cannot write internal notes."
    assert _snapshot(ticket.pk) == before


def test_unknown_visibility_is_refused(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.message_create(ticket_id=ticket.pk, author=agent, body="hi", visibility="secret")

    # then
    assert raised.value.field_errors == {"visibility": ["'secret' is not a visibility."]}
    assert _snapshot(ticket.pk) == before


@pytest.mark.parametrize(("_case", "body"), [("empty", ""), ("whitespace", " \n\t")])
def test_empty_message_is_refused(customer: User, _case: str, body: str) -> None:
    # given
    ticket = _ticket(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.message_create(ticket_id=ticket.pk, author=customer, body=body)

    # then
    assert raised.value.field_errors == {"body": ["Write something before sending."]}
    assert _snapshot(ticket.pk) == before


def test_cc_is_lowercased_trimmed_and_deduplicated(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)

    # when
    message = services.message_create(
        ticket_id=ticket.pk,
        author=agent,
        body="cc'ing",
        cc=[" Boss@Acme.test ", "boss@acme.test", "ops@acme.test"],
    )

    # then
    message.refresh_from_db()
    assert message.cc == ["boss@acme.test", "ops@acme.test"]


def test_invalid_cc_is_refused_with_every_bad_address(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.message_create(
            ticket_id=ticket.pk, author=agent, body="cc'ing", cc=["ok@acme.test", "nope", "a@b@c"]
        )

    # then
    assert raised.value.field_errors == {
        "cc": ["'nope' is not an email address.", "'a@b@c' is not an email address."]
    }
    assert _snapshot(ticket.pk) == before


def test_attachment_is_stored_under_media_root_by_sha256(customer: User, agent: User, tmp_path: Path) -> None:
    # given
    ticket = _ticket(customer)
    digest = hashlib.sha256(PNG).hexdigest()

    # when
    message = services.message_create(
        ticket_id=ticket.pk,
        author=customer,
        body="Screenshot attached.",
        attachments=[UploadedFile(filename="screen shot.png", content_type="image/png", content=PNG)],
        at=T1,
    )

    # then
    attachment = Attachment.objects.get(message=message)
    assert (attachment.filename, attachment.content_type, attachment.size, attachment.sha256) == (
        "screen shot.png",
        "image/png",
        len(PNG),
        digest,
    )
    assert attachment.created_at == T1
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(tmp_path)
    assert stored.name == digest
    assert stored.parent.name == digest[:2]
    assert stored.read_bytes() == PNG


def test_attachment_at_the_size_limit_is_accepted(customer: User, settings: Settings) -> None:
    # given
    settings.ATTACHMENT_MAX_BYTES = 10
    ticket = _ticket(customer)

    # when
    message = services.message_create(
        ticket_id=ticket.pk,
        author=customer,
        body="log",
        attachments=[UploadedFile(filename="a.txt", content_type="text/plain", content=b"0123456789")],
    )

    # then
    assert Attachment.objects.get(message=message).size == 10


@pytest.mark.parametrize(
    ("_case", "upload", "expected_errors"),
    [
        (
            "too large",
            UploadedFile(filename="big.txt", content_type="text/plain", content=b"x" * 11),
            ["'big.txt' is larger than 10 bytes."],
        ),
        (
            "type not allowed",
            UploadedFile(filename="run.exe", content_type="application/x-msdownload", content=b"MZ"),
            ["'run.exe' has a type that is not allowed (application/x-msdownload)."],
        ),
        (
            "html not allowed",
            UploadedFile(filename="x.html", content_type="text/html", content=b"<script>"),
            ["'x.html' has a type that is not allowed (text/html)."],
        ),
    ],
)
def test_attachment_outside_the_limits_is_refused(
    customer: User,
    settings: Settings,
    tmp_path: Path,
    _case: str,
    upload: UploadedFile,
    expected_errors: list[str],
) -> None:
    # given
    settings.ATTACHMENT_MAX_BYTES = 10
    ticket = _ticket(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.message_create(ticket_id=ticket.pk, author=customer, body="see file", attachments=[upload])

    # then
    assert raised.value.field_errors == {"attachments": expected_errors}
    assert _snapshot(ticket.pk) == before
    assert list(tmp_path.rglob("*")) == []


def test_message_count_counts_every_message(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer, assignee=agent)

    # when
    services.message_create(ticket_id=ticket.pk, author=customer, body="one")
    services.message_create(ticket_id=ticket.pk, author=agent, body="two", visibility="internal")
    services.message_create(ticket_id=ticket.pk, author=agent, body="three")

    # then
    ticket.refresh_from_db()
    assert ticket.message_count == 3 == TicketMessage.objects.filter(ticket=ticket).count()


def test_message_create_uses_a_bounded_number_of_queries(
    customer: User, agent: User, django_assert_max_num_queries: Any
) -> None:
    # given
    ticket = _ticket(customer, assignee=agent)

    # when / then: lock, insert message, insert event, save ticket (plus savepoints), then the
    # SLA re-plan: ticket, pinned policy, events, clocks, the ticket's soonest due instant,
    # update clocks, insert new clock events; then the reply's e-mail: requester, the thread's
    # inbound and outbound ids, template overrides, insert; then the active automation rules
    with django_assert_max_num_queries(21):
        services.message_create(ticket_id=ticket.pk, author=agent, body="Looking.")
