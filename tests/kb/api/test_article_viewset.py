"""API v1 /kb/: public reads, staff-only writes, search."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from helpdesk.models import User
from kb import services
from kb.models import Article, ArticleState, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(agent: User) -> Article:
    draft = services.article_create(actor=agent, title="Reset your password", body="Forgot password link.")
    return services.article_publish(article_id=draft.pk, actor=agent)


@pytest.fixture
def internal(agent: User) -> Article:
    draft = services.article_create(
        actor=agent, title="Escalation runbook", body="Page on-call.", visibility=Visibility.INTERNAL
    )
    return services.article_publish(article_id=draft.pk, actor=agent)


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_slugs"),
    [
        ("anonymous sees published public", "api_client", ["reset-your-password"]),
        ("customer sees published public", "customer_client", ["reset-your-password"]),
        ("agent sees everything", "agent_client", ["a-draft", "escalation-runbook", "reset-your-password"]),
    ],
)
def test_list_visibility(
    request: pytest.FixtureRequest, published: Article, internal: Article, agent: User,
    _case: str, client_fixture: str, expected_slugs: list[str],
) -> None:  # fmt: skip
    # given
    services.article_create(actor=agent, title="A draft", body="")
    client: APIClient = request.getfixturevalue(client_fixture)
    # when
    response = client.get("/api/v1/kb/articles/")
    # then
    assert response.status_code == 200
    assert sorted(row["slug"] for row in response.json()["results"]) == expected_slugs


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_status"),
    [
        ("anonymous must authenticate", "api_client", 401),
        ("customer may not write", "customer_client", 403),
        ("agent may write", "agent_client", 201),
    ],
)
def test_create_access(
    request: pytest.FixtureRequest, _case: str, client_fixture: str, expected_status: int
) -> None:
    client: APIClient = request.getfixturevalue(client_fixture)
    # when
    response = client.post("/api/v1/kb/articles/", {"title": "Set up SSO", "summary": "SAML."}, format="json")
    # then
    assert response.status_code == expected_status
    assert Article.objects.count() == (1 if expected_status == 201 else 0)


def test_agent_edits_and_publishes_through_the_api(agent_client: APIClient) -> None:
    # given
    created = agent_client.post(
        "/api/v1/kb/articles/", {"title": "Webhooks", "body": "v1"}, format="json"
    ).json()
    # when
    edited = agent_client.patch(f"/api/v1/kb/articles/{created['slug']}/", {"body": "v2"}, format="json")
    published = agent_client.post(
        f"/api/v1/kb/articles/{created['slug']}/transition/", {"state": "published"}, format="json"
    )
    # then
    assert edited.status_code == 200
    assert published.status_code == 200
    article = Article.objects.get()
    assert (article.body, article.state, article.revisions.count()) == ("v2", ArticleState.PUBLISHED, 2)


def test_invalid_transition_is_a_400_and_changes_nothing(agent_client: APIClient, published: Article) -> None:
    # when
    response = agent_client.post(
        f"/api/v1/kb/articles/{published.slug}/transition/", {"state": "in_review"}, format="json"
    )
    # then
    assert response.status_code == 400
    published.refresh_from_db()
    assert published.state == ArticleState.PUBLISHED


def test_search_is_public_and_hides_internal_articles(
    api_client: APIClient, published: Article, internal: Article
) -> None:
    # when
    response = api_client.get("/api/v1/kb/search/", {"q": "pasword"})
    # then
    assert response.status_code == 200
    body = response.json()
    assert [row["slug"] for row in body["results"]] == ["reset-your-password"]
    assert body["did_you_mean"] == "password"
    assert body["search_id"] is not None
