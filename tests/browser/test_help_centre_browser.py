"""A visitor finds an article despite a typo, reads it and says it helped."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kb import services
from tests.factories import AgentFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_visitor_searches_with_a_typo_opens_the_article_and_votes(
    page: Page, live_server, artifacts_dir: Path
) -> None:
    # given a published article
    agent = AgentFactory(email="writer@helpdesk.test")
    draft = services.article_create(
        actor=agent,
        title="Reset your password",
        summary="Get a reset link by email.",
        body="## Quick Answer\nClick **Forgot password** on the sign-in page.",
    )
    services.article_publish(article_id=draft.pk, actor=agent)
    # when the visitor searches with a typo and opens the first result
    page.goto(f"{live_server.url}/help/")
    page.get_by_label("Search the help centre").fill("pasword rest")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("Showing results for")).to_be_visible()
    page.get_by_role("link", name="Reset your password").first.click()
    # then the article shows, and voting thanks the visitor
    expect(page.get_by_role("heading", level=1, name="Reset your password")).to_be_visible()
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Thanks for your feedback!")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "help_centre_vote.png"), full_page=True)
    draft.refresh_from_db()
    assert draft.helpful_yes == 1
