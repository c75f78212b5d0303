"""Review reminders: owners are e-mailed when a published article's review date nears or passes."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse

from kb.models import (
    Article,
    ArticleState,
)
from kb.services.articles import REVIEW_REMINDER_LEAD

_logger = logging.getLogger(__name__)


def _not_reminded_since(instant: Any) -> Q:
    return Q(review_reminded_at__isnull=True) | Q(review_reminded_at__lt=instant)


def _review_reminder_owed(now: datetime) -> Q:
    """Published articles owed a reminder at `now`: due within the lead time and not reminded since
    it began, or overdue and not reminded since the due date. Moving the review date (publishing,
    "mark reviewed") starts a new period without resetting anything."""
    due_soon = Q(review_due_at__gt=now, review_due_at__lte=now + REVIEW_REMINDER_LEAD) & _not_reminded_since(
        F("review_due_at") - REVIEW_REMINDER_LEAD
    )
    overdue = Q(review_due_at__lte=now) & _not_reminded_since(F("review_due_at"))
    return Q(state=ArticleState.PUBLISHED) & (due_soon | overdue)


def _review_reminder_send(*, article_ids: Iterable[int], now: datetime) -> None:
    articles = list(
        Article.objects.filter(pk__in=list(article_ids)).select_related("owner").order_by("review_due_at")
    )
    owner = articles[0].owner
    if not (owner.is_active and owner.email):
        return
    rows = [
        (article, settings.SITE_URL + reverse("kb:manage_article_edit", kwargs={"article_id": article.pk}))
        for article in articles
    ]
    overdue = [(article, url) for article, url in rows if article.review_due_at <= now]  # type: ignore[operator]
    due_soon = [(article, url) for article, url in rows if (article, url) not in overdue]
    noun = "article is" if len(articles) == 1 else "articles are"
    send_mail(
        subject=f"[Helpdesk] {len(articles)} knowledge-base {noun} due for review",
        message=render_to_string(
            "kb/manage/email/review_reminder.txt",
            {
                "owner": owner,
                "overdue": overdue,
                "due_soon": due_soon,
                "list_url": settings.SITE_URL + reverse("kb:manage_article_list"),
            },
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[owner.email],
    )


def article_review_reminders_send(
    *, now: datetime, batch_size: int = 500, time_budget_seconds: float = 40.0
) -> int:
    """Email owners about published articles due for review within a week, or overdue; one email per owner.

    Per review date an article is reminded at most twice: once in the week before, once after it
    passes. Each article is claimed with a compare-and-swap UPDATE of `review_reminded_at` in the
    same transaction as its owner's email: an overlapping run's UPDATE waits for that commit and
    then matches nothing, and a failed send rolls its claims back for the next run (the row locks
    are held while the mail is handed to SMTP, at most EMAIL_TIMEOUT). Returns how many articles
    were reminded.
    """
    owed = _review_reminder_owed(now)
    candidates = list(
        Article.objects.filter(owed, review_due_at__lte=now + REVIEW_REMINDER_LEAD)  # the partial index
        .order_by("owner_id", "pk")
        .values_list("owner_id", "pk")[:batch_size]
    )
    deadline = time.monotonic() + time_budget_seconds
    reminded = 0
    for owner_id, group in groupby(candidates, key=itemgetter(0)):
        if time.monotonic() > deadline:
            break
        article_ids = [article_id for _owner_id, article_id in group]
        try:
            with transaction.atomic():
                claimed = [
                    pk
                    for pk in article_ids
                    if Article.objects.filter(owed, pk=pk).update(review_reminded_at=now)
                ]
                if claimed:
                    _review_reminder_send(article_ids=claimed, now=now)
        except (SMTPException, OSError):
            _logger.warning("kb.review_reminder_failed", extra={"owner_id": owner_id}, exc_info=True)
            continue
        reminded += len(claimed)
    return reminded
