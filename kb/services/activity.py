"""What readers do: article views, helpfulness votes, searches and clicks, portal suggestion
attempts, and article links agents insert into replies."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from kb.models import (
    Article,
    ArticleFeedback,
    ArticleInsertion,
    DeflectionAttempt,
    SearchLog,
)
from kb.services.articles import _lock_article, _require_agent


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


# A portal form token is secrets.token_urlsafe(24) (tickets.portal_forms); accept that alphabet only.
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _valid_token(token: str) -> bool:
    return 16 <= len(token) <= 120 and set(token) <= _TOKEN_CHARS


def deflection_attempt_record_suggestions(
    *, token: str, user: User, visitor: str, query: str, result_count: int, now: datetime | None = None
) -> bool:
    """Record the suggestions a customer was shown while typing a new ticket's subject.

    One row per new-ticket form (its one-time token), upserted as the subject changes: the latest
    query and count, and whether any suggestion was ever shown. A token already used by another
    user is left alone. Returns whether a row was written.
    """
    if not user.is_authenticated or not _valid_token(token):
        return False
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO kb_deflectionattempt AS a
                (token, user_id, visitor, query, result_count, suggested, started_at, updated_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (token) DO UPDATE SET
                query = EXCLUDED.query,
                result_count = EXCLUDED.result_count,
                suggested = a.suggested OR EXCLUDED.suggested,
                visitor = CASE WHEN a.visitor = '' THEN EXCLUDED.visitor ELSE a.visitor END,
                updated_at = EXCLUDED.updated_at
            WHERE a.user_id = EXCLUDED.user_id
            """,
            [token, user.pk, visitor[:40], query[:200], result_count, result_count > 0, now, now],
        )
        return cursor.rowcount == 1


def deflection_attempt_record_open(
    *, token: str, article_id: int, user: User, now: datetime | None = None
) -> bool:
    """Record the first suggested article a customer opened from their new-ticket form.

    Only the customer's own attempt is touched, once (compare-and-swap); returns whether it was.
    """
    if not user.is_authenticated or not _valid_token(token):
        return False
    return bool(
        DeflectionAttempt.objects.filter(token=token, user=user, opened_article__isnull=True).update(
            opened_article_id=article_id, opened_at=now or timezone.now()
        )
    )


def article_insertion_record(*, article_id: int, ticket_id: int, agent: User) -> ArticleInsertion:
    """Record that `agent` inserted a link to the article into a reply on the ticket."""
    _require_agent(agent)
    return ArticleInsertion.objects.create(article_id=article_id, ticket_id=ticket_id, agent=agent)
