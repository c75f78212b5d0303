"""Knowledge-base fixtures: a published help-centre corpus with its synonyms."""

from __future__ import annotations

import pytest

from helpdesk.models import User
from kb.demo import demo_articles_publish
from kb.models import Article


def load_corpus(author: User) -> dict[str, Article]:
    """Create and publish every corpus article through the services; return them by slug."""
    return demo_articles_publish(author)


@pytest.fixture
def corpus(agent: User) -> dict[str, Article]:
    return load_corpus(agent)
