"""Help-centre search: full text first, then typo correction, then trigram titles.

1. The normalized query is split into words; words (and two-word phrases) with Synonym rows become
   OR-groups, and the groups are ANDed (`plainto_tsquery`, english stemming, so "invoices" finds
   "invoice"), ranked by ts_rank_cd over the weighted vector (title A > summary/keywords B > body C).
2. No match: words missing from the published vocabulary (SearchTerm) are replaced by their
   nearest trigram neighbour ("pasword" → "password") and the AND query runs again; the corrected
   text is offered as "did you mean".
3. Still nothing: the groups are ORed, so a question with an extra word still finds something.
4. Fewer than MIN_HITS: titles similar to the query (pg_trgm word similarity) fill up the list.

Snippets come from ts_headline over the few rows shown, in a second query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import Cast
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.models import User
from kb import selectors
from kb.content import normalize_query, query_tokens
from kb.models import Article, SearchTerm, Synonym

CONFIG = "english"
MIN_HITS = 3
CANDIDATES = 100
CORRECTION_SIMILARITY = 0.3
TITLE_WORD_SIMILARITY = 0.45
# Private-use characters mark highlights inside ts_headline output, so the text can be escaped
# before the marks become <mark> tags.
_OPEN, _CLOSE = "\ue000", "\ue001"


@dataclass(frozen=True, slots=True)
class SearchHit:
    article: Article
    title_html: SafeString
    snippet_html: SafeString


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str  # normalized
    hits: list[SearchHit] = field(default_factory=list)
    did_you_mean: str = ""  # the corrected query the results are for, when one was needed


@dataclass(frozen=True, slots=True)
class Suggestion:
    title: str
    slug: str
    summary: str


def _singular(word: str) -> str:
    # Enough stemming to match a Synonym row's "receipt" with a query's "receipts"; the tsquery
    # itself uses Postgres' english stemmer.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _key(phrase: str) -> str:
    return " ".join(_singular(word) for word in phrase.split())


def synonym_map() -> dict[str, list[str]]:
    """Return term → alternatives, both ways round (a synonym also finds the term).

    Keys are singularized word by word, so "receipts" finds the row for "receipt".
    """
    mapping: dict[str, set[str]] = {}
    for term, synonyms in Synonym.objects.values_list("term", "synonyms"):
        group = {normalize_query(term), *(normalize_query(s) for s in synonyms)} - {""}
        for word in group:
            mapping.setdefault(_key(word), set()).update(group - {word})
    return {word: sorted(alternatives) for word, alternatives in mapping.items()}


def _groups(tokens: list[str], synonyms: dict[str, list[str]]) -> list[list[str]]:
    groups, index = [], 0
    while index < len(tokens):
        pair = " ".join(tokens[index : index + 2])
        if index + 1 < len(tokens) and _key(pair) in synonyms:
            groups.append([pair, *synonyms[_key(pair)]])
            index += 2
            continue
        groups.append([tokens[index], *synonyms.get(_key(tokens[index]), [])])
        index += 1
    return groups


def _tsquery(groups: list[list[str]], *, match_all: bool) -> SearchQuery:
    def alternatives(group: list[str]) -> SearchQuery:
        return reduce(
            lambda left, right: left | right,
            (SearchQuery(word, config=CONFIG, search_type="plain") for word in group),
        )

    combine = (lambda left, right: left & right) if match_all else (lambda left, right: left | right)
    return reduce(combine, (alternatives(group) for group in groups))


def _candidates(articles: QuerySet[Article], query: SearchQuery) -> QuerySet[Article]:
    # Ranking reads every matching vector; a query that matches thousands of articles ("open the
    # settings") would take hundreds of ms. So only a bounded candidate set is ranked: the first
    # CANDIDATES title/summary/keyword matches (small title_vector with its own GIN index), plus
    # the first CANDIDATES matches anywhere, so body-only hits still surface. Neither subquery is
    # ordered: ordering would read every match, which is what the LIMIT is there to avoid.
    by_title = articles.filter(title_vector=query).order_by().values("pk")[:CANDIDATES]
    by_body = articles.filter(search_vector=query).order_by().values("pk")[:CANDIDATES]
    return articles.filter(pk__in=by_title.union(by_body))


def _ranked(articles: QuerySet[Article], query: SearchQuery, text: str, limit: int) -> list[Article]:
    rank = SearchRank(F("search_vector"), query, cover_density=True) + 0.1 * Cast(
        TrigramWordSimilarity(text, "title"), FloatField()
    )
    return list(
        _candidates(articles, query)
        .defer("body", "body_html", "body_text")
        .annotate(rank=rank)
        .order_by("-rank", "-view_count", "pk")[:limit]
    )


def _correct(tokens: list[str]) -> list[str]:
    known = set(SearchTerm.objects.filter(word__in=tokens).values_list("word", flat=True))
    corrected = []
    for token in tokens:
        if token in known or len(token) < 3 or token.isdigit():
            corrected.append(token)
            continue
        best = (
            SearchTerm.objects.filter(word__trigram_similar=token)
            .annotate(similarity=TrigramSimilarity("word", token))
            .filter(similarity__gte=CORRECTION_SIMILARITY)
            .order_by("-similarity", "word")
            .values_list("word", flat=True)
            .first()
        )
        corrected.append(best or token)
    return corrected


def _marked(text: str) -> SafeString:
    return mark_safe(  # noqa: S308 - escaped first; only our own markers become tags
        escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    )


def _with_snippets(articles: list[Article], query: SearchQuery | None) -> list[SearchHit]:
    if not articles:
        return []
    if query is None:
        return [SearchHit(a, escape(a.title), escape(a.summary)) for a in articles]
    options = {"config": CONFIG, "start_sel": _OPEN, "stop_sel": _CLOSE}
    headlines = dict(
        (pk, (title, body))
        for pk, title, body in Article.objects.filter(pk__in=[a.pk for a in articles])
        .annotate(
            title_hl=SearchHeadline("title", query, highlight_all=True, **options),
            body_hl=SearchHeadline(
                "body_text", query, max_words=35, min_words=15, max_fragments=2, **options
            ),
        )
        .values_list("pk", "title_hl", "body_hl")
    )
    hits = []
    for article in articles:
        title, body = headlines.get(article.pk, (article.title, ""))
        snippet = body if _OPEN in body else (article.summary or body)
        hits.append(SearchHit(article, _marked(title), _marked(snippet)))
    return hits


def article_search(query: str, *, user: User | AnonymousUser | None, limit: int = 10) -> SearchResults:
    """Return the best published articles for `query` that `user` may read, with highlighted snippets."""
    normalized = normalize_query(query)
    tokens = query_tokens(normalized)
    if not tokens:
        return SearchResults(query=normalized)
    articles = selectors.article_list_published_for(user)
    synonyms = synonym_map()
    text = " ".join(tokens)

    used = _tsquery(_groups(tokens, synonyms), match_all=True)
    found = _ranked(articles, used, text, limit)
    did_you_mean = ""
    if not found:
        corrected = _correct(tokens)
        if corrected != tokens:
            retry = _tsquery(_groups(corrected, synonyms), match_all=True)
            found = _ranked(articles, retry, " ".join(corrected), limit)
            if found:
                used, did_you_mean = retry, " ".join(corrected)
        if not found:
            used = _tsquery(_groups(corrected, synonyms), match_all=False)
            text = " ".join(corrected)
            found = _ranked(articles, used, text, limit)
            if found and corrected != tokens:
                did_you_mean = text
    if len(found) < MIN_HITS:
        seen = {article.pk for article in found}
        similar = (
            articles.filter(title__trigram_word_similar=text)
            .exclude(pk__in=seen)
            .annotate(similarity=TrigramWordSimilarity(text, "title"))
            .filter(similarity__gte=TITLE_WORD_SIMILARITY)
            .order_by("-similarity", "pk")[: limit - len(found)]
        )
        found += list(similar)
    return SearchResults(query=normalized, hits=_with_snippets(found, used), did_you_mean=did_you_mean)


_PREFIX_SAFE = re.compile(r"[^a-z0-9]")


def article_suggest(prefix: str, *, user: User | AnonymousUser | None, limit: int = 5) -> list[Suggestion]:
    """Return up to `limit` titles for an as-you-type box: every word, the last one as a prefix."""
    tokens = [_PREFIX_SAFE.sub("", token) for token in query_tokens(normalize_query(prefix))]
    tokens = [token for token in tokens if token]
    if not tokens or len("".join(tokens)) < 3:
        return []
    articles = selectors.article_list_published_for(user)
    # Title lexemes only (weight A of the small title_vector); tokens are [a-z0-9]+, so the raw
    # tsquery cannot carry operators. Every word must match, the last one as a prefix.
    *complete, last = tokens
    raw = " & ".join([*(f"{word}:A" for word in complete), f"{last}:*A"])
    query = SearchQuery(raw, config=CONFIG, search_type="raw")
    rows = list(
        articles.filter(title_vector=query)
        .annotate(rank=SearchRank(F("title_vector"), query))
        .order_by("-rank", "-view_count", "pk")
        .values_list("pk", "title", "slug", "summary")[:limit]
    )
    if len(rows) < limit:
        text = " ".join(tokens)
        rows += list(
            articles.filter(title__trigram_word_similar=text)
            .exclude(pk__in=[row[0] for row in rows])
            .annotate(similarity=TrigramWordSimilarity(text, "title"))
            .order_by("-similarity", "pk")
            .values_list("pk", "title", "slug", "summary")[: limit - len(rows)]
        )
    return [Suggestion(title=title, slug=slug, summary=summary) for _, title, slug, summary in rows]
