"""The portal's suggestions are recorded as deflection attempts: shown, opened, then filed or left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from helpdesk.models import User
from kb import services
from kb.models import Article, DeflectionAttempt, SearchLog

pytestmark = pytest.mark.django_db

TOKEN = "tok_" + "a" * 28
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def article(agent: User) -> Article:
    draft = services.article_create(
        actor=agent, title="Export invoices to PDF", summary="Download any invoice as a PDF."
    )
    return services.article_publish(article_id=draft.pk, actor=agent)


def test_suggestions_upsert_one_attempt_per_form_with_the_latest_query(customer: User) -> None:
    # when
    first = services.deflection_attempt_record_suggestions(
        token=TOKEN, user=customer, visitor="v1", query="export", result_count=2, now=NOW
    )
    second = services.deflection_attempt_record_suggestions(
        token=TOKEN,
        user=customer,
        visitor="v1",
        query="export invoices zzz",
        result_count=0,
        now=NOW + timedelta(seconds=5),
    )
    # then
    attempt = DeflectionAttempt.objects.get()
    assert (first, second) == (True, True)
    assert (attempt.query, attempt.result_count, attempt.suggested) == ("export invoices zzz", 0, True)
    assert (attempt.started_at, attempt.updated_at) == (NOW, NOW + timedelta(seconds=5))


def test_another_users_token_is_left_alone(customer: User, outsider: User) -> None:
    # given
    services.deflection_attempt_record_suggestions(
        token=TOKEN, user=customer, visitor="v1", query="export", result_count=1, now=NOW
    )
    # when
    written = services.deflection_attempt_record_suggestions(
        token=TOKEN, user=outsider, visitor="v2", query="spam", result_count=0, now=NOW
    )
    # then
    assert written is False
    attempt = DeflectionAttempt.objects.get()
    assert (attempt.user, attempt.query) == (customer, "export")


@pytest.mark.parametrize("token", ["short", "x" * 121, "has spaces in it!!", ""])
def test_malformed_tokens_are_ignored(customer: User, token: str) -> None:
    # when
    written = services.deflection_attempt_record_suggestions(
        token=token, user=customer, visitor="v", query="q", result_count=1
    )
    # then
    assert written is False
    assert not DeflectionAttempt.objects.exists()


def test_only_the_first_opened_article_is_recorded(customer: User, article: Article, agent: User) -> None:
    # given
    other = services.article_publish(
        article_id=services.article_create(actor=agent, title="Other").pk, actor=agent
    )
    services.deflection_attempt_record_suggestions(
        token=TOKEN, user=customer, visitor="v", query="export", result_count=1
    )
    # when
    first = services.deflection_attempt_record_open(
        token=TOKEN, article_id=article.pk, user=customer, now=NOW
    )
    second = services.deflection_attempt_record_open(token=TOKEN, article_id=other.pk, user=customer)
    # then
    attempt = DeflectionAttempt.objects.get()
    assert (first, second) == (True, False)
    assert (attempt.opened_article, attempt.opened_at) == (article, NOW)


def test_portal_suggest_request_records_the_attempt_and_tags_its_links(
    client: Client, customer: User, article: Article
) -> None:
    # given
    client.force_login(customer)
    # when
    response = client.get("/help/suggest/", {"q": "Export invoice", "attempt": TOKEN})
    # then
    assert response.status_code == 200
    assert f'href="/help/articles/{article.slug}/?da={TOKEN}"'.encode() in response.content
    assert b'target="_blank"' in response.content
    attempt = DeflectionAttempt.objects.get()
    assert (attempt.user, attempt.query, attempt.result_count) == (customer, "export invoice", 1)
    assert attempt.visitor == client.session["kb_visitor"]


def test_help_centre_suggestions_record_nothing(client: Client, article: Article) -> None:
    # when
    response = client.get("/help/suggest/", {"q": "Export invoice"})
    # then
    assert f'href="/help/articles/{article.slug}/"'.encode() in response.content
    assert not DeflectionAttempt.objects.exists()


def test_opening_a_suggestion_records_it_and_redirects_to_the_clean_url(
    client: Client, customer: User, article: Article
) -> None:
    # given
    client.force_login(customer)
    client.get("/help/suggest/", {"q": "export", "attempt": TOKEN})
    # when
    response = client.get(f"/help/articles/{article.slug}/", {"da": TOKEN})
    # then
    assert (response.status_code, response["Location"]) == (302, f"/help/articles/{article.slug}/")
    assert DeflectionAttempt.objects.get().opened_article == article


def test_search_logs_carry_a_visitor_id_that_survives_signing_in(
    client: Client, customer: User, article: Article
) -> None:
    # given: an anonymous search
    client.get("/help/search/", {"q": "invoice"})
    visitor = client.session["kb_visitor"]
    # when: the same browser signs in and searches again
    client.force_login(customer)
    client.get("/help/search/", {"q": "pdf"})
    # then
    logs = list(SearchLog.objects.order_by("pk").values_list("session_key", "user"))
    assert logs == [(visitor, None), (visitor, customer.pk)]
