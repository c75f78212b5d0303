"""Messages, events and attachment downloads: customers never see internal notes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from helpdesk.models import User
from tickets import services
from tickets.models import Attachment, Ticket, TicketMessage


def messages_url(ticket: Ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/messages/"


def events_url(ticket: Ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/events/"


@pytest.fixture
def conversation(ticket: Ticket, customer: User, agent: User) -> Ticket:
    """A reply from the customer, an internal note with a file, and a public agent reply."""
    services.message_create(ticket_id=ticket.pk, author=customer, body="Still broken")
    services.message_create(
        ticket_id=ticket.pk,
        author=agent,
        body="Customer is on the old firmware",
        visibility="internal",
        attachments=[services.UploadedFile("secret.txt", "text/plain", b"internal only")],
    )
    services.message_create(
        ticket_id=ticket.pk,
        author=agent,
        body="Try this",
        attachments=[services.UploadedFile("fix.txt", "text/plain", b"step 1")],
    )
    services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=agent)
    return ticket


def test_customer_message_list_excludes_internal_notes(
    customer_client: APIClient, conversation: Ticket
) -> None:
    response = customer_client.get(messages_url(conversation))

    assert response.status_code == 200
    assert [row["body"] for row in response.json()["results"]] == ["Still broken", "Try this"]


def test_agent_message_list_includes_internal_notes(agent_client: APIClient, conversation: Ticket) -> None:
    response = agent_client.get(messages_url(conversation))

    assert [(row["body"], row["visibility"]) for row in response.json()["results"]] == [
        ("Still broken", "public"),
        ("Customer is on the old firmware", "internal"),
        ("Try this", "public"),
    ]


def test_customer_event_list_hides_internal_events_and_routing(
    customer_client: APIClient, conversation: Ticket
) -> None:
    # when
    response = customer_client.get(events_url(conversation))
    # then
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["kind"] for row in rows] == [
        "created",
        "message_added",
        "message_added",
        "status_changed",
    ]
    assert all(row["data"].get("visibility") != "internal" for row in rows)
    assert rows[0]["data"] == {"status": "new", "priority": "p3", "severity": "sev4", "channel": "portal"}


def test_agent_event_list_has_everything(agent_client: APIClient, conversation: Ticket) -> None:
    response = agent_client.get(events_url(conversation))

    kinds = [row["kind"] for row in response.json()["results"]]
    assert kinds == [
        "created",
        "message_added",
        "message_added",
        "message_added",
        "assigned",
        "status_changed",
    ]


@pytest.mark.parametrize(
    ("_case", "client_fixture", "sharing", "expected_status"),
    [
        ("requester", "customer_client", False, 200),
        ("coworker without sharing", "coworker_client", False, 404),
        ("coworker with sharing", "coworker_client", True, 200),
        ("outsider", "outsider_client", True, 404),
        ("agent", "agent_client", False, 200),
        ("anonymous", "api_client", False, 401),
    ],
)
def test_message_and_event_list_access(
    request: pytest.FixtureRequest,
    conversation: Ticket,
    _case: str,
    client_fixture: str,
    sharing: bool,
    expected_status: int,
) -> None:
    # given
    organization = conversation.organization
    organization.members_see_each_other = sharing
    organization.save()
    client = request.getfixturevalue(client_fixture)
    # when
    messages = client.get(messages_url(conversation))
    events = client.get(events_url(conversation))
    # then
    assert (messages.status_code, events.status_code) == (expected_status, expected_status)


@pytest.mark.parametrize(
    ("_case", "client_fixture", "filename", "expected_status"),
    [
        ("requester downloads a public reply's file", "customer_client", "fix.txt", 200),
        ("requester cannot download a note's file", "customer_client", "secret.txt", 404),
        ("outsider cannot download anything", "outsider_client", "fix.txt", 404),
        ("agent downloads a note's file", "agent_client", "secret.txt", 200),
        ("anonymous", "api_client", "fix.txt", 401),
    ],
)
def test_attachment_download_access(
    request: pytest.FixtureRequest,
    conversation: Ticket,
    _case: str,
    client_fixture: str,
    filename: str,
    expected_status: int,
) -> None:
    # given
    attachment = Attachment.objects.get(filename=filename)
    client = request.getfixturevalue(client_fixture)
    # when
    response = client.get(f"/api/v1/attachments/{attachment.pk}/download/")
    # then
    assert response.status_code == expected_status
    if expected_status == 200:
        assert response["Content-Type"] == "text/plain"
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert b"".join(response.streaming_content) == attachment.file.open("rb").read()


def test_download_accepts_octet_stream_clients(customer_client: APIClient, conversation: Ticket) -> None:
    attachment = Attachment.objects.get(filename="fix.txt")

    response = customer_client.get(
        f"/api/v1/attachments/{attachment.pk}/download/", HTTP_ACCEPT="application/octet-stream"
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"step 1"


def test_customer_posts_json_reply(customer_client: APIClient, ticket: Ticket, customer: User) -> None:
    # when
    response = customer_client.post(messages_url(ticket), {"body": "More info", "cc": ["Boss@Acme.test"]})
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["body"], body["visibility"], body["author_kind"], body["cc"]) == (
        "More info",
        "public",
        "customer",
        ["boss@acme.test"],
    )
    assert body["author"]["id"] == customer.pk


def test_agent_posts_multipart_reply_with_attachments(agent_client: APIClient, ticket: Ticket) -> None:
    # given
    files = [
        SimpleUploadedFile("log.txt", b"line 1", content_type="text/plain"),
        SimpleUploadedFile("shot.png", b"\x89PNG fake", content_type="image/png"),
    ]
    # when
    response = agent_client.post(
        messages_url(ticket), {"body": "See attached", "attachments": files}, format="multipart"
    )
    # then
    assert response.status_code == 201, response.json()
    attachments = response.json()["attachments"]
    assert [(a["filename"], a["content_type"], a["size"]) for a in attachments] == [
        ("log.txt", "text/plain", 6),
        ("shot.png", "image/png", 9),
    ]
    assert attachments[0]["download_url"].startswith("http://testserver/api/v1/attachments/")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_attachment_with_refused_type_writes_nothing(agent_client: APIClient, ticket: Ticket) -> None:
    file = SimpleUploadedFile("evil.exe", b"MZ", content_type="application/x-msdownload")

    response = agent_client.post(
        messages_url(ticket), {"body": "x", "attachments": [file]}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["attachments"] == [
        "'evil.exe' has a type that is not allowed (application/x-msdownload)."
    ]
    assert TicketMessage.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_customer_cannot_post_internal_note(customer_client: APIClient, ticket: Ticket) -> None:
    response = customer_client.post(messages_url(ticket), {"body": "psst", "visibility": "internal"})

    assert response.status_code == 403
    assert response.json()["detail"] == "Customers cannot write internal notes."
    assert TicketMessage.objects.count() == 0


def test_outsider_cannot_post_to_foreign_ticket(outsider_client: APIClient, ticket: Ticket) -> None:
    response = outsider_client.post(messages_url(ticket), {"body": "hi"})

    assert response.status_code == 404
    assert TicketMessage.objects.count() == 0


def test_message_on_closed_ticket_is_400(customer_client: APIClient, ticket: Ticket) -> None:
    services.ticket_change_status(ticket_id=ticket.pk, to="closed", actor=None)

    response = customer_client.post(messages_url(ticket), {"body": "hello?"})

    assert response.status_code == 400
    assert response.json()["ticket"] == ["This ticket is closed; open a new ticket instead."]
