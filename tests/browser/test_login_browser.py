"""Sign in, create an API token, call the API with it and revoke it, in a real Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk.models import ApiToken, User
from tests.factories import AgentFactory

PASSWORD = "pass-1234-word"  # set by tests.factories.UserFactory
PHONE_VIEWPORT = {"width": 390, "height": 844}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_signs_in_creates_uses_and_revokes_an_api_token(
    live_server: LiveServer, page: Page, artifacts_dir: Path
) -> None:
    agent: User = AgentFactory(email="browser.agent@helpdesk.test", full_name="Browser Agent")

    # given: an anonymous visitor is sent to the sign-in page
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/account/login/\?next=/$"))

    # when: the agent signs in with email and password
    page.get_by_label("Email").fill("Browser.Agent@helpdesk.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # then: the dashboard greets them with their name and role
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    header = page.get_by_role("banner")
    expect(header).to_contain_text("Browser Agent")
    expect(header.locator(".badge--role")).to_have_text("Agent")

    # when: they create a token on the tokens page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    page.get_by_label("Name").fill("Browser test")
    page.get_by_label("Expires in (days)").fill("7")
    page.get_by_role("button", name="Create token").click()

    # then: the plaintext is shown, once
    secret_box = page.get_by_test_id("new-token")
    expect(secret_box).to_be_visible()
    plaintext = secret_box.input_value()
    assert plaintext.startswith("hd_")
    page.screenshot(path=str(artifacts_dir / "api-tokens-created.png"), full_page=True)
    page.set_viewport_size(PHONE_VIEWPORT)
    page.screenshot(path=str(artifacts_dir / "api-tokens-created-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    # and the token works against the API
    headers = {"Authorization": f"Token {plaintext}"}
    response = httpx.get(f"{live_server.url}/api/v1/tickets/", headers=headers, timeout=10)
    assert response.status_code == 200, response.text

    # and the plaintext is gone once the page is loaded again
    page.goto(f"{live_server.url}/account/tokens/")
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert plaintext not in page.content()
    row = page.locator("tbody tr", has_text="Browser test")
    expect(row).to_contain_text("Active")

    # when: they revoke it
    row.get_by_role("button", name="Revoke token Browser test").click()

    # then: it is marked revoked and the API refuses it
    expect(page.get_by_role("status")).to_contain_text("revoked")
    row = page.locator("tbody tr", has_text="Browser test")
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "api-tokens-revoked.png"), full_page=True)
    response = httpx.get(f"{live_server.url}/api/v1/tickets/", headers=headers, timeout=10)
    assert response.status_code == 401
    assert ApiToken.objects.get(user=agent).revoked_at is not None
