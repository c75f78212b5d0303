"""The help-centre pages work without JavaScript, for anonymous visitors, and hide what they should."""

from __future__ import annotations

import pytest
from django.test import Client

from helpdesk.models import User
from kb import services
from kb.models import Article, ArticleFeedback, SearchLog, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(agent: User) -> Article:
    draft = services.article_create(
        actor=agent,
        title="Reset your password",
        summary="Get a reset link by email.",
        body="## Quick Answer\nClick Forgot password.\n\n## Troubleshooting\nCheck spam.",
    )
    return services.article_publish(article_id=draft.pk, actor=agent)


def test_home_shows_search_box_and_popular_articles(client: Client, article: Article) -> None:
    # when
    response = client.get("/help/")
    # then
    assert response.status_code == 200
    assert b'name="q"' in response.content
    assert b"Reset your password" in response.content


def test_search_page_highlights_and_logs_the_search(client: Client, article: Article) -> None:
    # when
    response = client.get("/help/search/", {"q": "Pasword  RESET"})
    # then
    assert response.status_code == 200
    assert b"<mark>password</mark>" in response.content.lower()
    assert b"Showing results for" in response.content
    log = SearchLog.objects.get()
    assert (log.query, log.result_count, log.corrected_query) == ("pasword reset", 1, "password reset")


def test_clicking_a_result_records_the_click_and_redirects_to_the_clean_url(
    client: Client, article: Article
) -> None:
    # given
    client.get("/help/search/", {"q": "password"})
    log = SearchLog.objects.get()
    # when
    response = client.get(f"/help/articles/{article.slug}/", {"sl": log.pk})
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/help/articles/{article.slug}/"
    log.refresh_from_db()
    assert log.clicked_article == article


def test_article_page_has_toc_feedback_form_and_counts_a_view(client: Client, article: Article) -> None:
    # when
    response = client.get(f"/help/articles/{article.slug}/")
    # then
    assert response.status_code == 200
    assert b'href="#quick-answer"' in response.content
    assert b"Was this helpful?" in response.content
    article.refresh_from_db()
    assert article.view_count == 1


@pytest.mark.parametrize(
    ("_case", "state_change", "visibility", "expected_status"),
    [
        ("draft is hidden", "draft", Visibility.PUBLIC, 404),
        ("internal is hidden from visitors", None, Visibility.INTERNAL, 404),
        ("published public is shown", None, Visibility.PUBLIC, 200),
    ],
)
def test_article_page_visibility_for_visitors(
    client: Client, agent: User, _case: str, state_change: str | None, visibility: str, expected_status: int
) -> None:
    # given
    draft = services.article_create(actor=agent, title="Secret", body="x", visibility=visibility)
    if state_change is None:
        services.article_publish(article_id=draft.pk, actor=agent)
    # when
    response = client.get(f"/help/articles/{draft.slug}/")
    # then
    assert response.status_code == expected_status


def test_voting_without_javascript_redirects_to_thanks_and_is_idempotent(
    client: Client, article: Article
) -> None:
    # when
    first = client.post(f"/help/articles/{article.slug}/feedback/", {"helpful": "yes"})
    client.post(f"/help/articles/{article.slug}/feedback/", {"helpful": "yes"})
    thanks = client.get(first["Location"])
    # then
    assert first.status_code == 302
    assert b"Thanks for your feedback!" in thanks.content
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    assert ArticleFeedback.objects.count() == 1


def test_vote_needs_csrf_token(article: Article) -> None:
    # given
    client = Client(enforce_csrf_checks=True)
    # when
    response = client.post(f"/help/articles/{article.slug}/feedback/", {"helpful": "yes"})
    # then
    assert response.status_code == 403
    assert ArticleFeedback.objects.count() == 0


def test_htmx_vote_returns_the_thank_you_fragment(client: Client, article: Article) -> None:
    # when
    response = client.post(
        f"/help/articles/{article.slug}/feedback/", {"helpful": "no"}, HTTP_HX_REQUEST="true"
    )
    # then
    assert response.status_code == 200
    assert b"Thanks for your feedback!" in response.content
    assert b"<html" not in response.content


def test_suggest_returns_a_fragment_of_at_most_five_links(client: Client, agent: User) -> None:
    # given
    for number in range(7):
        draft = services.article_create(actor=agent, title=f"Password topic {number}", body="about passwords")
        services.article_publish(article_id=draft.pk, actor=agent)
    # when
    response = client.get("/help/suggest/", {"q": "passw"})
    # then
    assert response.status_code == 200
    assert response.content.count(b"<li>") == 5
    assert b"<html" not in response.content
