"""Help-centre search: full text first, then typo correction, then trigram titles.

1. The normalized query is split into words; words (and two-word phrases) with Synonym rows become
   OR-groups, and the groups are ANDed (`plainto_tsquery`, english stemming, so "invoices" finds
   "invoice"), ranked by ts_rank_cd over the weighted vector (title A > summary/keywords B > body C).
2. No match: words missing from the published vocabulary (SearchTerm) are replaced by their
   nearest trigram neighbour ("pasword" → "password") and the AND query runs again; the corrected
   text is offered as "did you mean".
3. Still nothing: the groups are ORed, so a question with an extra word still finds something.
4. Fewer than MIN_HITS: titles similar to the query (pg_trgm word similarity) fill up the list.

The statements are written by hand (compiling the ORM's SearchQuery trees cost more than running
them), and each step is one statement: the ranking picks candidates, ranks and highlights the rows
shown; after a typo the vocabulary is asked once for every unknown word, and one statement ranks
the first retry that finds anything (the corrected AND, else the OR). Which articles a reader may
see is `selectors.article_list_published_for`, whose WHERE clause is compiled into each statement.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, reduce

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.models import User
from kb import selectors
from kb.content import normalize_query, query_tokens
from kb.models import Article

MIN_HITS = 3
CANDIDATES = 100
CORRECTION_SIMILARITY = 0.3
# Private-use characters mark highlights inside ts_headline output, so the text can be escaped
# before the marks become <mark> tags.
_OPEN, _CLOSE = "\ue000", "\ue001"
# Loaded for every hit (what the previous ORM query loaded); the long text columns and the
# vectors stay in the database.
_UNLOADED_FIELDS = frozenset({"body", "body_html", "body_text", "search_vector", "title_vector"})


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


@dataclass(frozen=True, slots=True)
class _Sql:
    """A fragment of SQL with its %s parameters, in order."""

    text: str
    params: tuple[object, ...] = ()


def _value(value: object) -> _Sql:
    return _Sql("%s", (value,))


def _sql(template: str, **parts: _Sql) -> _Sql:
    """Fill `{name}` slots of `template` with fragments, keeping their parameters in text order.

    Values only ever enter as parameters: a template holds no %s of its own (and writes a literal
    % as %%), so the order of the parameters is the order of the slots.
    """
    text: list[str] = []
    params: list[object] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        text.append(literal)
        if name is not None:
            part = parts[name]
            text.append(part.text)
            params.extend(part.params)
    return _Sql("".join(text), tuple(params))


def _concat(parts: Sequence[_Sql], separator: str = " ") -> _Sql:
    return _Sql(separator.join(part.text for part in parts), tuple(p for part in parts for p in part.params))


def _fetch(statement: _Sql) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement.text, statement.params)
        return cursor.fetchall()


def _visible_to(user: User | AnonymousUser | None) -> _Sql:
    """Return the selector's WHERE clause for `user` (columns qualified with "kb_article")."""
    query = selectors.article_list_published_for(user).query
    # The clause is pasted into statements over kb_article alone; a rule that needed a join
    # would have to be written into them, so fail loudly rather than drop it.
    if set(query.alias_map) - {Article._meta.db_table}:
        raise NotImplementedError("kb.search needs the visibility rule to filter kb_article alone")
    try:
        where, params = query.get_compiler(connection=connection).compile(query.where)
    except FullResultSet:
        return _Sql("TRUE")
    except EmptyResultSet:
        return _Sql("FALSE")
    return _Sql(f"({where})", tuple(params))


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
    for term, synonyms in _fetch(_Sql("SELECT term, synonyms FROM kb_synonym")):
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


def _joined(parts: Sequence[_Sql], operator: str) -> _Sql:
    return reduce(lambda left, right: _sql(f"({{left}} {operator} {{right}})", left=left, right=right), parts)


def _tsquery(groups: list[list[str]], *, match_all: bool) -> _Sql:
    """Return the tsquery: each group's words ORed, the groups ANDed (or ORed)."""
    alternatives = [
        _joined([_sql("plainto_tsquery('english', {word})", word=_value(word)) for word in group], "||")
        for group in groups
    ]
    return _joined(alternatives, "&&" if match_all else "||")


