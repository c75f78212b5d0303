"""Self-service reports: what customers search for, what they find, and what it saves the team.

Every figure here is defined in docs/kb.md with its formula; the targets and warning levels are the
reference's "Knowledge Base Metrics" table. Reads only: searches and suggestion attempts from kb,
tickets and public replies from tickets (kb may read tickets; tickets never reads kb).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Concat, TruncWeek

from kb.models import Article, ArticleInsertion, ArticleState, SearchLog
from tickets.models import AuthorKind, MessageVisibility, Ticket, TicketMessage
from tickets.models import Category as TicketCategory

# A visitor who opened an article and filed no ticket within this long afterwards was deflected.
DEFLECTION_WINDOW = timedelta(hours=1)
# "10+ tickets on same topic/week → create new article" (reference, Knowledge Creation from Support).
COVERAGE_GAP_TICKETS_PER_WEEK = 10
PORTAL_SOURCE = "portal-form"  # tickets.portal.PORTAL_SOURCE: the form token is the external id
ARTICLE_LINK = "/help/articles/"


@dataclass(frozen=True)
class Target:
    """A reference target and warning level; `higher_is_better` says which way is good."""

    target: float
    warning: float
    higher_is_better: bool = True

    def tone(self, value: float | None) -> str:
        """Return "good", "watch" or "bad" for a figure (a fraction), or "none" without data."""
        if value is None:
            return "none"
        if self.higher_is_better:
            return "good" if value >= self.target else "bad" if value < self.warning else "watch"
        return "good" if value < self.target else "bad" if value > self.warning else "watch"


# Reference "Knowledge Base Metrics": target / warning.
TARGETS: dict[str, Target] = {
    "deflection": Target(0.30, 0.20),
    "helpfulness": Target(0.80, 0.60),
    "search_success": Target(0.60, 0.40),
    "zero_result": Target(0.10, 0.20, higher_is_better=False),
    "coverage": Target(0.80, 0.50),
    "freshness": Target(0.90, 0.70),
}


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    target: Target

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def tone(self) -> str:
        return self.target.tone(self.value)


@dataclass(frozen=True)
class SearchSummary:
    searches: int
    success: Rate  # searches with a click ÷ searches
    zero_result: Rate  # searches with no result ÷ searches


@dataclass(frozen=True)
class QueryRow:
    query: str
    searches: int
    clicks: int
    average_results: float


@dataclass(frozen=True)
class Deflection:
    sessions: int  # self-service sessions in the period (visitor × day with an article opened)
    settled: int  # of those, whose window has closed
    deflected: int  # settled sessions with no ticket filed within the window
    rate: Rate


@dataclass(frozen=True)
class PortalFunnel:
    attempts: int  # new-ticket forms that were shown at least one suggestion
    opened: int  # … where the customer opened a suggested article
    filed: int  # … that became a ticket anyway
    left: int  # opened a suggestion, then filed nothing within the window (settled only)
    rate: Rate  # left ÷ settled attempts


@dataclass(frozen=True)
class CoverageGap:
    category: TicketCategory
    busiest_week: datetime
    tickets: int


@dataclass(frozen=True)
class Coverage:
    categories: int  # ticket categories with tickets in the period
    covered: int  # … with at least one published article answering them
    rate: Rate
    gaps: list[CoverageGap]  # ≥ 10 tickets in one week and no published article


def _searches(start: datetime, end: datetime) -> QuerySet[SearchLog]:
    return SearchLog.objects.filter(created_at__gte=start, created_at__lt=end)


def search_summary(*, start: datetime, end: datetime) -> SearchSummary:
    totals = _searches(start, end).aggregate(
        searches=Count("id"),
        clicked=Count("id", filter=Q(clicked_article__isnull=False)),
        zero=Count("id", filter=Q(result_count=0)),
    )
    searches = totals["searches"]
    return SearchSummary(
        searches=searches,
        success=Rate(totals["clicked"], searches, TARGETS["search_success"]),
        zero_result=Rate(totals["zero"], searches, TARGETS["zero_result"]),
    )


def _query_rows(logs: QuerySet[SearchLog], *, limit: int) -> list[QueryRow]:
    rows = (
        logs.values("query")
        .annotate(
            searches=Count("id"),
            clicks=Count("id", filter=Q(clicked_article__isnull=False)),
            average_results=Avg("result_count"),
        )
        .order_by("-searches", "query")[:limit]
    )
    return [
        QueryRow(
            query=row["query"],
            searches=row["searches"],
            clicks=row["clicks"],
            average_results=float(row["average_results"] or 0),
        )
        for row in rows
    ]


def top_searches(*, start: datetime, end: datetime, limit: int = 20) -> list[QueryRow]:
    """The most frequent normalized queries (are we covering these?)."""
    return _query_rows(_searches(start, end), limit=limit)


def zero_result_searches(*, start: datetime, end: datetime, limit: int = 20) -> list[QueryRow]:
    """Queries that found nothing: content gaps, or synonyms to add."""
    return _query_rows(_searches(start, end).filter(result_count=0), limit=limit)


def searches_without_click(*, start: datetime, end: datetime, limit: int = 20) -> list[QueryRow]:
    """Queries that found articles nobody opened: poor titles, snippets or ranking."""
    logs = _searches(start, end).filter(result_count__gt=0)
    clicked = logs.filter(clicked_article__isnull=False).values("query")
    return _query_rows(logs.exclude(query__in=clicked), limit=limit)


def article_helpfulness(*, limit: int = 50) -> tuple[Rate, list[Article]]:
    """Yes ÷ (yes + no) over all published articles, and the articles with votes, worst first."""
    published = Article.objects.filter(state=ArticleState.PUBLISHED)
    totals = published.aggregate(yes=Sum("helpful_yes"), no=Sum("helpful_no"))
    yes, no = totals["yes"] or 0, totals["no"] or 0
    voted = (
        published.annotate(votes=F("helpful_yes") + F("helpful_no"))
        .filter(votes__gt=0)
        .annotate(ratio=ExpressionWrapper(F("helpful_yes") * 1.0 / F("votes"), output_field=FloatField()))
        .order_by("ratio", "-votes", "title")
        .only("title", "slug", "helpful_yes", "helpful_no", "view_count")[:limit]
    )
    return Rate(yes, yes + no, TARGETS["helpfulness"]), list(voted)


def article_views(*, limit: int = 20) -> list[Article]:
    """The most read published articles (views since publication)."""
    return list(
        Article.objects.filter(state=ArticleState.PUBLISHED)
        .order_by("-view_count", "title")
        .only("title", "slug", "view_count", "helpful_yes", "helpful_no", "visibility")[:limit]
    )


def content_freshness(*, now: datetime) -> tuple[Rate, list[Article]]:
    """Published articles reviewed within six months (review date not passed), and the stale ones."""
    published = Article.objects.filter(state=ArticleState.PUBLISHED)
    stale = published.filter(Q(review_due_at__lte=now) | Q(review_due_at__isnull=True))
    total = published.count()
    stale_list = list(stale.select_related("owner").order_by("review_due_at", "title")[:50])
    stale_count = stale.count() if len(stale_list) == 50 else len(stale_list)
    return Rate(total - stale_count, total, TARGETS["freshness"]), stale_list


_DEFLECTION_SQL = """
WITH opens AS (
    SELECT session_key AS visitor, user_id, clicked_at AS at
      FROM kb_searchlog
     WHERE clicked_at >= %(start)s AND clicked_at < %(end)s AND session_key <> ''
    UNION ALL
    SELECT COALESCE(NULLIF(visitor, ''), 'user:' || user_id), user_id, opened_at
      FROM kb_deflectionattempt
     WHERE opened_at >= %(start)s AND opened_at < %(end)s
),
known AS (
    -- who an anonymous visitor turned out to be: any log of theirs made while signed in
    SELECT visitor, max(user_id) AS user_id FROM (
        SELECT session_key AS visitor, user_id FROM kb_searchlog
         WHERE user_id IS NOT NULL AND session_key <> ''
           AND created_at >= %(start)s AND created_at < %(end_window)s
        UNION ALL
        SELECT visitor, user_id FROM kb_deflectionattempt
         WHERE visitor <> '' AND started_at >= %(start)s AND started_at < %(end_window)s
    ) seen GROUP BY visitor
),
sessions AS (
    SELECT o.visitor, COALESCE(max(o.user_id), max(k.user_id)) AS user_id,
           min(o.at) AS first_at, max(o.at) AS last_at
      FROM opens o LEFT JOIN known k ON k.visitor = o.visitor
     GROUP BY o.visitor, date_trunc('day', o.at)
)
SELECT count(*),
       count(*) FILTER (WHERE s.last_at + %(window)s <= %(now)s),
       count(*) FILTER (
           WHERE s.last_at + %(window)s <= %(now)s
             AND NOT EXISTS (
                 SELECT 1 FROM tickets_ticket t
                  WHERE s.user_id IS NOT NULL AND t.requester_id = s.user_id
                    AND t.created_at >= s.first_at AND t.created_at <= s.last_at + %(window)s
             )
       )
  FROM sessions s
