"""kb.search: visibility, typo correction, synonyms, snippets and suggestions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from helpdesk.models import User
from kb import services
from kb.models import Article, Synonym, Visibility
from kb.search import article_search, article_suggest

pytestmark = pytest.mark.django_db


def _published(agent: User, title: str, body: str, **extra: object) -> Article:
    article = services.article_create(actor=agent, title=title, body=body, **extra)
    return services.article_publish(article_id=article.pk, actor=agent)


@pytest.fixture
def articles(agent: User) -> dict[str, Article]:
    return {
        "reset": _published(agent, "Reset your password", "Click **Forgot password** on the sign-in page."),
        "invoice": _published(agent, "Download your invoices", "Invoices are PDFs under Billing."),
        "internal": _published(
            agent,
            "Escalating password incidents",
            "Page the on-call engineer.",
            visibility=Visibility.INTERNAL,
        ),
        "draft": services.article_create(actor=agent, title="Password draft", body="Not ready."),
    }


def _slugs(query: str, user: object) -> list[str]:
    return [hit.article.slug for hit in article_search(query, user=user).hits]


def test_typo_finds_the_article_and_offers_did_you_mean(articles: dict[str, Article]) -> None:
    # when
    results = article_search("pasword rest", user=AnonymousUser())
    # then
    assert results.hits[0].article == articles["reset"]
    assert results.did_you_mean == "password reset"


def test_visitors_see_only_published_public_articles_and_agents_also_internal(
    articles: dict[str, Article], customer: User, agent: User
) -> None:
    # when / then
    assert _slugs("password", AnonymousUser()) == ["reset-your-password"]
    assert _slugs("password", customer) == ["reset-your-password"]
    assert sorted(_slugs("password", agent)) == ["escalating-password-incidents", "reset-your-password"]


def test_plural_and_synonym_queries_match(articles: dict[str, Article]) -> None:
    # given
    Synonym.objects.create(term="receipt", synonyms=["invoice"])
    # when / then
    assert _slugs("invoice", AnonymousUser())[0] == "download-your-invoices"
    assert _slugs("receipts", AnonymousUser())[0] == "download-your-invoices"


def test_snippets_highlight_matches_and_escape_article_text(agent: User) -> None:
    # given
    _published(agent, "Webhooks", "Send <script>alert(1)</script> webhook events to your endpoint.")
    # when
    hit = article_search("webhook endpoint", user=AnonymousUser()).hits[0]
    # then
    assert "<mark>endpoint</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html
    assert hit.title_html == "<mark>Webhooks</mark>"


def test_blank_or_punctuation_query_returns_nothing_without_querying(
    articles: dict[str, Article], django_assert_num_queries: object
) -> None:
    # when / then
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert article_search("  ?!  ", user=AnonymousUser()).hits == []


def test_suggest_completes_the_last_word_as_a_prefix(articles: dict[str, Article]) -> None:
    # when
    suggestions = article_suggest("reset pass", user=AnonymousUser())
    # then
    assert suggestions[0].slug == "reset-your-password"
    assert "password-draft" not in [s.slug for s in suggestions]


def test_suggest_ignores_tsquery_syntax(articles: dict[str, Article]) -> None:
    # when / then: operators are stripped, not passed to to_tsquery
    assert [s.slug for s in article_suggest("inv&|!:*(", user=AnonymousUser())] == ["download-your-invoices"]


def test_titles_similar_to_the_query_fill_up_a_short_list_within_visibility(
    articles: dict[str, Article], agent: User
) -> None:
    # given: "passwort" is not the stem "password", but its title is word-similar to the query
    german = _published(agent, "Passwort zurücksetzen", "Klicken Sie auf Passwort vergessen.")
    internal = _published(agent, "Passwort intern", "Nur für Agenten.", visibility=Visibility.INTERNAL)
    # when
    hits = article_search("password", user=AnonymousUser()).hits
    # then: the full-text hit first, then the similar title, without a highlight it does not have
    assert [hit.article for hit in hits] == [articles["reset"], german]
    assert hits[1].title_html == "Passwort zurücksetzen"
    assert internal not in [hit.article for hit in article_search("passwort", user=AnonymousUser()).hits]
    assert internal in [hit.article for hit in article_search("passwort", user=agent).hits]


def test_words_that_match_nothing_together_fall_back_to_any_word_after_correction(
    articles: dict[str, Article],
) -> None:
    # when: "banana" has no neighbour in the vocabulary, so only "pasword" is corrected
    results = article_search("pasword banana", user=AnonymousUser())
    # then
    assert results.hits[0].article == articles["reset"]
    assert results.did_you_mean == "password banana"


def test_search_with_enough_matches_runs_two_queries(agent: User, django_assert_num_queries: object) -> None:
    # given
    for title in ("Download invoices", "Invoice currency", "Invoice address"):
        _published(agent, title, "Invoices are PDFs under Billing.")
    # when / then: the synonyms, then one statement that ranks and highlights
    with django_assert_num_queries(2):  # type: ignore[operator]
        assert len(article_search("invoice", user=AnonymousUser()).hits) == 3


def test_typo_adds_one_vocabulary_lookup_and_one_retry(
    articles: dict[str, Article], django_assert_num_queries: object
) -> None:
    # when / then: synonyms, ranking, the vocabulary for both unknown words at once, the retry,
    # the similar titles for the one hit
    with django_assert_num_queries(5):  # type: ignore[operator]
        results = article_search("pasword rest", user=AnonymousUser())
    assert results.did_you_mean == "password reset"


def test_query_text_reaches_the_database_only_as_parameters(articles: dict[str, Article]) -> None:
    # when / then: quotes, percent signs and tsquery operators are just text
    assert article_search("100% it's ' OR 1=1 -- & | ! :*", user=AnonymousUser()).hits == []
    assert article_suggest("50% o'reil", user=AnonymousUser()) == []


@pytest.mark.parametrize(
    ("subject", "expected_first"),
    [
        ("I want a refund", "request-a-refund"),  # not every word is in a title
        ("I can't log in", "reset-your-password"),  # only the synonyms know "log in"
        ("how do i cancel my subscri", "cancel-subscription"),  # still typing the last word
    ],
)
def test_portal_subjects_written_as_sentences_get_suggestions(
    corpus: dict[str, Article], subject: str, expected_first: str
) -> None:
    # when
    suggestions = article_suggest(subject, user=None, limit=5)
    # then
    assert suggestions
    assert suggestions[0].slug == expected_first