# Ranking reads every matching vector; a query that matches thousands of articles ("open the
# settings") would take hundreds of ms. So only a bounded candidate set is ranked: the first
# CANDIDATES title/summary/keyword matches (small title_vector with its own GIN index), plus the
# first CANDIDATES matches anywhere, so body-only hits still surface. Neither subquery is ordered:
# ordering would read every match, which is what the LIMIT is there to avoid.
_RANKED = """
    SELECT a.id, a.view_count,
        ts_rank_cd(a.search_vector, {query}) + 0.1 * word_similarity({text}, a.title)::double precision AS score
    FROM kb_article a
    WHERE {gate} AND a.id IN (
        (SELECT id FROM kb_article WHERE {visible} AND title_vector @@ {query} LIMIT {candidates})
        UNION
        (SELECT id FROM kb_article WHERE {visible} AND search_vector @@ {query} LIMIT {candidates})
    )
    ORDER BY score DESC, a.view_count DESC, a.id
    LIMIT {limit}"""

# The rows shown, with ts_headline (it re-parses the text, so it runs for them alone).
_SHOWN = """
    SELECT {columns}, {variant},
        ts_headline('english', a.title, {query}, {title_options}),
        ts_headline('english', a.body_text, {query}, {body_options})
    FROM ({rows}) shown JOIN kb_article a ON a.id = shown.id
    ORDER BY shown.score DESC, shown.view_count DESC, shown.id"""

# Similar titles fill up a short list: pg_trgm's `title %> text` is word similarity of the text to
# some extent of the title ≥ pg_trgm.word_similarity_threshold (0.6 unless configured), the
# condition its title index answers. A statement of its own, run only when needed: to estimate
# `%>`, the planner computes the similarity against the column's statistics (~1 ms).
_SIMILAR_TITLES = """
    SELECT id, 0 AS view_count, word_similarity({text}, title)::double precision AS score
    FROM kb_article
    WHERE {visible} AND title %%> {text} AND id <> ALL({exclude}::bigint[])
    ORDER BY score DESC, id
    LIMIT {limit}"""

_HEADLINE = f"StartSel={_OPEN}, StopSel={_CLOSE}"
_TITLE_OPTIONS = _value(f"{_HEADLINE}, HighlightAll=true")
_BODY_OPTIONS = _value(f"{_HEADLINE}, MaxWords=35, MinWords=15, MaxFragments=2")


@cache
def _article_columns() -> tuple[list[str], _Sql]:
    fields = [f for f in Article._meta.concrete_fields if f.attname not in _UNLOADED_FIELDS]
    return [f.attname for f in fields], _Sql(", ".join(f'a."{f.column}"' for f in fields))


def _shown(rows: _Sql, *, query: _Sql, variant: _Sql = _Sql("NULL")) -> list[tuple[SearchHit, int | None]]:
    """Load the articles of `rows` (id, view_count, score) with highlights from `query`."""
    names, columns = _article_columns()
    statement = _sql(_SHOWN, columns=columns, variant=variant, query=query, rows=rows,
                     title_options=_TITLE_OPTIONS, body_options=_BODY_OPTIONS)  # fmt: skip
    shown = []
    for *values, row_variant, title, body in _fetch(statement):
        article = Article.from_db(connection.alias, names, values)
        snippet = body if _OPEN in body else (article.summary or body)
        shown.append((SearchHit(article, _marked(title), _marked(snippet)), row_variant))
    return shown