"""


def deflection(*, start: datetime, end: datetime, now: datetime) -> Deflection:
    """Self-service sessions that filed no ticket within the window after reading an article.

    A session is one visitor on one (UTC) day who opened an article from a help-centre search or
    a portal suggestion. It counts once its window has closed ("settled"); a ticket filed by the
    visitor (once signed in) between the first opened article and the window's end undoes it.
    """
    params = {
        "start": start,
        "end": end,
        "end_window": end + DEFLECTION_WINDOW,
        "window": DEFLECTION_WINDOW,
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DEFLECTION_SQL, params)
        sessions, settled, deflected = cursor.fetchone()
    return Deflection(
        sessions=sessions,
        settled=settled,
        deflected=deflected,
        rate=Rate(deflected, settled, TARGETS["deflection"]),
    )


_FUNNEL_SQL = """
WITH attempts AS (
    SELECT a.opened_at, a.updated_at,
           EXISTS (
               SELECT 1 FROM tickets_ticket t
                WHERE (t.source = %(source)s AND t.external_id = a.token)
                   OR (t.requester_id = a.user_id AND t.created_at >= a.started_at
                       AND t.created_at <= COALESCE(a.opened_at, a.started_at) + %(window)s)
           ) AS filed
      FROM kb_deflectionattempt a
     WHERE a.started_at >= %(start)s AND a.started_at < %(end)s AND a.suggested
)
SELECT count(*),
       count(*) FILTER (WHERE opened_at IS NOT NULL),
       count(*) FILTER (WHERE filed),
       count(*) FILTER (WHERE NOT filed AND opened_at <= %(settled)s AND updated_at <= %(settled)s),
       count(*) FILTER (WHERE filed OR (updated_at <= %(settled)s
                                        AND COALESCE(opened_at, updated_at) <= %(settled)s))
  FROM attempts
