"""Customer self-service accounts: password reset, sign-up with verification, one-time sign-in links."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from helpdesk import services
from helpdesk.models import Organization, Role, User
from tests.factories import OrganizationFactory

PASSWORD = "pass-1234-word"  # set by tests.factories.UserFactory
NEW_PASSWORD = "quiet-harbour-lantern-42"

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


class CommittingClient(Client):
    """A test client that runs each request's on-commit side effects (the mail), as production does."""

    def __init__(self, capture: CaptureOnCommit) -> None:
        super().__init__()
        self._capture = capture

    def request(self, **request: Any) -> Any:
        with self._capture(execute=True):
            return super().request(**request)


@pytest.fixture
def client(django_capture_on_commit_callbacks: CaptureOnCommit) -> Client:
    return CommittingClient(django_capture_on_commit_callbacks)


@pytest.fixture
def other_client(django_capture_on_commit_callbacks: CaptureOnCommit) -> Client:
    return CommittingClient(django_capture_on_commit_callbacks)


def _without_csrf(content: bytes) -> str:
    # The masked CSRF token differs on every render; everything else must be identical.
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", content.decode())


def _link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0).removeprefix("http://testserver")


def _signup(client: Client, **overrides: str) -> Any:
    data = {
        "email": "carol@newco.test",
        "full_name": "Carol Newman",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }
    return client.post("/account/signup/", data)


# --- Password reset -------------------------------------------------------------------------------------


def test_password_reset_email_link_sets_a_new_password(client: Client, customer: User) -> None:
    # given
    response = client.post("/account/password-reset/", {"email": customer.email.upper()})
    assert response.status_code == 302
    assert response["Location"] == "/account/password-reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]
    assert mail.outbox[0].subject == "[Helpdesk] Reset your password"
    link = _link(mail.outbox[0])

    # when
    form_page = client.get(link, follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    # then
    assert response.status_code == 302
    assert response["Location"] == "/account/password-reset/complete/"
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    assert client.get(link).status_code == 400  # the link is used up with the old password


def test_password_reset_for_unknown_email_shows_the_same_page_and_sends_nothing(
    client: Client, customer: User
) -> None:
    # given
    known = client.post("/account/password-reset/", {"email": customer.email}, follow=True)
    mail.outbox.clear()

    # when
    unknown = client.post("/account/password-reset/", {"email": "nobody@nowhere.test"}, follow=True)

    # then
    assert unknown.redirect_chain == known.redirect_chain
    assert _without_csrf(unknown.content) == _without_csrf(known.content)
    assert mail.outbox == []


def test_password_reset_with_a_forged_link_is_refused(client: Client, customer: User) -> None:
    # when
    response = client.get("/account/password-reset/MQ/abc-def/", follow=True)

    # then
    assert response.status_code == 400
    assert "This link cannot be used" in response.content.decode()


def test_login_page_links_to_the_self_service_pages(client: Client) -> None:
    html = client.get("/account/login/").content.decode()

    assert 'href="/account/password-reset/"' in html
    assert "Forgot your password?" in html
    assert 'href="/account/signup/"' in html
    assert 'href="/account/magic-link/"' in html


# --- Sign-up and verification ---------------------------------------------------------------------------


def test_signup_emails_a_link_that_activates_signs_in_and_opens_the_portal(client: Client) -> None:
    # given
    response = _signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/account/signup/sent/"
    user = User.objects.get(email="carol@newco.test")
    assert (user.is_active, user.role, user.full_name) == (False, Role.CUSTOMER, "Carol Newman")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["carol@newco.test"]

    # when
    response = client.get(_link(mail.outbox[0]))

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.is_active is True
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/portal/").status_code == 200


def test_signup_joins_the_organization_owning_the_email_domain(client: Client) -> None:
    # given
    organization: Organization = OrganizationFactory(name="NewCo")
    services.organization_update(organization_id=organization.pk, domains=["newco.test"])

    # when
    _signup(client, email="Dave@NewCo.test")

    # then
    assert User.objects.get(email="dave@newco.test").organization == organization


def test_unverified_customer_cannot_sign_in_with_password(client: Client) -> None:
    # given
    _signup(client)

    # when
    response = client.post("/account/login/", {"username": "carol@newco.test", "password": NEW_PASSWORD})

    # then
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signup_with_an_existing_email_does_not_reveal_it(
    client: Client, other_client: Client, customer: User
) -> None:
    # given
    fresh = _signup(other_client, email="fresh@nowhere.test")
    mail.outbox.clear()

    # when
    response = _signup(client, email=customer.email.upper(), full_name="Mallory")

    # then
    assert (response.status_code, response["Location"]) == (fresh.status_code, fresh["Location"])
    assert User.objects.filter(email=customer.email).count() == 1
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)
    assert customer.full_name != "Mallory"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]
    assert mail.outbox[0].subject == "[Helpdesk] You already have an account"
    assert "/account/password-reset/" in mail.outbox[0].body


def test_signing_up_again_while_pending_resends_the_verification(client: Client) -> None:
    # given
    _signup(client)
    mail.outbox.clear()

    # when
    _signup(client, password1="other-" + NEW_PASSWORD, password2="other-" + NEW_PASSWORD)

    # then
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Helpdesk] Confirm your email address"
    user = User.objects.get(email="carol@newco.test")
    assert user.check_password(NEW_PASSWORD)  # the second attempt changes nothing