def _ranked(
    queries: Sequence[_Sql], *, text: str, visible: _Sql, limit: int
) -> tuple[list[SearchHit], int | None]:
    """Rank the first of `queries` that finds anything; return its hits and its index.

    One statement: each query after the first runs only when the ones before it found nothing.
    """
    ctes, found = [], []
    for index, query in enumerate(queries):
        name = _Sql(f"v{index}")
        gate = " AND ".join(f"NOT EXISTS (SELECT FROM v{earlier})" for earlier in range(index)) or "TRUE"
        ranked = _sql(_RANKED, query=query, text=_value(text), gate=_Sql(gate), visible=visible,
                      candidates=_value(CANDIDATES), limit=_value(limit))  # fmt: skip
        ctes.append(_sql("{name} AS ({ranked})", name=name, ranked=ranked))
        found.append(_sql("SELECT *, {index} AS variant FROM {name}", index=_value(index), name=name))
    # Highlight with the query that found the row.
    highlight = _concat([_sql(" WHEN {index} THEN {query}", index=_value(index), query=query)
                         for index, query in enumerate(queries)])  # fmt: skip
    rows = _sql("WITH {ctes} {found}", ctes=_concat(ctes, ", "), found=_concat(found, " UNION ALL "))
    shown = _shown(
        rows, query=_sql("CASE shown.variant{cases} END", cases=highlight), variant=_Sql("shown.variant")
    )
    return [hit for hit, _ in shown], (shown[0][1] if shown else None)


def _similar_titles(
    text: str, *, visible: _Sql, exclude: list[SearchHit], limit: int, highlight: _Sql
) -> list[SearchHit]:
    rows = _sql(_SIMILAR_TITLES, text=_value(text), visible=visible, limit=_value(limit),
                exclude=_value([hit.article.pk for hit in exclude]))  # fmt: skip
    return [hit for hit, _ in _shown(rows, query=highlight)]


# For each word missing from the vocabulary, its nearest neighbour: `%` (pg_trgm's
# similarity_threshold, 0.3 by default) is what the trigram index answers.
_CORRECTIONS = """
    SELECT token, (
        SELECT word FROM kb_searchterm
        WHERE word %% token AND similarity(word, token) >= {similarity}
        ORDER BY similarity(word, token) DESC, word
        LIMIT 1
    )
    FROM unnest({tokens}::text[]) AS token
    WHERE NOT EXISTS (SELECT FROM kb_searchterm WHERE word = token)"""


def _correctable(tokens: list[str]) -> list[str]:
    return sorted({token for token in tokens if len(token) >= 3 and not token.isdigit()})


def _correct(tokens: list[str]) -> list[str]:
    """Replace each word missing from the vocabulary by its nearest neighbour, in one query."""
    candidates = _correctable(tokens)
    if not candidates:
        return tokens
    statement = _sql(_CORRECTIONS, similarity=_value(CORRECTION_SIMILARITY), tokens=_value(candidates))
    corrections = {token: word for token, word in _fetch(statement) if word}
    return [corrections.get(token, token) for token in tokens]


def _marked(text: str) -> SafeString:
    return mark_safe(  # noqa: S308 - escaped first; only our own markers become tags
        escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    )


def article_search(query: str, *, user: User | AnonymousUser | None, limit: int = 10) -> SearchResults:
    """Return the best published articles for `query` that `user` may read, with highlighted snippets.

    Two queries when the words match (synonyms, then the ranking); a typo adds the vocabulary
    look-up and one more ranking; a short list adds the similar titles.
    """
    normalized = normalize_query(query)
    tokens = query_tokens(normalized)
    if not tokens:
        return SearchResults(query=normalized)
    visible = _visible_to(user)
    synonyms = synonym_map()
    groups = _groups(tokens, synonyms)
    used = _tsquery(groups, match_all=True)
    text = " ".join(tokens)
    hits, variant = _ranked([used], text=text, visible=visible, limit=limit)
    did_you_mean = ""
    if variant is None:
        corrected = _correct(tokens)
        groups = _groups(corrected, synonyms)
        retries = [_tsquery(groups, match_all=True)] if corrected != tokens else []
        if len(groups) > 1:  # with one group, ORing gives the AND query that found nothing
            retries.append(_tsquery(groups, match_all=False))
        if retries:
            text = " ".join(corrected)
            hits, variant = _ranked(retries, text=text, visible=visible, limit=limit)
            used = retries[-1 if variant is None else variant]
            if variant is not None and corrected != tokens:
                did_you_mean = text
    if len(hits) < min(MIN_HITS, limit):
        hits += _similar_titles(text, visible=visible, exclude=hits, limit=limit - len(hits), highlight=used)
    return SearchResults(query=normalized, hits=hits, did_you_mean=did_you_mean)


