"""Every knowledge-base read that encodes a rule: who sees which articles, popular, related."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet, Sum

from helpdesk.models import User
from kb import reports
from kb.content import TocEntry, table_of_contents
from kb.models import Article, ArticleState, Category, Visibility


def _is_agent(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_agent)


def article_list_published_for(user: User | AnonymousUser | None) -> QuerySet[Article]:
    """Return the articles the help centre shows `user`: published; internal ones only to agents."""
    articles = Article.objects.filter(state=ArticleState.PUBLISHED)
    if not _is_agent(user):
        articles = articles.filter(visibility=Visibility.PUBLIC)
    return articles


def article_list_visible_to(user: User | AnonymousUser | None) -> QuerySet[Article]:
    """Return the articles the API shows `user`: agents see every state, others the help centre's."""
    if _is_agent(user):
        return Article.objects.all()
    return article_list_published_for(user)


def article_get_for_reader(*, slug: str, user: User | AnonymousUser | None) -> Article:
    """Return a published article by slug; raises Article.DoesNotExist if `user` may not read it."""
    return article_list_published_for(user).select_related("category", "category__parent").get(slug=slug)


def article_list_popular(*, user: User | AnonymousUser | None, limit: int = 6) -> list[Article]:
    """Return featured articles first, then the most viewed."""
    return list(article_list_published_for(user).order_by("-is_featured", "-view_count", "title")[:limit])


def article_list_related(
    *, article: Article, user: User | AnonymousUser | None, limit: int = 5
) -> list[Article]:
    """Return published articles sharing tags or the category with `article`, most shared tags first."""
    tag_ids = list(article.tags.values_list("pk", flat=True))
    condition = Q(tags__in=tag_ids)
    if article.category_id:
        condition |= Q(category_id=article.category_id)
    return list(
        article_list_published_for(user)
        .filter(condition)
        .exclude(pk=article.pk)
        .annotate(shared=Count("tags", filter=Q(tags__in=tag_ids), distinct=True))
        .order_by("-shared", "-view_count", "title")[:limit]
    )


def article_table_of_contents(article: Article) -> list[TocEntry]:
    return table_of_contents(article.body_html)


def category_list_top_level() -> list[Category]:
    """Return top-level categories with their children loaded, in position order."""
    return list(Category.objects.filter(parent__isnull=True).prefetch_related("children"))


def category_get(*, slug: str) -> Category:
    return Category.objects.select_related("parent").get(slug=slug)


def category_articles(*, category: Category, user: User | AnonymousUser | None) -> list[Article]:
    """Return published articles in `category` and its subcategories (three levels at most)."""
    return list(
        article_list_published_for(user)
        .filter(Q(category=category) | Q(category__parent=category) | Q(category__parent__parent=category))
        .order_by("-is_featured", "title")
    )


# --- Metrics (read by metrics.reporting; system use) ----------------------------------------------


@dataclass(frozen=True)
class SelfServiceRates:
    deflected: int  # settled self-service sessions with no ticket filed in the window (kb.reports)
    settled: int
    helpful_yes: int  # "Was this helpful?" votes on published articles, all time
    helpful_votes: int


def self_service_rates(*, start: datetime, end: datetime, now: datetime) -> SelfServiceRates:
    """Return the deflection counts of [start, end) and the all-time article helpfulness votes.

    Definitions and formulas: docs/kb.md (kb.reports.deflection, kb.reports.article_helpfulness).
    """
    deflection = reports.deflection(start=start, end=end, now=now)
    votes = Article.objects.filter(state=ArticleState.PUBLISHED).aggregate(
        yes=Sum("helpful_yes"), no=Sum("helpful_no")
    )
    yes, no = votes["yes"] or 0, votes["no"] or 0
    return SelfServiceRates(deflection.deflected, deflection.settled, yes, yes + no)
