"""The e-mail channel's admin: inbound messages listed, retried and downloaded; senders blocked."""

from __future__ import annotations

import pytest
from django.test import Client

from helpdesk.models import User
from tickets.models import BlockedSender, InboundEmail
from tickets.services import inbound_email

from .conftest import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def test_failed_messages_are_listed_and_retried_from_the_admin(
    admin_web: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a message that failed on a bug, since fixed
    monkeypatch.setattr(inbound_email, "ticket_create", lambda **kwargs: 1 / 0)
    row = inbound_email.inbound_email_ingest(raw=corpus("plain_new.eml"), source="test").inbound
    monkeypatch.undo()

    # when an admin looks at the failed ones
    listing = admin_web.get("/admin/tickets/inboundemail/?status__exact=failed")

    # then
    assert listing.status_code == 200
    assert "Printer on floor 3 is jammed" in listing.content.decode()

    # when they retry it
    response = admin_web.post(
        "/admin/tickets/inboundemail/", {"action": "retry", "_selected_action": [row.pk]}, follow=True
    )

    # then
    assert "Retried: 1 opened a ticket." in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.error) == ("ticket_created", "")


def test_the_original_message_downloads_as_received(admin_web: Client) -> None:
    row = inbound_email.inbound_email_ingest(raw=corpus("html_only_script.eml"), source="test").inbound

    detail = admin_web.get(f"/admin/tickets/inboundemail/{row.pk}/change/")
    download = admin_web.get(f"/admin/tickets/inboundemail/{row.pk}/raw/")

    assert detail.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == f'attachment; filename="inbound-{row.pk}.eml"'
    assert b"".join(download.streaming_content) == corpus("html_only_script.eml")  # type: ignore[attr-defined]


def test_an_admin_blocks_a_domain_through_the_service(admin_web: Client, admin_user: User) -> None:
    response = admin_web.post(
        "/admin/tickets/blockedsender/add/", {"pattern": " @Spam.TEST ", "note": "spam"}
    )

    assert response.status_code == 302
    assert list(BlockedSender.objects.values_list("pattern", "created_by")) == [("@spam.test", admin_user.pk)]


def test_an_invalid_pattern_shows_on_the_form(admin_web: Client) -> None:
    response = admin_web.post("/admin/tickets/blockedsender/add/", {"pattern": "nope", "note": ""})

    assert response.status_code == 200
    assert "Give an address (ana@example.com) or a domain (@example.com)." in response.content.decode()
    assert BlockedSender.objects.count() == 0


def test_other_roles_cannot_see_inbound_mail(client: Client, agent: User) -> None:
    client.force_login(agent)

    assert client.get("/admin/tickets/inboundemail/").status_code == 302
    assert InboundEmail.objects.count() == 0
