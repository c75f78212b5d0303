"""Which article state moves the editorial workflow allows. Pure."""

from __future__ import annotations

from kb.models import ArticleState

ALLOWED: dict[str, frozenset[str]] = {
    ArticleState.DRAFT: frozenset({ArticleState.IN_REVIEW, ArticleState.PUBLISHED, ArticleState.ARCHIVED}),
    ArticleState.IN_REVIEW: frozenset({ArticleState.DRAFT, ArticleState.PUBLISHED, ArticleState.ARCHIVED}),
    ArticleState.PUBLISHED: frozenset({ArticleState.DRAFT, ArticleState.ARCHIVED}),
    ArticleState.ARCHIVED: frozenset({ArticleState.DRAFT, ArticleState.PUBLISHED}),
}


def is_allowed(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, frozenset())


def allowed_from(current: str) -> list[str]:
    return sorted(ALLOWED.get(current, frozenset()))
