"""Search quality over a realistic corpus: precision@1 and the zero-result rate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from kb.models import Article
from kb.search import article_search
from tests.kb.search_corpus import ARTICLES, QUERIES

pytestmark = pytest.mark.django_db


def test_corpus_is_big_enough() -> None:
    assert len(ARTICLES) >= 30
    assert len(QUERIES) >= 60


def test_precision_at_one_and_zero_result_rate(corpus: dict[str, Article]) -> None:
    # given a published corpus and the queries customers type
    misses, zero = [], []
    # when every query is searched by an anonymous visitor
    for query, expected in QUERIES:
        hits = article_search(query, user=AnonymousUser(), limit=5).hits
        if not hits:
            zero.append(query)
        elif hits[0].article.slug != expected:
            misses.append((query, expected, [hit.article.slug for hit in hits[:3]]))
    precision = 1 - (len(misses) + len(zero)) / len(QUERIES)
    zero_rate = len(zero) / len(QUERIES)
    print(
        f"\nKB search quality: precision@1={precision:.3f} zero-result rate={zero_rate:.3f} "
        f"over {len(QUERIES)} queries, {len(ARTICLES)} articles"
    )
    for miss in misses:
        print("  miss:", miss)
    for query in zero:
        print("  zero:", query)
    # then the targets of the help-centre strategy hold
    assert precision >= 0.8
    assert zero_rate < 0.1
