"""Knowledge-base fixtures: a published help-centre corpus with its synonyms."""

from __future__ import annotations

import pytest

from helpdesk.models import User
from kb import services
from kb.models import Article, Synonym
from tests.kb.search_corpus import ARTICLES, SYNONYMS, body_for


def load_corpus(author: User) -> dict[str, Article]:
    """Create and publish every corpus article through the services; return them by slug."""
    for term, alternatives in SYNONYMS:
        Synonym.objects.create(term=term, synonyms=list(alternatives))
    published = {}
    for item in ARTICLES:
        article = services.article_create(
            actor=author,
            title=item.title,
            slug=item.slug,
            summary=item.summary,
            keywords=item.keywords,
            body=body_for(item),
        )
        published[item.slug] = services.article_publish(article_id=article.pk, actor=author)
    return published


@pytest.fixture
def corpus(agent: User) -> dict[str, Article]:
    return load_corpus(agent)
