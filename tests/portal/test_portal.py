"""The customer portal: lists, visibility, filing, replying, closing and reopening, promises."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from helpdesk.models import Organization, User
from sla.models import SlaClock, SlaMetric
from tests.factories import CategoryFactory, CustomerFactory
from tickets import portal, services
from tickets.models import MessageVisibility, Priority, Severity, Ticket, TicketStatus
from tickets.portal import Impact, Urgency

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ticket(requester: User, subject: str = "Printer on fire", **kwargs) -> Ticket:
    return services.ticket_create(requester=requester, subject=subject, description="It smokes.", **kwargs)


def _form(**overrides) -> dict:
    return {
        "subject": "Export to PDF fails",
        "description": "Clicking Export shows an error.",
        "impact": Impact.MULTIPLE_USERS,
        "urgency": Urgency.COMPLETE_BLOCK,
        "category": "",
        "token": "token-1",
        **overrides,
    }


# --- priority matrix -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "urgency", "impact", "priority", "severity"),
    [
        ("one user blocked", Urgency.COMPLETE_BLOCK, Impact.ONE_USER, Priority.P3, Severity.SEV3),
        ("several users blocked", Urgency.COMPLETE_BLOCK, Impact.MULTIPLE_USERS, Priority.P2, Severity.SEV2),
        ("everyone blocked", Urgency.COMPLETE_BLOCK, Impact.ALL_USERS, Priority.P1, Severity.SEV1),
        ("one user impaired", Urgency.MAJOR_IMPAIRMENT, Impact.ONE_USER, Priority.P4, Severity.SEV4),
        (
            "several users impaired",
            Urgency.MAJOR_IMPAIRMENT,
            Impact.MULTIPLE_USERS,
            Priority.P3,
            Severity.SEV3,
        ),
        ("everyone impaired", Urgency.MAJOR_IMPAIRMENT, Impact.ALL_USERS, Priority.P2, Severity.SEV2),
        ("one user, minor", Urgency.MINOR_IMPAIRMENT, Impact.ONE_USER, Priority.P5, Severity.SEV5),
        ("several users, minor", Urgency.MINOR_IMPAIRMENT, Impact.MULTIPLE_USERS, Priority.P4, Severity.SEV4),
        ("everyone, minor", Urgency.MINOR_IMPAIRMENT, Impact.ALL_USERS, Priority.P3, Severity.SEV3),
    ],
)
def test_priority_matrix_cell(_case, urgency, impact, priority, severity) -> None:
    # when
    result = (
        portal.priority_for(impact=impact, urgency=urgency),
        portal.severity_for(impact=impact, urgency=urgency),
    )
    # then
    assert result == (priority, severity)


def test_priority_matrix_covers_every_answer_pair() -> None:
    # then
    assert set(portal.SEVERITY_MATRIX) == {(u, i) for u in Urgency for i in Impact}


def test_priority_for_refuses_an_unknown_answer() -> None:
    # when / then
    with pytest.raises(ValueError, match="nope"):
        portal.priority_for(impact="nope", urgency=Urgency.COMPLETE_BLOCK)


@pytest.mark.parametrize(
    ("_case", "status", "label"),
    [
        ("pending asks the customer", TicketStatus.PENDING, "Waiting for your reply"),
        ("in progress", TicketStatus.IN_PROGRESS, "We're working on it"),
        ("triaged hides the internal word", TicketStatus.TRIAGED, "We're working on it"),
        ("resolved", TicketStatus.RESOLVED, "Solved"),
        ("new", TicketStatus.NEW, "Received"),
    ],
)
def test_customer_status_words(_case, status, label) -> None:
    # then
    assert portal.customer_status(status).label == label


@pytest.mark.parametrize(
    ("_case", "seconds", "business", "words"),
    [
        ("minutes", 15 * 60, False, "15 minutes"),
        ("one hour", 3600, True, "1 business hour"),
        ("hours", 4 * 3600, True, "4 business hours"),
        ("calendar hours", 8 * 3600, False, "8 hours"),
        ("odd minutes", 90 * 60, True, "90 business minutes"),
    ],
)
def test_describe_target(_case, seconds, business, words) -> None:
    # then
    assert portal.describe_target(timedelta(seconds=seconds), business_hours=business) == words


# --- list and visibility ---------------------------------------------------------------------


def test_list_shows_own_tickets_only_when_organization_does_not_share(
    customer: User, coworker: User, outsider: User
) -> None:
    # given
    mine = _ticket(customer, "Mine")
    _ticket(coworker, "Coworker's")
    _ticket(outsider, "Outsider's")
    # when
    response = _client(customer).get("/portal/")
    # then
    assert response.status_code == 200
    assert [ticket.pk for ticket, _status in response.context["rows"]] == [mine.pk]
    assert "My organization&#x27;s tickets" not in response.content.decode()
    other_tab = _client(customer).get("/portal/?tab=organization")
    assert [ticket.pk for ticket, _status in other_tab.context["rows"]] == [mine.pk]


def test_organization_tab_lists_colleagues_tickets_when_shared(
    customer: User, coworker: User, outsider: User, organization: Organization
) -> None:
    # given
    organization.members_see_each_other = True
    organization.save()
    mine = _ticket(customer, "Mine")
    theirs = _ticket(coworker, "Coworker's")
    _ticket(outsider, "Outsider's")
    client = _client(customer)
    # when
    own_tab = client.get("/portal/")
    organization_tab = client.get("/portal/?tab=organization")
    # then
    assert [ticket.pk for ticket, _status in own_tab.context["rows"]] == [mine.pk]
    assert [ticket.pk for ticket, _status in organization_tab.context["rows"]] == [theirs.pk]
    assert "Coworker&#x27;s" in organization_tab.content.decode()


def test_list_shows_status_in_customer_words_and_paginates(customer: User, agent: User) -> None:
    # given
    tickets = [_ticket(customer, f"Ticket {n}") for n in range(21)]
    services.ticket_change_status(ticket_id=tickets[-1].pk, to=TicketStatus.PENDING, actor=agent)
    client = _client(customer)
    # when
    first = client.get("/portal/")
    second = client.get("/portal/?page=2")
    # then
    assert len(first.context["rows"]) == 20
    assert len(second.context["rows"]) == 1
    assert "Waiting for your reply" in first.content.decode()


def test_empty_list_invites_a_first_ticket(customer: User) -> None:
    # when
    response = _client(customer).get("/portal/")
    # then
    assert "Open your first ticket" in response.content.decode()


def test_agent_visiting_the_portal_goes_to_the_workspace(agent: User) -> None:
    # when
    response = _client(agent).get("/portal/")
    # then
    assert response.status_code == 302
    assert response.url == "/tickets/"


def test_anonymous_visitor_is_sent_to_sign_in(client: Client) -> None:
    # when
    response = client.get("/portal/new/")
    # then
    assert response.status_code == 302
    assert "/login/" in response.url


@pytest.mark.parametrize(
    ("_case", "method", "url"),
    [
        ("ticket page", "get", "/portal/tickets/{id}/"),
        ("reply", "post", "/portal/tickets/{id}/reply/"),
        ("close", "post", "/portal/tickets/{id}/close/"),
        ("reopen", "post", "/portal/tickets/{id}/reopen/"),
    ],
)
def test_another_organizations_ticket_is_404(customer: User, outsider: User, _case, method, url) -> None:
    # given
    ticket = _ticket(customer)
    client = _client(outsider)
    # when
    response = getattr(client, method)(url.format(id=ticket.pk), {"body": "hi"} if method == "post" else None)
    # then
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert (ticket.status, ticket.message_count) == (TicketStatus.NEW, 0)


def test_coworker_ticket_is_404_when_organization_does_not_share(customer: User, coworker: User) -> None:
    # given
    ticket = _ticket(coworker)
    # when
    response = _client(customer).get(f"/portal/tickets/{ticket.pk}/")
    # then
    assert response.status_code == 404


# --- ticket page -----------------------------------------------------------------------------


def test_ticket_page_never_renders_internal_notes(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)
    services.message_create(
        ticket_id=ticket.pk,
        author=agent,
        body="SECRET-NOTE about the customer",
        visibility=MessageVisibility.INTERNAL,
    )
    services.message_create(ticket_id=ticket.pk, author=agent, body="Public answer from support")
    # when
    response = _client(customer).get(f"/portal/tickets/{ticket.pk}/")
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "Public answer from support" in body
    assert "It smokes." in body
    assert "SECRET-NOTE" not in body
    assert [message.body for message in response.context["conversation"]] == ["Public answer from support"]


def test_promised_reply_time_is_shown_in_the_customers_zone(organization: Organization) -> None:
    # given: a customer in New York, a new ticket with a running first-response clock
    customer = CustomerFactory(organization=organization, time_zone="America/New_York")
    ticket = _ticket(customer)
    clock = SlaClock.objects.get(ticket=ticket, metric=SlaMetric.FIRST_RESPONSE)
    local = timezone.localtime(clock.due_at, zoneinfo.ZoneInfo("America/New_York"))
    # when
    response = _client(customer).get(f"/portal/tickets/{ticket.pk}/")
    # then
    promise = response.context["promise"]
    assert promise.due_at == clock.due_at
    assert promise.target == timedelta(seconds=clock.target_seconds)
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    expected_when = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
    assert f"We aim to reply within {promise.target_words} (by {expected_when} your time)." in text


def test_pending_ticket_asks_for_the_customers_reply_instead_of_a_promise(
    customer: User, agent: User
) -> None:
    # given
    ticket = _ticket(customer)
    services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.PENDING, actor=agent)
    # when
    response = _client(customer).get(f"/portal/tickets/{ticket.pk}/")
    # then
    assert response.context["promise"] is None
    assert "waiting for your reply" in response.content.decode()


# --- replying --------------------------------------------------------------------------------


def test_reply_resumes_a_pending_ticket(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)
    services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.PENDING, actor=agent)
    # when
    response = _client(customer).post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "Here are the logs."})
    # then
    ticket.refresh_from_db()
    message = ticket.messages.get()
    assert response.status_code == 302
    assert response.url == f"/portal/tickets/{ticket.pk}/#message-{message.pk}"
    assert (ticket.status, message.body, message.visibility) == (
        TicketStatus.IN_PROGRESS,
        "Here are the logs.",
        MessageVisibility.PUBLIC,
    )


def test_reply_with_attachment_is_downloadable_by_the_customer_only(customer: User, outsider: User) -> None:
    # given
    ticket = _ticket(customer)
    upload = SimpleUploadedFile("log.txt", b"line 1\n", content_type="text/plain")
    # when
    _client(customer).post(
        f"/portal/tickets/{ticket.pk}/reply/", {"body": "Log attached.", "attachments": [upload]}
    )
    # then
    attachment = ticket.messages.get().attachments.get()
    page = _client(customer).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert f"/portal/attachments/{attachment.pk}/" in page
    download = _client(customer).get(f"/portal/attachments/{attachment.pk}/")
    assert (download.status_code, b"".join(download.streaming_content)) == (200, b"line 1\n")
    assert _client(outsider).get(f"/portal/attachments/{attachment.pk}/").status_code == 404


def test_attachment_of_an_internal_note_is_404_for_the_customer(customer: User, agent: User) -> None:
    # given
    ticket = _ticket(customer)
    note = services.message_create(
        ticket_id=ticket.pk,
        author=agent,
        body="note",
        visibility=MessageVisibility.INTERNAL,
        attachments=[services.UploadedFile("secret.txt", "text/plain", b"secret")],
    )
    # when
    response = _client(customer).get(f"/portal/attachments/{note.attachments.get().pk}/")
    # then
    assert response.status_code == 404


def test_empty_reply_is_refused_inline(customer: User) -> None:
    # given
    ticket = _ticket(customer)
    # when
    response = _client(customer).post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "   "})
    # then
    assert response.status_code == 400
    assert response.context["reply_form"].errors["body"] == ["Write something before sending."]
    assert ticket.messages.count() == 0


# --- closing and reopening -------------------------------------------------------------------


def test_customer_closes_an_open_ticket(customer: User) -> None:
    # given
    ticket = _ticket(customer)
    # when
    response = _client(customer).post(f"/portal/tickets/{ticket.pk}/close/")
    # then
    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == TicketStatus.CLOSED


def test_closed_ticket_offers_no_reply_and_refuses_one(customer: User) -> None:
    # given
    ticket = _ticket(customer)
    services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.CLOSED, actor=customer)
    client = _client(customer)
    # when
    page = client.get(f"/portal/tickets/{ticket.pk}/")
    response = client.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "hello?"})
    # then
    assert (page.context["may_reply"], page.context["may_close"], page.context["may_reopen"]) == (
        False,
        False,
        False,
    )
    assert response.status_code == 400
    assert ticket.messages.count() == 0


def _resolved(customer: User, agent: User, *, days_ago: float) -> Ticket:
    now = timezone.now()
    ticket = services.ticket_create(
        requester=customer, subject="Old problem", created_at=now - timedelta(days=days_ago + 1)
    )
    services.ticket_change_status(
        ticket_id=ticket.pk, to=TicketStatus.RESOLVED, actor=agent, at=now - timedelta(days=days_ago)
    )
    return ticket


def test_reopen_within_the_window(customer: User, agent: User) -> None:
    # given
    ticket = _resolved(customer, agent, days_ago=6)
    client = _client(customer)
    assert client.get(f"/portal/tickets/{ticket.pk}/").context["may_reopen"] is True
    # when
    response = client.post(f"/portal/tickets/{ticket.pk}/reopen/")
    # then
    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.status, ticket.reopened_count) == (TicketStatus.TRIAGED, 1)


def test_reopen_after_the_window_is_refused(customer: User, agent: User) -> None:
    # given
    ticket = _resolved(customer, agent, days_ago=8)
    client = _client(customer)
    # when
    page = client.get(f"/portal/tickets/{ticket.pk}/")
    reopen = client.post(f"/portal/tickets/{ticket.pk}/reopen/")
    reply = client.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "Still broken"})
    # then
    ticket.refresh_from_db()
    assert (page.context["may_reopen"], page.context["may_reply"]) == (False, False)
    assert reopen.status_code == 302
    assert reply.status_code == 400
    assert (ticket.status, ticket.reopened_count, ticket.message_count) == (TicketStatus.RESOLVED, 0, 0)


def test_reopen_window_follows_the_setting(customer: User, agent: User, settings) -> None:
    # given
    settings.PORTAL_REOPEN_DAYS = 10
    ticket = _resolved(customer, agent, days_ago=8)
    # when
    response = _client(customer).post(f"/portal/tickets/{ticket.pk}/reopen/")
    # then
    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == TicketStatus.TRIAGED


def test_reopen_of_an_open_ticket_changes_nothing(customer: User) -> None:
    # given
    ticket = _ticket(customer)
    # when
    _client(customer).post(f"/portal/tickets/{ticket.pk}/reopen/")
    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count) == (TicketStatus.NEW, 0)


def test_customer_closes_a_resolved_ticket(customer: User, agent: User) -> None:
    # given
    ticket = _resolved(customer, agent, days_ago=1)
    # when
    _client(customer).post(f"/portal/tickets/{ticket.pk}/close/")
    # then
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


# --- filing a ticket -------------------------------------------------------------------------


def test_new_ticket_form_offers_top_level_categories_only(customer: User) -> None:
    # given
    top = CategoryFactory(name="Billing", slug="billing")
    CategoryFactory(name="Invoices", slug="invoices", parent=top)
    CategoryFactory(name="Retired", slug="retired", is_active=False)
    # when
    response = _client(customer).get("/portal/new/")
    # then
    assert list(response.context["form"].fields["category"].queryset) == [top]
    assert 'hx-get="/help/suggest/"' in response.content.decode()


def test_new_ticket_is_filed_with_the_matrix_priority(customer: User) -> None:
    # given
    category = CategoryFactory(name="Billing", slug="billing")
    # when
    response = _client(customer).post("/portal/new/", _form(category=category.pk))
    # then
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == f"/portal/tickets/{ticket.pk}/"
    assert (
        ticket.requester,
        ticket.subject,
        ticket.priority,
        ticket.severity,
        ticket.category,
        ticket.channel,
    ) == (
        customer,
        "Export to PDF fails",
        Priority.P2,
        Severity.SEV2,
        category,
        "portal",
    )
    assert ticket.messages.count() == 0


def test_new_ticket_with_attachments_keeps_them_on_a_first_message(customer: User) -> None:
    # given
    upload = SimpleUploadedFile("shot.png", b"\x89PNG...", content_type="image/png")
    # when
    _client(customer).post("/portal/new/", {**_form(), "attachments": [upload]})
    # then
    ticket = Ticket.objects.get()
    assert [a.filename for a in ticket.messages.get().attachments.all()] == ["shot.png"]


def test_new_ticket_validation_errors_keep_the_input(customer: User) -> None:
    # given: no impact answer and no description
    data = _form(impact="", description="")
    # when
    response = _client(customer).post("/portal/new/", data)
    # then
    body = response.content.decode()
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"impact", "description"}
    assert 'value="Export to PDF fails"' in body
    assert 'value="complete_block" checked' in body or "checked" in body
    assert Ticket.objects.count() == 0


def test_refused_attachment_shows_inline_and_files_nothing(customer: User) -> None:
    # given
    upload = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/x-msdownload")
    # when
    response = _client(customer).post("/portal/new/", {**_form(), "attachments": [upload]})
    # then
    assert response.status_code == 400
    assert response.context["form"].errors["attachments"] == [
        "'tool.exe' has a type that is not allowed (application/x-msdownload)."
    ]
    assert 'value="Export to PDF fails"' in response.content.decode()
    assert Ticket.objects.count() == 0


def test_double_submit_files_one_ticket(customer: User) -> None:
    # given
    client = _client(customer)
    # when: the same form (same token) arrives twice
    first = client.post("/portal/new/", _form())
    second = client.post("/portal/new/", _form())
    # then
    ticket = Ticket.objects.get()
    assert first.url == second.url == f"/portal/tickets/{ticket.pk}/"


def test_two_forms_file_two_tickets(customer: User) -> None:
    # given
    client = _client(customer)
    # when
    client.post("/portal/new/", _form(token="a"))
    client.post("/portal/new/", _form(token="b"))
    # then
    assert Ticket.objects.count() == 2


def test_another_customers_token_does_not_reveal_their_ticket(customer: User, outsider: User) -> None:
    # given
    _client(customer).post("/portal/new/", _form(token="shared"))
    # when
    response = _client(outsider).post("/portal/new/", _form(token="shared"))
    # then
    assert response.status_code == 400
    assert Ticket.objects.filter(requester=outsider).count() == 0


def test_each_form_render_has_a_fresh_token(customer: User) -> None:
    # given
    client = _client(customer)
    # when
    tokens = {client.get("/portal/new/").context["form"].initial["token"] for _ in range(2)}
    # then
    assert len(tokens) == 2


def test_home_rows_link_to_the_portal(customer: User) -> None:
    # given
    ticket = _ticket(customer)
    # when
    body = _client(customer).get("/").content.decode()
    # then
    assert f'href="/portal/tickets/{ticket.pk}/"' in body
    assert 'href="/portal/new/"' in body


def test_list_query_count_does_not_grow_with_tickets(customer: User, django_assert_max_num_queries) -> None:
    # given
    for n in range(15):
        _ticket(customer, f"Ticket {n}")
    client = _client(customer)
    # when / then: session, user, organization, count, page — not one per row
    with django_assert_max_num_queries(8):
        response = client.get("/portal/")
    assert len(response.context["rows"]) == 15
