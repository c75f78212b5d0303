"""Self-service report figures on constructed histories, with exact expected values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.models import User
from kb import reports, services
from kb.models import Article, ArticleInsertion, DeflectionAttempt, SearchLog
from tests.factories import CategoryFactory, CustomerFactory, TicketFactory
from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
START, END = NOW - timedelta(days=30), NOW
WINDOW = reports.DEFLECTION_WINDOW


def _published(agent: User, title: str, **fields: object) -> Article:
    draft = services.article_create(actor=agent, title=title, **fields)
    return services.article_publish(article_id=draft.pk, actor=agent, now=NOW - timedelta(days=1))


def _log(
    query: str,
    results: int,
    *,
    at: datetime,
    visitor: str = "",
    user: User | None = None,
    clicked: Article | None = None,
    clicked_at: datetime | None = None,
) -> SearchLog:
    log = services.search_log_record(query=query, result_count=results, user=user, session_key=visitor)
    SearchLog.objects.filter(pk=log.pk).update(created_at=at, clicked_article=clicked, clicked_at=clicked_at)
    return log


def _ticket(requester: User, *, at: datetime, **fields: object) -> Ticket:
    ticket = TicketFactory(requester=requester, **fields)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
    return ticket


def test_search_figures_top_zero_result_and_no_click(agent: User) -> None:
    # given: 5 searches in the period (2 clicked, 2 zero-result), 1 before it
    article = _published(agent, "Reset your password")
    at = NOW - timedelta(days=2)
    _log("password", 3, at=at, visitor="a", clicked=article, clicked_at=at)
    _log("password", 3, at=at, visitor="b", clicked=article, clicked_at=at)
    _log("password", 1, at=at, visitor="c")
    _log("refund", 0, at=at, visitor="d")
    _log("refund", 0, at=at, visitor="e")
    _log("old", 0, at=START - timedelta(seconds=1), visitor="f")
    # when
    summary = reports.search_summary(start=START, end=END)
    top = reports.top_searches(start=START, end=END)
    zero = reports.zero_result_searches(start=START, end=END)
    no_click = reports.searches_without_click(start=START, end=END)
    # then
    assert summary.searches == 5
    assert (summary.success.numerator, summary.success.denominator) == (2, 5)
    assert summary.success.tone == "watch"  # 40%: under the 60% target, not below the 40% warning
    assert (summary.zero_result.numerator, summary.zero_result.value) == (2, 0.4)
    assert summary.zero_result.tone == "bad"  # above the 20% warning
    assert [(row.query, row.searches, row.clicks) for row in top] == [("password", 3, 2), ("refund", 2, 0)]
    assert top[0].average_results == pytest.approx(7 / 3)
    assert [(row.query, row.searches) for row in zero] == [("refund", 2)]
    assert no_click == []  # "password" found results and was clicked at least once


def test_a_query_with_results_never_clicked_is_listed(agent: User) -> None:
    # given
    at = NOW - timedelta(hours=3)
    _log("invoice pdf", 4, at=at, visitor="a")
    _log("invoice pdf", 4, at=at, visitor="b")
    # when
    rows = reports.searches_without_click(start=START, end=END)
    # then
    assert [(row.query, row.searches, row.clicks) for row in rows] == [("invoice pdf", 2, 0)]


def test_target_tones_follow_the_reference_table() -> None:
    target = reports.TARGETS["search_success"]  # 60%+ good, below 40% warning
    zero = reports.TARGETS["zero_result"]  # under 10% good, above 20% warning
    assert [target.tone(v) for v in (0.6, 0.5, 0.4, 0.39, None)] == ["good", "watch", "watch", "bad", "none"]
    assert [zero.tone(v) for v in (0.05, 0.1, 0.2, 0.21)] == ["good", "watch", "watch", "bad"]


def test_deflection_counts_settled_sessions_without_a_ticket(agent: User, customer: User) -> None:
    # given
    article = _published(agent, "Export invoices")
    opened = NOW - timedelta(days=3)
    # 1. anonymous visitor reads an article and never files: deflected
    _log("export", 2, at=opened, visitor="anon", clicked=article, clicked_at=opened)
    # 2. a visitor searches anonymously, signs in later (same visitor id), files 20 minutes later
    _log("invoice", 2, at=opened, visitor="later", clicked=article, clicked_at=opened)
    _log("invoice", 2, at=opened + timedelta(minutes=5), visitor="later", user=customer)
    _ticket(customer, at=opened + timedelta(minutes=20))
    # 3. a signed-in customer reads and files two hours later: outside the window, deflected
    other = CustomerFactory()
    _log("pdf", 1, at=opened, visitor="o", user=other, clicked=article, clicked_at=opened)
    _ticket(other, at=opened + WINDOW + timedelta(hours=1))
    # 4. a portal attempt: opened a suggestion, left
    left = CustomerFactory()
    DeflectionAttempt.objects.create(
        token="t" * 32,
        user=left,
        visitor="p",
        suggested=True,
        opened_article=article,
        opened_at=opened,
        started_at=opened,
        updated_at=opened,
    )
    # 5. a session still inside its window: counted, not settled
    _log(
        "recent",
        1,
        at=NOW - timedelta(minutes=10),
        visitor="r",
        clicked=article,
        clicked_at=NOW - timedelta(minutes=10),
    )
    # 6. a search without a click is not a self-service session
    _log("nothing", 0, at=opened, visitor="n")
    # when
    result = reports.deflection(start=START, end=END, now=NOW)
    # then
    assert (result.sessions, result.settled, result.deflected) == (5, 4, 3)
    assert result.rate.value == 0.75
    assert result.rate.tone == "good"


def test_portal_funnel_filed_anyway_or_left(agent: User) -> None:
    # given
    article = _published(agent, "Export invoices")
    t0 = NOW - timedelta(days=1)
    filed, left, pending, unopened = (CustomerFactory() for _ in range(4))
    common = {"suggested": True, "started_at": t0, "updated_at": t0}
    DeflectionAttempt.objects.create(
        token="f" * 32, user=filed, opened_article=article, opened_at=t0, **common
    )
    _ticket(filed, at=t0 + timedelta(minutes=3), source="portal-form", external_id="f" * 32)
    DeflectionAttempt.objects.create(
        token="l" * 32, user=left, opened_article=article, opened_at=t0, **common
    )
    DeflectionAttempt.objects.create(
        token="p" * 32,
        user=pending,
        opened_article=article,
        opened_at=NOW - timedelta(minutes=5),
        suggested=True,
        started_at=NOW - timedelta(minutes=6),
        updated_at=NOW - timedelta(minutes=5),
    )
    DeflectionAttempt.objects.create(token="u" * 32, user=unopened, **common)
    DeflectionAttempt.objects.create(
        token="n" * 32, user=unopened, suggested=False, started_at=t0, updated_at=t0
    )
    # when
    funnel = reports.portal_funnel(start=START, end=END, now=NOW)
    # then: the unsuggested form is not an attempt; the pending one is not settled yet
    assert (funnel.attempts, funnel.opened, funnel.filed, funnel.left) == (4, 3, 1, 1)
    assert (funnel.rate.numerator, funnel.rate.denominator) == (1, 3)


def test_coverage_lists_busy_categories_without_an_article(agent: User, customer: User) -> None:
    # given
    billing, login, quiet = CategoryFactory(name="Billing"), CategoryFactory(name="Login"), CategoryFactory()
    _published(agent, "Update your card", ticket_categories=[billing])
    week = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # a Monday
    for i in range(10):
        _ticket(customer, at=week + timedelta(hours=i), category=billing)
        _ticket(customer, at=week + timedelta(hours=i), category=login)
    for i in range(9):  # nine a week is below the gap threshold
        _ticket(customer, at=week - timedelta(days=7) + timedelta(hours=i), category=quiet)
    # when
    result = reports.coverage(start=START, end=END)
    # then
    assert (result.categories, result.covered) == (3, 1)
    assert [(gap.category.name, gap.tickets, gap.busiest_week.date()) for gap in result.gaps] == [
        ("Login", 10, week.date())
    ]


def test_freshness_and_helpfulness(agent: User) -> None:
    # given
    fresh = _published(agent, "Fresh")
    stale = _published(agent, "Stale")
    Article.objects.filter(pk=stale.pk).update(
        review_due_at=NOW - timedelta(days=1), helpful_yes=1, helpful_no=3
    )
    Article.objects.filter(pk=fresh.pk).update(helpful_yes=4, helpful_no=0)
    # when
    freshness, stale_list = reports.content_freshness(now=NOW)
    helpfulness, rated = reports.article_helpfulness()
    # then
    assert (freshness.numerator, freshness.denominator) == (1, 2)
    assert [a.title for a in stale_list] == ["Stale"]
    assert (helpfulness.numerator, helpfulness.denominator) == (5, 8)
    assert [a.title for a in rated] == ["Stale", "Fresh"]  # least helpful first


def test_knowledge_assisted_counts_inserted_links_that_were_sent(agent: User, customer: User) -> None:
    # given
    article = _published(agent, "Export invoices")
    sent = ticket_services.ticket_create(requester=customer, subject="PDF?", actor=customer)
    unsent = ticket_services.ticket_create(requester=customer, subject="PDF again", actor=customer)
    services.article_insertion_record(article_id=article.pk, ticket_id=sent.pk, agent=agent)
    services.article_insertion_record(article_id=article.pk, ticket_id=unsent.pk, agent=agent)
    ticket_services.message_create(
        ticket_id=sent.pk, author=agent, body=f"See [Export](http://x/help/articles/{article.slug}/)"
    )
    ticket_services.message_create(
        ticket_id=unsent.pk, author=agent, body=f"Note: /help/articles/{article.slug}/", visibility="internal"
    )
    # when
    replies, tickets = reports.knowledge_assisted(start=START, end=datetime.now(UTC) + timedelta(minutes=1))
    # then
    assert (replies, tickets) == (1, 1)
    assert ArticleInsertion.objects.count() == 2
