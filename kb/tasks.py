"""Celery entry points of the knowledge base; thin: each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from kb import services


@shared_task(name="kb.remind_review_due", soft_time_limit=50, time_limit=60, ignore_result=True)
def remind_review_due_task() -> int:
    """Email owners whose published articles are due for review; each reminder is claimed once.

    A failed send leaves its articles unclaimed for the next run, so no autoretry here.
    """
    return services.article_review_reminders_send(now=timezone.now())
