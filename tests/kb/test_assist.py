"""Knowledge-assisted replies: the composer's article picker and its insertion record."""

from __future__ import annotations

import pytest
from django.test import Client

from helpdesk.models import User
from kb import services
from kb.models import Article, ArticleInsertion, Visibility
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer: User) -> Ticket:
    return TicketFactory(requester=customer, subject="Invoices as PDF?")


def _publish(agent: User, title: str, **fields: object) -> Article:
    draft = services.article_create(actor=agent, title=title, **fields)
    return services.article_publish(article_id=draft.pk, actor=agent)


def test_picker_offers_public_published_articles_as_absolute_markdown_links(
    client: Client, agent: User, ticket: Ticket
) -> None:
    # given
    public = _publish(agent, "Export invoices [PDF]")
    _publish(agent, "Export invoices internally", visibility=Visibility.INTERNAL)
    services.article_create(actor=agent, title="Export invoices draft")
    client.force_login(agent)
    # when
    response = client.get("/help/manage/insert/", {"ticket": ticket.pk, "q": "export invoices"})
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert f"[Export invoices \\[PDF\\]](http://testserver/help/articles/{public.slug}/)" in body
    assert "internally" not in body
    assert "draft" not in body


@pytest.mark.parametrize("who", ["customer", "anonymous"])
def test_picker_is_for_agents_only(client: Client, customer: User, ticket: Ticket, who: str) -> None:
    # given
    if who == "customer":
        client.force_login(customer)
    # when
    response = client.get("/help/manage/insert/", {"ticket": ticket.pk, "q": "x"})
    # then
    assert response.status_code == (404 if who == "customer" else 302)


def test_picker_needs_a_ticket(client: Client, agent: User) -> None:
    client.force_login(agent)
    assert client.get("/help/manage/insert/", {"q": "x"}).status_code == 400


def test_recording_an_insertion(client: Client, agent: User, ticket: Ticket) -> None:
    # given
    article = _publish(agent, "Export invoices")
    client.force_login(agent)
    # when
    response = client.post("/help/manage/insert/record/", {"article": article.pk, "ticket": ticket.pk})
    # then
    assert response.status_code == 204
    insertion = ArticleInsertion.objects.get()
    assert (insertion.article, insertion.ticket, insertion.agent) == (article, ticket, agent)


def test_recording_refuses_bad_input_with_field_errors(client: Client, agent: User) -> None:
    client.force_login(agent)
    response = client.post("/help/manage/insert/record/", {"article": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"article", "ticket"}
    assert not ArticleInsertion.objects.exists()


def test_recording_an_internal_article_is_refused(client: Client, agent: User, ticket: Ticket) -> None:
    article = _publish(agent, "Internal", visibility=Visibility.INTERNAL)
    client.force_login(agent)
    response = client.post("/help/manage/insert/record/", {"article": article.pk, "ticket": ticket.pk})
    assert response.status_code == 404
    assert not ArticleInsertion.objects.exists()


def test_composer_offers_the_article_picker(client: Client, agent: User, ticket: Ticket) -> None:
    client.force_login(agent)
    response = client.get(f"/tickets/{ticket.pk}/")
    assert f'hx-get="/help/manage/insert/?ticket={ticket.pk}"'.encode() in response.content


def test_report_page_renders_for_agents_and_hides_from_customers(
    client: Client, agent: User, customer: User
) -> None:
    client.force_login(customer)
    assert client.get("/help/manage/reports/").status_code == 404
    client.force_login(agent)
    response = client.get("/help/manage/reports/", {"days": "7"})
    assert response.status_code == 200
    assert b"Deflection rate" in response.content
    assert client.get("/help/manage/reports/", {"days": "nonsense"}).status_code == 200


@pytest.mark.parametrize(
    ("status", "offered"), [("resolved", True), ("closed", True), ("in_progress", False)]
)
def test_ticket_page_offers_turning_a_solved_ticket_into_an_article(
    client: Client, agent: User, customer: User, status: str, offered: bool
) -> None:
    ticket = TicketFactory(requester=customer, status=status)
    client.force_login(agent)
    response = client.get(f"/tickets/{ticket.pk}/")
    assert (f'action="/help/manage/from-ticket/{ticket.pk}/"'.encode() in response.content) is offered