"""


def portal_funnel(*, start: datetime, end: datetime, now: datetime) -> PortalFunnel:
    """New-ticket forms that showed suggestions: opened one, filed anyway, or left.

    Filed anyway: a ticket carries the form's token, or the customer filed any ticket between the
    form's start and one window after the article they opened. Left: opened a suggestion, filed
    nothing, and the window has closed. Settled: filed, or quiet for a whole window.
    """
    params = {
        "source": PORTAL_SOURCE,
        "window": DEFLECTION_WINDOW,
        "start": start,
        "end": end,
        "settled": now - DEFLECTION_WINDOW,
    }
    with connection.cursor() as cursor:
        cursor.execute(_FUNNEL_SQL, params)
        attempts, opened, filed, left, settled = cursor.fetchone()
    return PortalFunnel(
        attempts=attempts,
        opened=opened,
        filed=filed,
        left=left,
        rate=Rate(left, settled, TARGETS["deflection"]),
    )


def coverage(*, start: datetime, end: datetime) -> Coverage:
    """Ticket categories seen in the period with a published article answering them, and the gaps.

    A gap is a category with at least ten tickets in one week (Monday-based) of the period and no
    published article linked to it (`Article.ticket_categories`).
    """
    answered = Article.objects.filter(state=ArticleState.PUBLISHED, ticket_categories=OuterRef("pk"))
    seen = (
        TicketCategory.objects.filter(
            Exists(Ticket.objects.filter(category=OuterRef("pk"), created_at__gte=start, created_at__lt=end))
        )
        .annotate(covered=Exists(answered))
        .values_list("pk", "covered")
    )
    covered_by_pk = dict(seen)
    weekly = (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end, category__isnull=False)
        .annotate(week=TruncWeek("created_at"))
        .values("category", "week")
        .annotate(tickets=Count("id"))
        .filter(tickets__gte=COVERAGE_GAP_TICKETS_PER_WEEK)
        .order_by("category", "-tickets", "-week")
    )
    busiest: dict[int, tuple[datetime, int]] = {}
    for row in weekly:
        if not covered_by_pk.get(row["category"], True):
            busiest.setdefault(row["category"], (row["week"], row["tickets"]))
    categories = TicketCategory.objects.in_bulk(list(busiest))
    gaps = sorted(
        (
            CoverageGap(category=categories[pk], busiest_week=week, tickets=count)
            for pk, (week, count) in busiest.items()
        ),
        key=lambda gap: (-gap.tickets, gap.category.name),
    )
    covered = sum(1 for is_covered in covered_by_pk.values() if is_covered)
    return Coverage(
        categories=len(covered_by_pk),
        covered=covered,
        rate=Rate(covered, len(covered_by_pk), TARGETS["coverage"]),
        gaps=gaps,
    )


def knowledge_assisted(*, start: datetime, end: datetime) -> tuple[int, int]:
    """Return (article links agents inserted and then sent in a public reply, tickets they were on)."""
    sent = TicketMessage.objects.filter(
        ticket=OuterRef("ticket"),
        visibility=MessageVisibility.PUBLIC,
        author_kind=AuthorKind.AGENT,
        created_at__gte=OuterRef("inserted_at"),
        body__contains=Concat(Value(ARTICLE_LINK), OuterRef("article__slug"), Value("/")),
    )
    totals = (
        ArticleInsertion.objects.filter(inserted_at__gte=start, inserted_at__lt=end)
        .filter(Exists(sent))
        .aggregate(replies=Count("id"), tickets=Count("ticket", distinct=True))
    )
    return totals["replies"], totals["tickets"]
