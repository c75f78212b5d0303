"""Every knowledge-base write: authoring, the editorial workflow, feedback and search logging."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import User
from kb import transitions
from kb.content import ARTICLE_TEMPLATE, add_heading_anchors, plain_text
from kb.models import (
    MAX_CATEGORY_DEPTH,
    REVIEW_INTERVAL,
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleState,
    Category,
    SearchLog,
    Visibility,
)
from tickets.models import Tag
from tickets.rendering import render_markdown

TEXT_FIELDS = ("title", "summary", "keywords", "body")
EDITABLE_FIELDS = (*TEXT_FIELDS, "slug", "category", "visibility", "is_featured")


class ArticleTransitionError(DomainError):
    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        allowed = ", ".join(transitions.allowed_from(current)) or "none"
        super().__init__(
            f"An article cannot move from '{current}' to '{target}'. Allowed: {allowed}.",
            field_errors={"state": [f"'{current}' → '{target}' is not allowed."]},
        )


def _require_agent(actor: User) -> None:
    if not actor.is_agent:
        raise PermissionDeniedError("Only support staff may edit the knowledge base.")


def _lock_article(article_id: int) -> Article:
    return Article.objects.select_for_update(of=("self",)).get(pk=article_id)


def _render(article: Article) -> None:
    article.body_html = add_heading_anchors(render_markdown(article.body))
    article.body_text = plain_text(article.body_html)


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:180] or "article"
    taken = set(
        Article.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _snapshot(article: Article, *, author: User) -> ArticleRevision:
    last = article.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return ArticleRevision.objects.create(
        article=article,
        number=last + 1,
        title=article.title,
        summary=article.summary,
        keywords=article.keywords,
        body=article.body,
        author=author,
    )


def _search_terms_add(article_id: int) -> None:
    # The typo corrector suggests only words that occur in published articles; words are never
    # removed (a stale suggestion is re-checked by the search that uses it).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO kb_searchterm (word)
            SELECT DISTINCT word FROM kb_article,
                regexp_split_to_table(
                    lower(kb_unaccent(title || ' ' || summary || ' ' || keywords || ' ' || body_text)),
                    '[^a-z0-9]+'
                ) AS word
            WHERE kb_article.id = %s AND length(word) BETWEEN 3 AND 40
            ON CONFLICT (word) DO NOTHING
            """,
            [article_id],
        )


def _validate_category(category: Category | None) -> None:
    depth, node = 0, category
    while node is not None:
        depth += 1
        node = node.parent
    if depth > MAX_CATEGORY_DEPTH:
        raise DomainError(
            f"Categories nest at most {MAX_CATEGORY_DEPTH} levels deep.",
            field_errors={"parent": ["Too deep."]},
        )


@transaction.atomic
def category_create(
    *, name: str, slug: str = "", parent: Category | None = None, description: str = "", position: int = 0
) -> Category:
    """Create a help-centre category; raises DomainError beyond three levels."""
    category = Category(
        name=name, slug=slug or slugify(name), parent=parent, description=description, position=position
    )
    _validate_category(category)
    category.save()
    return category


@transaction.atomic
def category_update(*, category_id: int, **changes: Any) -> Category:
    """Rename or move a category; raises DomainError beyond three levels or on a cycle."""
    category = Category.objects.select_for_update().get(pk=category_id)
    for field, value in changes.items():
        setattr(category, field, value)
    node = category.parent
    while node is not None:
        if node.pk == category.pk:
            raise DomainError("A category cannot sit inside itself.", field_errors={"parent": ["Cycle."]})
        node = node.parent
    _validate_category(category)
    if category.children.exists() and category.parent and category.parent.parent:
        raise DomainError("Categories nest at most 3 levels deep.", field_errors={"parent": ["Too deep."]})
    category.save()
    return category


@transaction.atomic
def article_create(
    *,
    actor: User,
    title: str,
    summary: str = "",
    body: str | None = None,
    keywords: str = "",
    slug: str = "",
    category: Category | None = None,
    visibility: str = Visibility.PUBLIC,
    is_featured: bool = False,
    tags: Iterable[Tag] = (),
) -> Article:
    """Create a draft owned by `actor` and its first revision.

    Without a body the draft starts from the help-centre article template (Quick Answer, Before You
    Start, steps, troubleshooting, related articles, still need help).
    """
    _require_agent(actor)
    if not title.strip():
        raise DomainError("An article needs a title.", field_errors={"title": ["Required."]})
    article = Article(
        title=title.strip(),
        slug=slug or _unique_slug(title),
        summary=summary,
        keywords=keywords,
        body=body if body is not None else ARTICLE_TEMPLATE.format(summary=summary or "What this covers."),
        owner=actor,
        category=category,
        visibility=visibility,
        is_featured=is_featured,
    )
    if Article.objects.filter(slug=article.slug).exists():
        raise DomainError("That address is taken.", field_errors={"slug": ["Already used."]})
    _render(article)
    article.save()
    article.tags.set(tags)
    _snapshot(article, author=actor)
    return article


