"""An agent writes an article from the template, previews and publishes it, and customers can find it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kb.models import Article, ArticleState
from tests.browser.helpers import sign_in
from tests.factories import AgentFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_writes_previews_and_publishes_an_article_that_search_finds(
    page: Page, live_server, artifacts_dir: Path
) -> None:
    # given: a signed-in agent
    agent = AgentFactory(email="writer@helpdesk.test")
    sign_in(page, live_server, agent)

    # when: they open the knowledge base and start a new article
    page.get_by_role("link", name="Knowledge base").click()
    expect(page.get_by_role("heading", level=1, name="Articles")).to_be_visible()
    page.get_by_role("link", name="New article").click()

    # then: the body starts from the article template
    body = page.get_by_label("Body")
    expect(body).to_have_value(re.compile(r"## Quick Answer[\s\S]*## Still Need Help\?"))

    # when: they write it and look at the preview (htmx, nothing saved yet)
    page.get_by_label("Title").fill("Rotate your API token")
    page.get_by_label("Summary").fill("Replace a leaked token without downtime.")
    body.fill("## Quick Answer\nCreate a new token, switch your scripts to it, then revoke the old one.\n")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#article-preview")
    expect(preview.get_by_role("heading", name="Quick Answer")).to_be_visible()
    assert Article.objects.count() == 0

    # and save the draft, then publish it
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("Draft “Rotate your API token” created.")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("is now published")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "kb-authoring-editor.png"), full_page=True)
    article = Article.objects.get()
    assert (article.state, article.owner_id) == (ArticleState.PUBLISHED, agent.pk)

    # then: the help centre's search finds it
    page.goto(f"{live_server.url}/help/")
    page.get_by_label("Search the help centre").fill("rotate token")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Rotate your API token").first).to_be_visible()