_PREFIX_SAFE = re.compile(r"[^a-z0-9]")

# Title lexemes only (weight A of the small title_vector): every word, the last one as a prefix.
_SUGGEST = """
    SELECT id, title, slug, summary
    FROM kb_article
    WHERE {visible} AND title_vector @@ to_tsquery('english', {prefix_query})
    ORDER BY ts_rank(title_vector, to_tsquery('english', {prefix_query})) DESC, view_count DESC, id
    LIMIT {limit}"""

# A portal subject is a sentence ("I want a refund"): when not every word is in a title, articles
# with most of the words (two thirds of those that are not stop words) in the title, summary or
# keywords follow, those with more of them first.
_SUGGEST_MOST = """
    WITH words AS (
        SELECT to_tsquery('english', word) AS query
        FROM unnest({words}::text[]) AS word
        WHERE numnode(to_tsquery('english', word)) > 0
    )
    SELECT id, title, slug, summary
    FROM kb_article
    WHERE {visible} AND title_vector @@ to_tsquery('english', {any_query})
      AND id <> ALL({exclude}::bigint[])
      AND (SELECT count(*) FROM words WHERE title_vector @@ words.query)
          >= (SELECT greatest(1, ceil(count(*) * 2 / 3.0)) FROM words)
    ORDER BY ts_rank_cd(title_vector, to_tsquery('english', {any_query})) DESC, view_count DESC, id
    LIMIT {limit}"""

# Then titles similar to the typed text, when the prefix match left room (a statement of its own
# for the reason given at _SIMILAR_TITLES).
_SUGGEST_SIMILAR = """
    SELECT id, title, slug, summary
    FROM kb_article
    WHERE {visible} AND title %%> {text} AND id <> ALL({exclude}::bigint[])
    ORDER BY word_similarity({text}, title) DESC, id
    LIMIT {limit}"""


def article_suggest(prefix: str, *, user: User | AnonymousUser | None, limit: int = 5) -> list[Suggestion]:
    """Return up to `limit` titles for an as-you-type box.

    First titles with every word (the last one as a prefix); then, for several words, articles
    with most of them in the title, summary or keywords (more of them first), then the full
    search's hits (synonyms, typo correction); then similar titles.
    """
    tokens = [_PREFIX_SAFE.sub("", token) for token in query_tokens(normalize_query(prefix))]
    tokens = [token for token in tokens if token]
    if not tokens or len("".join(tokens)) < 3:
        return []
    visible = _visible_to(user)
    # Tokens are [a-z0-9]+, so the raw tsquery (a parameter) cannot carry operators of its own.
    *complete, last = tokens
    prefix_query = " & ".join([*(f"{word}:A" for word in complete), f"{last}:*A"])
    rows = _fetch(_sql(_SUGGEST, visible=visible, prefix_query=_value(prefix_query), limit=_value(limit)))
    if len(rows) < limit and complete:
        words = [*(f"{word}:AB" for word in complete), f"{last}:*AB"]
        rows += _fetch(_sql(_SUGGEST_MOST, visible=visible, words=_value(words), any_query=_value(" | ".join(words)),
                            exclude=_value([row[0] for row in rows]), limit=_value(limit - len(rows))))  # fmt: skip
    if len(rows) < limit and complete:
        # Still room: the full search, whose synonyms and typo correction ("cant log in") the
        # prefix matches above do not have.
        seen = {row[0] for row in rows}
        for hit in article_search(prefix, user=user, limit=limit).hits:
            if hit.article.pk not in seen and len(rows) < limit:
                seen.add(hit.article.pk)
                rows.append((hit.article.pk, hit.article.title, hit.article.slug, hit.article.summary))
    if len(rows) < limit:
        rows += _fetch(_sql(_SUGGEST_SIMILAR, visible=visible, text=_value(" ".join(tokens)),
                            exclude=_value([row[0] for row in rows]), limit=_value(limit - len(rows))))  # fmt: skip
    return [Suggestion(title=title, slug=slug, summary=summary) for _, title, slug, summary in rows]