@pytest.mark.parametrize(
    ("_case", "password1", "password2", "field", "message"),
    [
        ("passwords differ", NEW_PASSWORD, NEW_PASSWORD + "x", "password2", "do not match"),
        ("password too common", "password123", "password123", "password1", "too common"),
        ("password too short", "a1b2", "a1b2", "password1", "too short"),
    ],
)
def test_signup_form_errors_are_shown_inline_and_keep_the_input(
    client: Client, _case: str, password1: str, password2: str, field: str, message: str
) -> None:
    # when
    response = _signup(client, password1=password1, password2=password2)

    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_errors"' in html
    assert message in html
    assert 'value="carol@newco.test"' in html
    assert 'value="Carol Newman"' in html
    assert not User.objects.filter(email="carol@newco.test").exists()
    assert mail.outbox == []


@pytest.mark.parametrize("_case", ["forged", "expired", "used"])
def test_bad_verification_links_are_refused(client: Client, _case: str) -> None:
    # given
    _signup(client)
    link = _link(mail.outbox[0])
    if _case == "forged":
        link = link[:-3] + "xyz/"
    elif _case == "used":
        client.get(link)
        client.logout()

    # when
    if _case == "expired":
        with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
            response = client.get(link)
    else:
        response = client.get(link)

    # then
    assert response.status_code == 400
    assert "This link cannot be used" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.get(email="carol@newco.test").is_active is (_case == "used")


# --- One-time sign-in links -----------------------------------------------------------------------------


def test_sign_in_link_signs_a_customer_in_once(client: Client, customer: User) -> None:
    # given
    response = client.post("/account/magic-link/", {"email": customer.email})
    assert response["Location"] == "/account/magic-link/sent/"
    assert len(mail.outbox) == 1
    link = _link(mail.outbox[0])
    assert client.get(link).status_code == 200  # a prefetch only shows the button
    assert "_auth_user_id" not in client.session

    # when
    first = client.post(link)
    client.logout()
    second = client.post(link)

    # then
    assert (first.status_code, first["Location"]) == (302, "/")
    assert second.status_code == 400
    assert "This link cannot be used" in second.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_link_expires_after_15_minutes(client: Client, customer: User) -> None:
    # given
    client.post("/account/magic-link/", {"email": customer.email})
    link = _link(mail.outbox[0])

    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.post(link)

    # then
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("_case", ["agent", "inactive customer", "unknown address"])
def test_sign_in_link_request_for_non_customers_sends_nothing_and_looks_the_same(
    client: Client, customer: User, agent: User, _case: str
) -> None:
    # given
    email = {"agent": agent.email, "inactive customer": customer.email}.get(_case, "nobody@x.test")
    if _case == "inactive customer":
        services.user_update(user_id=customer.pk, is_active=False)

    # when
    response = client.post("/account/magic-link/", {"email": email}, follow=True)

    # then
    assert response.redirect_chain == [("/account/magic-link/sent/", 302)]
    assert "If a customer account exists" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("_case", ["agent", "customer deactivated after the link was sent"])
def test_sign_in_link_token_is_refused_for_agents_and_inactive_users(
    client: Client, customer: User, agent: User, _case: str
) -> None:
    # given
    user = agent if _case == "agent" else customer
    token = services.sign_in_link_token_make(user=user)
    if _case != "agent":
        services.user_update(user_id=customer.pk, is_active=False)

    # when
    response = client.post(f"/account/magic-link/{token}/")

    # then
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.last_login is None


def test_sign_in_link_request_form_errors_are_shown_inline(client: Client) -> None:
    # when
    response = client.post("/account/magic-link/", {"email": "not-an-email"})

    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_errors"' in html
    assert 'value="not-an-email"' in html
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/account/password-reset/", {}),
        ("/account/magic-link/", {}),
        (
            "/account/signup/",
            {"full_name": "Flood", "password1": "a-Long-pass-42!", "password2": "a-Long-pass-42!"},
        ),
    ],
)
def test_account_emails_to_one_address_are_rate_limited(
    client: Client, customer: User, settings: Any, url: str, fields: dict[str, str]
) -> None:
    # given: two e-mails an hour per address; a fresh address so earlier runs do not count
    settings.ACCOUNT_MAIL_PER_ADDRESS_PER_HOUR = 2
    email = f"flood-{uuid.uuid4().hex[:12]}@acme.test"
    User.objects.filter(pk=customer.pk).update(email=email)
    posts = [client.post(url, {"email": email, **fields}) for _ in range(3)]
    # then: the third is refused on the form, and no third e-mail leaves
    assert [p.status_code for p in posts[:2]] in ([302, 302], [302, 400])
    assert posts[2].status_code == 429
    assert "Too many e-mails were requested" in posts[2].content.decode()
    assert len(mail.outbox) <= 2


def test_account_emails_from_one_client_are_rate_limited(client: Client, settings: Any) -> None:
    # given: three account e-mails an hour from one IP
    settings.ACCOUNT_MAIL_PER_IP_PER_HOUR = 3
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    statuses = [
        client.post(
            "/account/magic-link/", {"email": f"nobody{i}-{uuid.uuid4().hex[:6]}@x.test"}, REMOTE_ADDR=ip
        ).status_code
        for i in range(4)
    ]
    # then
    assert statuses == [302, 302, 302, 429]
