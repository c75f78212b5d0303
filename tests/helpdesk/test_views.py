"""The web shell: sign-in, home pages and API token management, through Django's test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk import services
from helpdesk.models import ApiToken, User
from tests.factories import TicketFactory
from tickets.models import TicketStatus

PASSWORD = "pass-1234-word"  # set by tests.factories.UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_web(client: Client, agent: User) -> Client:
    client.force_login(agent)
    return client


@pytest.fixture
def customer_web(client: Client, customer: User) -> Client:
    client.force_login(customer)
    return client


# --- Sign in / sign out ---------------------------------------------------------------------------------


def test_login_page_renders_email_and_password_fields(client: Client) -> None:
    response = client.get("/account/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="email"' in html
    assert 'name="password"' in html
    assert 'for="id_username"' in html


@pytest.mark.parametrize("_case", ["as stored", "in upper case"])
def test_login_with_email_signs_in_and_goes_home(client: Client, agent: User, _case: str) -> None:
    email = agent.email if _case == "as stored" else agent.email.upper()

    response = client.post("/account/login/", {"username": email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_login_with_wrong_password_shows_error_and_keeps_email(client: Client, agent: User) -> None:
    response = client.post("/account/login/", {"username": agent.email, "password": "wrong-password"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Please enter a correct email and password" in html
    assert f'value="{agent.email}"' in html
    assert "_auth_user_id" not in client.session


def test_logout_requires_post_and_signs_out(agent_web: Client) -> None:
    assert agent_web.get("/account/logout/").status_code == 405

    response = agent_web.post("/account/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/account/login/"
    assert "_auth_user_id" not in agent_web.session


@pytest.mark.parametrize("path", ["/", "/account/tokens/"])
def test_anonymous_is_redirected_to_login(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/account/login/?next={path}"


def test_shell_shows_user_role_and_post_sign_out(agent_web: Client, agent: User) -> None:
    html = agent_web.get("/").content.decode()

    assert agent.get_full_name() in html
    assert "Agent" in html
    assert 'action="/account/logout/"' in html
    assert "/static/helpdesk/app.css" in html
    assert "/admin/" not in html  # agents are not admins


# --- Home ---------------------------------------------------------------------------------------------------


def test_agent_home_counts_open_tickets_by_status(agent_web: Client) -> None:
    # given
    TicketFactory.create_batch(2, status=TicketStatus.NEW)
    TicketFactory(status=TicketStatus.PENDING)
    TicketFactory(status=TicketStatus.CLOSED)
    # when
    response = agent_web.get("/")
    # then
    assert response.status_code == 200
    counts = {row.status: row.count for row in response.context["status_counts"]}
    assert counts[TicketStatus.NEW] == 2
    assert counts[TicketStatus.PENDING] == 1
    assert counts[TicketStatus.ESCALATED] == 0
    assert TicketStatus.CLOSED not in counts
    assert response.context["open_total"] == 3
    assert 'href="/api/v1/docs/"' in response.content.decode()


def test_agent_home_uses_a_constant_number_of_queries(
    agent_web: Client, django_assert_max_num_queries: object
) -> None:
    TicketFactory.create_batch(5)

    with django_assert_max_num_queries(4):  # type: ignore[operator]
        agent_web.get("/")


def test_customer_home_lists_only_their_visible_tickets(
    customer_web: Client, customer: User, coworker: User, outsider: User
) -> None:
    # given: the customer's organization does not share tickets between members
    own = TicketFactory(requester=customer, subject="My printer is on fire")
    TicketFactory(requester=coworker, subject="Coworker ticket")
    TicketFactory(requester=outsider, subject="Outsider ticket")
    # when
    response = customer_web.get("/")
    # then
    assert response.status_code == 200
    assert [ticket.pk for ticket in response.context["page"].object_list] == [own.pk]
    html = response.content.decode()
    assert "My printer is on fire" in html
    assert "Coworker ticket" not in html
    assert "Outsider ticket" not in html
    assert "/api/v1/docs/" not in html


# --- API tokens -------------------------------------------------------------------------------------------


def test_tokens_page_lists_only_own_tokens(agent_web: Client, agent: User, other_agent: User) -> None:
    services.api_token_create(user=agent, name="Mine")
    services.api_token_create(user=other_agent, name="Theirs")

    response = agent_web.get("/account/tokens/")

    assert response.status_code == 200
    assert [row.token.name for row in response.context["rows"]] == ["Mine"]
    assert response.context["plaintext"] is None


def test_create_token_shows_plaintext_once_and_stores_only_its_hash(agent_web: Client, agent: User) -> None:
    # when
    response = agent_web.post("/account/tokens/", {"name": "CRM sync", "expires_in_days": "30"})
    # then
    assert response.status_code == 201
    plaintext = response.context["plaintext"]
    assert plaintext.startswith("hd_")
    assert plaintext in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=agent)
    assert token.name == "CRM sync"
    assert token.token_hash == services.hash_token(plaintext)
    assert token.prefix == plaintext[: len(token.prefix)]
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert plaintext not in str(dict(agent_web.session))
    # and the plaintext is never shown again
    assert plaintext not in agent_web.get("/account/tokens/").content.decode()


def test_create_token_without_expiry(agent_web: Client, agent: User) -> None:
    response = agent_web.post("/account/tokens/", {"name": "Forever", "expires_in_days": ""})

    assert response.status_code == 201
    assert ApiToken.objects.get(user=agent).expires_at is None


@pytest.mark.parametrize(
    ("_case", "data", "field"),
    [
        ("name missing", {"name": "", "expires_in_days": "7"}, "name"),
        ("name only spaces", {"name": "   ", "expires_in_days": "7"}, "name"),
        ("expiry not positive", {"name": "Nightly export", "expires_in_days": "0"}, "expires_in_days"),
        ("expiry too far", {"name": "Nightly export", "expires_in_days": "99999"}, "expires_in_days"),
    ],
)
def test_invalid_token_form_shows_inline_errors_and_keeps_input(
    agent_web: Client, agent: User, _case: str, data: dict[str, str], field: str
) -> None:
    response = agent_web.post("/account/tokens/", data)

    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    html = response.content.decode()
    assert f'id="id_{field}_errors"' in html
    for value in data.values():
        if value.strip():
            assert f'value="{value}"' in html
    assert response.context["plaintext"] is None
    assert not ApiToken.objects.filter(user=agent).exists()


def test_revoke_own_token(agent_web: Client, agent: User) -> None:
    # given
    token, _ = services.api_token_create(user=agent, name="Old")
    # when
    response = agent_web.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    # then
    assert response.redirect_chain == [("/account/tokens/", 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert [row.state for row in response.context["rows"]] == ["revoked"]
    assert "revoked" in response.content.decode()


def test_revoke_another_users_token_is_404_and_changes_nothing(agent_web: Client, other_agent: User) -> None:
    token, _ = services.api_token_create(user=other_agent, name="Theirs")

    response = agent_web.post(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_requires_post(agent_web: Client, agent: User) -> None:
    token, _ = services.api_token_create(user=agent, name="Mine")

    response = agent_web.get(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_requires_csrf_token(agent: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    token, _ = services.api_token_create(user=agent, name="Mine")

    response = client.post(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_expired_token_is_listed_as_expired(agent_web: Client, agent: User) -> None:
    services.api_token_create(user=agent, name="Past", expires_at=timezone.now() - timedelta(days=1))

    response = agent_web.get("/account/tokens/")

    assert [row.state for row in response.context["rows"]] == ["expired"]


def test_customer_can_manage_own_tokens(customer_web: Client, customer: User) -> None:
    response = customer_web.post("/account/tokens/", {"name": "My script"})

    assert response.status_code == 201
    assert ApiToken.objects.filter(user=customer).count() == 1


@pytest.mark.django_db
def test_refused_and_missing_pages_keep_the_site_shell(client: Client) -> None:
    # given: a customer, who may not open the agent queues
    from tests.factories import CustomerFactory

    client.force_login(CustomerFactory())

    # when
    refused = client.get("/tickets/")
    missing = client.get("/tickets/999999/")

    # then: styled pages with the header and a way back, not bare text
    assert refused.status_code == 403
    assert missing.status_code == 404
    for response in (refused, missing):
        body = response.content.decode()
        assert 'class="site-header"' in body
        assert "Back to the home page" in body
