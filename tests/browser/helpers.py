"""Steps browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from helpdesk.models import User

PASSWORD = "pass-1234-word"  # set by tests.factories.UserFactory


def sign_in(page: Page, live_server: LiveServer, user: User) -> None:
    """Sign in through the login form and wait for the first page after it."""
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
