"""Owners hear about reviews once per review date: a week ahead and once it has passed."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from smtplib import SMTPException
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import connection

from config.celery import app as celery_app
from helpdesk.models import User
from kb import services
from kb.models import REVIEW_INTERVAL, Article, ArticleState
from kb.services import reviews
from kb.tasks import remind_review_due_task
from tests.factories import AgentFactory

NOW = datetime.fromisoformat("2026-06-01T09:00:00+00:00")


def publish(owner: User, title: str, *, due_at: datetime) -> Article:
    """Publish an article through the services so that its review falls due at `due_at`."""
    article = services.article_create(actor=owner, title=title, body="x")
    return services.article_publish(article_id=article.pk, actor=owner, now=due_at - REVIEW_INTERVAL)


@pytest.mark.django_db
def test_an_overdue_article_is_reminded_once(agent: User) -> None:
    # given
    article = publish(agent, "Reset your password", due_at=NOW - timedelta(days=1))
    # when: the hourly run, twice
    first = services.article_review_reminders_send(now=NOW)
    second = services.article_review_reminders_send(now=NOW + timedelta(hours=1))
    # then
    assert (first, second) == (1, 0)
    [message] = mail.outbox
    assert message.to == [agent.email]
    assert message.subject == "[Helpdesk] 1 knowledge-base article is due for review"
    assert "past their review date" in message.body
    assert "Reset your password" in message.body
    assert f"/help/manage/articles/{article.pk}/" in message.body
    article.refresh_from_db()
    assert article.review_reminded_at == NOW


@pytest.mark.django_db
def test_a_week_ahead_then_once_more_when_the_date_passes(agent: User) -> None:
    # given: due in three days
    publish(agent, "Export invoices", due_at=NOW + timedelta(days=3))
    # when: runs before, across and after the due date
    counts = [
        services.article_review_reminders_send(now=NOW - timedelta(days=5)),  # more than a week ahead
        services.article_review_reminders_send(now=NOW),  # within the week
        services.article_review_reminders_send(now=NOW + timedelta(days=1)),
        services.article_review_reminders_send(now=NOW + timedelta(days=3, hours=1)),  # passed
        services.article_review_reminders_send(now=NOW + timedelta(days=30)),
    ]
    # then
    assert counts == [0, 1, 0, 1, 0]
    assert ["within a week" in message.body for message in mail.outbox] == [True, False]
    assert ["past their review date" in message.body for message in mail.outbox] == [False, True]


@pytest.mark.django_db
def test_marking_reviewed_starts_a_new_period(agent: User) -> None:
    # given: reminded about an overdue review, then reviewed
    article = publish(agent, "Export invoices", due_at=NOW - timedelta(days=1))
    services.article_review_reminders_send(now=NOW)
    services.article_mark_reviewed(article_id=article.pk, actor=agent, now=NOW)
    # when: the next due date comes round
    next_due = NOW + REVIEW_INTERVAL
    counts = [
        services.article_review_reminders_send(now=NOW + timedelta(days=1)),
        services.article_review_reminders_send(now=next_due - timedelta(days=2)),
        services.article_review_reminders_send(now=next_due + timedelta(hours=1)),
    ]
    # then
    assert counts == [0, 1, 1]
    assert len(mail.outbox) == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("_case", "move"),
    [
        ("draft", services.article_return_to_draft),
        ("archived", services.article_archive),
    ],
)
def test_unpublished_articles_are_not_reminded(agent: User, _case: str, move: Any) -> None:
    # given: an overdue review date left on an article that is no longer published
    article = publish(agent, "Old", due_at=NOW - timedelta(days=1))
    move(article_id=article.pk, actor=agent)
    # when
    sent = services.article_review_reminders_send(now=NOW)
    # then
    assert sent == 0
    assert mail.outbox == []
    article.refresh_from_db()
    assert article.review_reminded_at is None


@pytest.mark.django_db
def test_one_email_per_owner_listing_their_articles(agent: User, other_agent: User) -> None:
    # given
    publish(agent, "Overdue one", due_at=NOW - timedelta(days=2))
    publish(agent, "Soon one", due_at=NOW + timedelta(days=2))
    publish(other_agent, "Theirs", due_at=NOW - timedelta(days=2))
    publish(agent, "Fresh", due_at=NOW + timedelta(days=90))
    # when
    sent = services.article_review_reminders_send(now=NOW)
    # then
    assert sent == 3
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_recipient) == sorted([agent.email, other_agent.email])
    mine = by_recipient[agent.email]
    assert mine.subject == "[Helpdesk] 2 knowledge-base articles are due for review"
    assert "Overdue one" in mine.body
    assert "Soon one" in mine.body
    assert "Fresh" not in mine.body
    assert (
        mine.body.index("past their review date")
        < mine.body.index("Overdue one")
        < mine.body.index("Soon one")
    )


@pytest.mark.django_db
def test_a_failed_send_is_retried_by_the_next_run(agent: User) -> None:
    # given
    article = publish(agent, "Export invoices", due_at=NOW - timedelta(days=1))
    # when: the mail server refuses the first time
    with mock.patch("kb.services.reviews.send_mail", side_effect=SMTPException("down")):
        failed = services.article_review_reminders_send(now=NOW)
    article.refresh_from_db()
    claimed_after_failure = article.review_reminded_at
    retried = services.article_review_reminders_send(now=NOW + timedelta(hours=1))
    # then
    assert (failed, claimed_after_failure, retried) == (0, None, 1)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_inactive_owner_gets_no_mail_and_is_not_asked_again(agent: User) -> None:
    owner = AgentFactory(email="left@helpdesk.test")
    publish(owner, "Orphan", due_at=NOW - timedelta(days=1))
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert services.article_review_reminders_send(now=NOW) == 1
    assert services.article_review_reminders_send(now=NOW + timedelta(hours=1)) == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_send_once() -> None:
    # given: an overdue article, and a mail server slow enough that two runs overlap
    owner = AgentFactory(email="owner@helpdesk.test")
    publish(owner, "Export invoices", due_at=NOW - timedelta(days=1))
    first_run_sending, release = threading.Event(), threading.Event()
    real_send = reviews.send_mail

    def slow_send(**kwargs: Any) -> int:
        first_run_sending.set()
        assert release.wait(10)
        return real_send(**kwargs)

    results: dict[str, int] = {}

    def run(name: str) -> None:
        try:
            results[name] = services.article_review_reminders_send(now=NOW)
        finally:
            connection.close()

    # when: run A is sending (its claim uncommitted) while run B tries to claim the same article
    with mock.patch("kb.services.reviews.send_mail", side_effect=slow_send):
        run_a = threading.Thread(target=run, args=("a",))
        run_a.start()
        assert first_run_sending.wait(10)
        run_b = threading.Thread(target=run, args=("b",))
        run_b.start()
        run_b.join(0.5)  # B is blocked on A's claimed row, not finished
        assert run_b.is_alive()
        release.set()
        run_a.join(10)
        run_b.join(10)
    # then
    assert results == {"a": 1, "b": 0}
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_task_sends_due_reminders(agent: User) -> None:
    # given: a review that passed yesterday (real time: the task reads the clock)
    from django.utils import timezone

    publish(agent, "Export invoices", due_at=timezone.now() - timedelta(days=1))
    # when
    sent = remind_review_due_task()
    # then
    assert sent == 1
    assert len(mail.outbox) == 1


def test_the_task_is_scheduled_hourly_under_its_stable_name() -> None:
    entry = celery_app.conf.beat_schedule["kb-remind-review-due"]
    assert (entry["task"], entry["schedule"]) == ("kb.remind_review_due", 3600.0)
    assert remind_review_due_task.name == "kb.remind_review_due"


@pytest.mark.django_db
def test_publishing_leaves_earlier_reminders_behind(agent: User) -> None:
    # given: reminded, archived, then published again (a new review date six months out)
    article = publish(agent, "Export invoices", due_at=NOW - timedelta(days=1))
    services.article_review_reminders_send(now=NOW)
    services.article_archive(article_id=article.pk, actor=agent)
    services.article_publish(article_id=article.pk, actor=agent, now=NOW)
    # when
    sent = services.article_review_reminders_send(now=NOW + timedelta(hours=1))
    # then
    assert sent == 0
    article.refresh_from_db()
    assert (article.state, article.review_due_at) == (ArticleState.PUBLISHED, NOW + REVIEW_INTERVAL)
