"""kb.services: authoring, the workflow, revisions, feedback idempotency and search logs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import User
from kb import services
from kb.models import Article, ArticleFeedback, ArticleState, SearchTerm

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def draft(agent: User) -> Article:
    return services.article_create(
        actor=agent,
        title="Reset your password",
        summary="Get a reset link.",
        body="## Steps\nClick *Forgot*.",
    )


def test_create_renders_body_and_records_first_revision(draft: Article) -> None:
    # then
    assert draft.state == ArticleState.DRAFT
    assert draft.slug == "reset-your-password"
    assert draft.body_html == '<h2 id="steps">Steps</h2>\n<p>Click <em>Forgot</em>.</p>'
    assert draft.body_text == "Steps Click Forgot ."
    assert list(draft.revisions.values_list("number", "title")) == [(1, "Reset your password")]


def test_create_without_body_starts_from_the_article_template(agent: User) -> None:
    # when
    article = services.article_create(actor=agent, title="Export tickets", summary="Download as CSV.")
    # then
    assert article.body.startswith("Download as CSV.\n\n## Quick Answer")
    for heading in ("## Before You Start", "## Step-by-Step Instructions", "## Troubleshooting",
                    "## Related Articles", "## Still Need Help?"):  # fmt: skip
        assert heading in article.body


def test_customer_may_not_create_articles(customer: User) -> None:
    # when / then
    with pytest.raises(PermissionDeniedError):
        services.article_create(actor=customer, title="Hi")
    assert Article.objects.count() == 0


def test_update_records_a_revision_each_time_and_restore_brings_text_back(
    draft: Article, agent: User
) -> None:
    # given
    services.article_update(article_id=draft.pk, actor=agent, title="Reset a forgotten password")
    services.article_update(article_id=draft.pk, actor=agent, body="Totally new body")
    first = draft.revisions.get(number=1)
    # when
    restored = services.article_restore(revision_id=first.pk, actor=agent)
    # then
    assert restored.title == "Reset your password"
    assert restored.body == "## Steps\nClick *Forgot*."
    assert list(draft.revisions.order_by("number").values_list("number", flat=True)) == [1, 2, 3, 4]


def test_publish_sets_review_due_six_months_out_and_learns_vocabulary(draft: Article, agent: User) -> None:
    # when
    article = services.article_publish(article_id=draft.pk, actor=agent, now=NOW)
    # then
    assert article.state == ArticleState.PUBLISHED
    assert article.published_at == NOW
    assert article.review_due_at == datetime(2025, 8, 30, 12, 0, tzinfo=UTC)
    assert SearchTerm.objects.filter(word__in=["password", "reset", "forgot"]).count() == 3


def test_archived_article_cannot_be_submitted_for_review(draft: Article, agent: User) -> None:
    # given
    services.article_archive(article_id=draft.pk, actor=agent)
    # when / then
    with pytest.raises(DomainError):
        services.article_submit_for_review(article_id=draft.pk, actor=agent)
    draft.refresh_from_db()
    assert draft.state == ArticleState.ARCHIVED


def test_feedback_is_one_vote_per_session_and_a_change_moves_counters(draft: Article) -> None:
    # when the same anonymous session votes yes twice, then changes its mind
    services.feedback_record(article_id=draft.pk, is_helpful=True, user=None, session_key="s1")
    services.feedback_record(article_id=draft.pk, is_helpful=True, user=None, session_key="s1")
    draft.refresh_from_db()
    counts_after_repeat = (draft.helpful_yes, draft.helpful_no)
    services.feedback_record(
        article_id=draft.pk, is_helpful=False, comment="Link expired", user=None, session_key="s1"
    )
    # then
    draft.refresh_from_db()
    assert counts_after_repeat == (1, 0)
    assert (draft.helpful_yes, draft.helpful_no) == (0, 1)
    assert list(ArticleFeedback.objects.values_list("is_helpful", "comment")) == [(False, "Link expired")]


def test_feedback_counts_each_user_once_whatever_the_session(
    draft: Article, customer: User, coworker: User
) -> None:
    # when
    services.feedback_record(article_id=draft.pk, is_helpful=True, user=customer, session_key="a")
    services.feedback_record(article_id=draft.pk, is_helpful=True, user=customer, session_key="b")
    services.feedback_record(article_id=draft.pk, is_helpful=True, user=coworker, session_key="a")
    # then
    draft.refresh_from_db()
    assert draft.helpful_yes == 2
    assert ArticleFeedback.objects.count() == 2


def test_click_is_recorded_once_and_only_for_the_searchers_own_log(draft: Article) -> None:
    # given
    log = services.search_log_record(query="reset", result_count=1, user=None, session_key="mine")
    # when
    stranger = services.search_log_record_click(
        search_log_id=log.pk, article_id=draft.pk, user=None, session_key="other"
    )
    first = services.search_log_record_click(
        search_log_id=log.pk, article_id=draft.pk, user=None, session_key="mine"
    )
    second = services.search_log_record_click(
        search_log_id=log.pk, article_id=draft.pk, user=None, session_key="mine"
    )
    # then
    assert (stranger, first, second) == (False, True, False)
    log.refresh_from_db()
    assert log.clicked_article_id == draft.pk


def test_categories_nest_at_most_three_levels() -> None:
    # given
    top = services.category_create(name="Account")
    middle = services.category_create(name="Security", parent=top)
    leaf = services.category_create(name="Two-factor", parent=middle)
    # when / then
    with pytest.raises(DomainError):
        services.category_create(name="Too deep", parent=leaf)


def test_moving_a_category_with_grandchildren_under_another_is_refused() -> None:
    # given: Account > Security > Two-factor, and a separate top-level Billing
    top = services.category_create(name="Account")
    middle = services.category_create(name="Security", parent=top)
    services.category_create(name="Two-factor", parent=middle)
    billing = services.category_create(name="Billing")
    # when / then: Account under Billing would put Two-factor on a fourth level
    with pytest.raises(DomainError) as refused:
        services.category_update(category_id=top.pk, parent=billing)
    assert refused.value.field_errors == {"parent": ["Too deep with its sub-categories."]}
    # but Security (one level below it) may move under Billing
    moved = services.category_update(category_id=middle.pk, parent=billing)
    assert moved.parent == billing