@transaction.atomic
def article_update(
    *, article_id: int, actor: User, tags: Iterable[Tag] | None = None, **changes: Any
) -> Article:
    """Apply `changes` (any of EDITABLE_FIELDS) and record a new revision.

    A published article stays published; its search vocabulary grows with the new text.
    """
    _require_agent(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    article = _lock_article(article_id)
    new_slug = changes.get("slug", article.slug)
    if new_slug != article.slug and Article.objects.filter(slug=new_slug).exclude(pk=article.pk).exists():
        raise DomainError("That address is taken.", field_errors={"slug": ["Already used."]})
    for field, value in changes.items():
        setattr(article, field, value)
    _render(article)
    article.save()
    if tags is not None:
        article.tags.set(tags)
    _snapshot(article, author=actor)
    if article.state == ArticleState.PUBLISHED:
        _search_terms_add(article.pk)
    return article


def _move(*, article_id: int, actor: User, to: str, now: datetime | None = None) -> Article:
    _require_agent(actor)
    article = _lock_article(article_id)
    if not transitions.is_allowed(article.state, to):
        raise ArticleTransitionError(article.state, to)
    article.state = to
    update = ["state", "updated_at"]
    if to == ArticleState.PUBLISHED:
        now = now or timezone.now()
        article.published_at = now
        article.review_due_at = now + REVIEW_INTERVAL
        update += ["published_at", "review_due_at"]
    article.save(update_fields=update)
    if to == ArticleState.PUBLISHED:
        _search_terms_add(article.pk)
    return article


@transaction.atomic
def article_submit_for_review(*, article_id: int, actor: User) -> Article:
    """Move a draft to review; raises ArticleTransitionError from any other state."""
    return _move(article_id=article_id, actor=actor, to=ArticleState.IN_REVIEW)


@transaction.atomic
def article_publish(*, article_id: int, actor: User, now: datetime | None = None) -> Article:
    """Publish an article and set its next review six months out."""
    return _move(article_id=article_id, actor=actor, to=ArticleState.PUBLISHED, now=now)


@transaction.atomic
def article_return_to_draft(*, article_id: int, actor: User) -> Article:
    """Send an article back to draft (out of the help centre) for rework."""
    return _move(article_id=article_id, actor=actor, to=ArticleState.DRAFT)


@transaction.atomic
def article_archive(*, article_id: int, actor: User) -> Article:
    """Take an article out of the help centre and search."""
    return _move(article_id=article_id, actor=actor, to=ArticleState.ARCHIVED)


@transaction.atomic
def article_restore(*, revision_id: int, actor: User) -> Article:
    """Put a revision's text back on its article, recorded as a new revision (history is kept)."""
    revision = ArticleRevision.objects.get(pk=revision_id)
    return article_update(
        article_id=revision.article_id,
        actor=actor,
        **{field: getattr(revision, field) for field in TEXT_FIELDS},
    )


def article_record_view(*, article_id: int) -> None:
    """Count one view (a single UPDATE; no lock, so concurrent readers never wait)."""
    Article.objects.filter(pk=article_id).update(view_count=F("view_count") + 1)


@transaction.atomic
def feedback_record(
    *, article_id: int, is_helpful: bool, comment: str = "", user: User | None, session_key: str
) -> ArticleFeedback:
    """Record a "Was this helpful?" vote: one per user (or anonymous session) per article.

    Voting again with the same answer changes nothing; a changed answer moves the counters; a
    comment sent later is kept. Idempotent under retries and double clicks (the article row lock
    serializes votes on one article).
    """
    user = user if user is not None and user.is_authenticated else None
    if user is None and not session_key:
        raise DomainError("A vote needs a session.")
    article = _lock_article(article_id)
    voter = {"user": user} if user is not None else {"user": None, "session_key": session_key}
    feedback = ArticleFeedback.objects.filter(article=article, **voter).first()
    counter = "helpful_yes" if is_helpful else "helpful_no"
    if feedback is None:
        feedback = ArticleFeedback.objects.create(
            article=article,
            is_helpful=is_helpful,
            comment=comment.strip(),
            user=user,
            session_key=session_key if user is None else "",
        )
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
        return feedback
    if feedback.is_helpful != is_helpful:
        other = "helpful_no" if is_helpful else "helpful_yes"
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1, other: F(other) - 1})
        feedback.is_helpful = is_helpful
    if comment.strip():
        feedback.comment = comment.strip()
    feedback.save(update_fields=["is_helpful", "comment", "updated_at"])
    return feedback


def search_log_record(
    *,
    query: str,
    result_count: int,
    corrected_query: str = "",
    user: User | None,
    session_key: str,
    source: str = "help",
) -> SearchLog:
    """Record one search (normalized query, how many results, who: user or session)."""
    return SearchLog.objects.create(
        query=query[:200],
        result_count=result_count,
        corrected_query=corrected_query[:200],
        user=user if user is not None and user.is_authenticated else None,
        session_key=session_key,
        source=source,
    )


def search_log_record_click(
    *, search_log_id: int, article_id: int, user: User | None, session_key: str, now: datetime | None = None
) -> bool:
    """Record the first result opened from a search; only the searcher's own log is touched.

    Returns whether this call recorded the click (compare-and-swap: a second click is ignored).
    """
    owner = (
        {"user": user} if user is not None and user.is_authenticated else {"session_key": session_key or "-"}
    )
    return bool(
        SearchLog.objects.filter(pk=search_log_id, clicked_article__isnull=True, **owner).update(
            clicked_article_id=article_id, clicked_at=now or timezone.now()
        )
    )


def search_log_mark_followed_by_ticket(*, session_key: str, user: User | None, since: datetime) -> int:
    """Flag this visitor's searches since `since` as followed by a ticket (deflection failed).

    For the portal's ticket-create path to call; returns how many logs were flagged.
    """
    owner = {"user": user} if user is not None and user.is_authenticated else {"session_key": session_key}
    if not owner.get("session_key", True):
        return 0
    return SearchLog.objects.filter(created_at__gte=since, followed_by_ticket=False, **owner).update(
        followed_by_ticket=True
    )
