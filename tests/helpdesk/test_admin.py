"""Django admin: admins only, saves go through services, the ticket history is read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpdesk import services
from helpdesk.admin import EstimatedCountPaginator
from helpdesk.models import ApiToken, Organization, OrganizationDomain, Role, Team, User
from tests.factories import TicketFactory
from tickets import services as ticket_services
from tickets.models import Category, Tag, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in {"helpdesk", "tickets"}
)


@pytest.fixture
def admin_web(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


@pytest.fixture
def ticket(customer: User, agent: User) -> Ticket:
    ticket = ticket_services.ticket_create(requester=customer, subject="Cannot log in", description="Help")
    ticket_services.message_create(ticket_id=ticket.pk, author=agent, body="Looking into it.")
    return ticket


def test_every_domain_model_is_registered() -> None:
    assert REGISTERED == [
        ("helpdesk", "apitoken"),
        ("helpdesk", "idempotencykey"),
        ("helpdesk", "organization"),
        ("helpdesk", "savedview"),
        ("helpdesk", "skill"),
        ("helpdesk", "team"),
        ("helpdesk", "user"),
        ("helpdesk", "webhookdelivery"),
        ("helpdesk", "webhookfeedcursor"),
        ("helpdesk", "webhooksubscription"),
        ("tickets", "agentrouting"),
        ("tickets", "automationrule"),
        ("tickets", "blockedsender"),
        ("tickets", "cannedresponse"),
        ("tickets", "category"),
        ("tickets", "categoryskill"),
        ("tickets", "emailtemplate"),
        ("tickets", "inboundemail"),
        ("tickets", "macro"),
        ("tickets", "outboundemail"),
        ("tickets", "productarea"),
        ("tickets", "tag"),
        ("tickets", "teamrouting"),
        ("tickets", "ticket"),
        ("tickets", "ticketevent"),
        ("tickets", "ticketlink"),
        ("tickets", "ticketmessage"),
    ]


# --- Access ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_loads_for_admin(
    admin_web: Client, ticket: Ticket, app_label: str, model_name: str
) -> None:
    response = admin_web.get(f"/admin/{app_label}/{model_name}/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("app_label", "model_name"),
    [
        ("helpdesk", "organization"),
        ("helpdesk", "user"),
        ("helpdesk", "team"),
        ("helpdesk", "skill"),
        ("helpdesk", "apitoken"),
        ("tickets", "cannedresponse"),
        ("tickets", "category"),
        ("tickets", "tag"),
        ("tickets", "productarea"),
    ],
)
def test_add_form_loads_for_admin(admin_web: Client, app_label: str, model_name: str) -> None:
    assert admin_web.get(f"/admin/{app_label}/{model_name}/add/").status_code == 200


@pytest.mark.parametrize("_case", ["agent", "manager", "customer"])
def test_admin_is_refused_to_everyone_but_admins(
    request: pytest.FixtureRequest, client: Client, _case: str
) -> None:
    client.force_login(request.getfixturevalue(_case))

    for path in ("/admin/", "/admin/tickets/ticket/", "/admin/helpdesk/user/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path


def test_admin_link_is_shown_to_admins_only(admin_web: Client) -> None:
    assert 'href="/admin/"' in admin_web.get("/").content.decode()


# --- Read-only ticket history -----------------------------------------------------------------------------


def test_ticket_event_admin_has_no_add_change_or_delete_permission(
    admin_web: Client, admin_user: User, ticket: Ticket
) -> None:
    # given
    model_admin = admin.site._registry[TicketEvent]
    event = TicketEvent.objects.filter(ticket=ticket).first()
    assert event is not None
    request = type("Request", (), {"user": admin_user})()
    # then
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, event) is False
    assert model_admin.has_delete_permission(request, event) is False
    assert model_admin.has_view_permission(request, event) is True
    # and the admin refuses writes over HTTP
    url = f"/admin/tickets/ticketevent/{event.pk}/change/"
    assert admin_web.get(url).status_code == 200
    assert admin_web.post(url, {"kind": "escalated"}).status_code == 403
    assert admin_web.get("/admin/tickets/ticketevent/add/").status_code == 403
    assert (
        admin_web.post(f"/admin/tickets/ticketevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert TicketEvent.objects.filter(pk=event.pk).exists()


def test_ticket_change_page_is_read_only_with_messages_and_events(admin_web: Client, ticket: Ticket) -> None:
    response = admin_web.get(f"/admin/tickets/ticket/{ticket.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Looking into it." in html  # messages inline
    assert "Event log" in html
    assert 'name="_save"' not in html
    assert (
        admin_web.post(f"/admin/tickets/ticket/{ticket.pk}/change/", {"subject": "Hacked"}).status_code == 403
    )
    ticket.refresh_from_db()
    assert ticket.subject == "Cannot log in"


def test_ticket_changelist_searches_by_number_and_skips_full_count(
    admin_web: Client, django_assert_max_num_queries: object
) -> None:
    first, second = TicketFactory(), TicketFactory()

    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = admin_web.get("/admin/tickets/ticket/", {"q": f"#{second.pk}"})

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [second.pk]
    assert response.context["cl"].show_full_result_count is False
    response = admin_web.get("/admin/tickets/ticket/", {"q": "printer"})
    assert list(response.context["cl"].result_list) == []
    assert first.pk


def test_big_unfiltered_lists_use_the_planner_estimate_instead_of_count(
    admin_web: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: every table counts as big
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 0)
    TicketFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")  # gives the table a planner estimate
    # when
    with CaptureQueriesContext(connection) as unfiltered:
        admin_web.get("/admin/tickets/ticket/")
    with CaptureQueriesContext(connection) as filtered:
        response = admin_web.get("/admin/tickets/ticket/", {"status__exact": "new"})
    # then
    assert not [q for q in unfiltered.captured_queries if "COUNT(" in q["sql"].upper()]
    assert [q for q in filtered.captured_queries if "COUNT(" in q["sql"].upper()]
    assert response.context["cl"].result_count == 3


# --- API tokens ---------------------------------------------------------------------------------------------


def test_admin_creates_token_through_service_and_shows_plaintext_once(admin_web: Client, agent: User) -> None:
    # when
    response = admin_web.post(
        "/admin/helpdesk/apitoken/add/",
        {"user": agent.pk, "name": "Zapier", "expires_in_days": "7", "rate_limit_per_minute": ""},
    )
    # then
    assert response.status_code == 200
    token = ApiToken.objects.get(user=agent)
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1
    plaintext = shown[0].rsplit(" ", 1)[-1]
    assert services.hash_token(plaintext) == token.token_hash
    assert plaintext in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    # the message was consumed in this response: nothing to replay from the cookie or the session
    assert plaintext not in admin_web.get(f"/admin/helpdesk/apitoken/{token.pk}/change/").content.decode()
    assert plaintext not in str(response.cookies)


def test_admin_token_change_page_is_read_only(admin_web: Client, agent: User) -> None:
    token, _ = services.api_token_create(user=agent, name="Mine")

    response = admin_web.post(f"/admin/helpdesk/apitoken/{token.pk}/change/", {"name": "Renamed"})

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.name == "Mine"


def test_admin_revoke_action_revokes_through_service(admin_web: Client, agent: User) -> None:
    active, _ = services.api_token_create(user=agent, name="Active")
    kept, _ = services.api_token_create(user=agent, name="Kept")

    response = admin_web.post(
        "/admin/helpdesk/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [active.pk]},
    )

    assert response.status_code == 302
    active.refresh_from_db()
    kept.refresh_from_db()
    assert active.revoked_at is not None
    assert kept.revoked_at is None


# --- Users --------------------------------------------------------------------------------------------------


def test_admin_adds_user_with_password_through_service(admin_web: Client, organization: Organization) -> None:
    response = admin_web.post(
        "/admin/helpdesk/user/add/",
        {
            "email": "New.Agent@Helpdesk.Test",
            "full_name": "New Agent",
            "role": Role.AGENT,
            "organization": "",
            "support_tier": "l2",
            "time_zone": "Europe/Berlin",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.agent@helpdesk.test")
    assert user.role == Role.AGENT
    assert user.time_zone == "Europe/Berlin"
    assert user.check_password("a-long-unusual-passphrase")


@pytest.mark.parametrize(
    ("_case", "changes", "field"),
    [
        (
            "passwords differ",
            {"password1": "a-long-unusual-passphrase", "password2": "other-phrase-1"},
            "password2",
        ),
        ("password too common", {"password1": "password", "password2": "password"}, "password1"),
        ("email taken", {"email": "agent@helpdesk.test"}, "email"),
        ("unknown time zone", {"time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_admin_add_user_errors_are_shown_on_the_form(
    admin_web: Client, agent: User, _case: str, changes: dict[str, str], field: str
) -> None:
    data = {
        "email": "someone@example.test",
        "full_name": "Someone",
        "role": Role.CUSTOMER,
        "time_zone": "UTC",
        "password1": "",
        "password2": "",
    } | changes

    response = admin_web.post("/admin/helpdesk/user/add/", data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert User.objects.count() == 2  # the admin and the agent


def test_admin_user_change_form_hides_password_hash_and_can_set_a_new_one(
    admin_web: Client, agent: User
) -> None:
    url = f"/admin/helpdesk/user/{agent.pk}/change/"
    html = admin_web.get(url).content.decode()
    assert agent.password not in html
    assert 'name="password"' not in html

    response = admin_web.post(
        url,
        {
            "email": agent.email,
            "full_name": "Renamed Agent",
            "role": Role.AGENT,
            "organization": "",
            "support_tier": "l1",
            "time_zone": "UTC",
            "max_open_tickets": "10",
            "availability": "away",
            "is_active": "on",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.full_name == "Renamed Agent"
    assert agent.availability == "away"
    assert agent.max_open_tickets == 10
    assert agent.check_password("a-long-unusual-passphrase")


# --- Organizations, teams and taxonomy -------------------------------------------------------------------


def test_admin_creates_organization_with_normalised_domains(admin_web: Client) -> None:
    response = admin_web.post(
        "/admin/helpdesk/organization/add/",
        {
            "name": "Initech",
            "domains": "Initech.com\n@initech.io",
            "tier": "business",
            "segment": "blended",
            "notes": "",
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    organization = Organization.objects.get(name="Initech")
    assert sorted(organization.domains.values_list("domain", flat=True)) == ["initech.com", "initech.io"]


def test_admin_organization_domain_taken_elsewhere_is_a_form_error(admin_web: Client) -> None:
    services.organization_create(name="Acme", domains=["acme.test"])

    response = admin_web.post(
        "/admin/helpdesk/organization/add/",
        {
            "name": "Acme Copycat",
            "domains": "acme.test",
            "tier": "free",
            "segment": "scaled",
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["domains"] == [
        "'acme.test' already belongs to another organization."
    ]
    assert 'value="Acme Copycat"' in response.content.decode()
    assert not Organization.objects.filter(name="Acme Copycat").exists()
    assert OrganizationDomain.objects.count() == 1


def test_admin_edits_organization_domains_through_service(admin_web: Client) -> None:
    organization = services.organization_create(name="Hooli", domains=["old.hooli.test"])
    old_domain = organization.domains.get()
    assert (
        "old.hooli.test"
        in admin_web.get(f"/admin/helpdesk/organization/{organization.pk}/change/").content.decode()
    )

    response = admin_web.post(
        f"/admin/helpdesk/organization/{organization.pk}/change/",
        {
            "name": "Hooli",
            "domains": "hooli.xyz",
            "tier": "enterprise",
            "segment": "high_touch",
            # what the page posts for the read-only inline row of the stored domain
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "1",
            "domains-0-id": str(old_domain.pk),
            "domains-0-organization": str(organization.pk),
        },
    )

    assert response.status_code == 302
    assert list(organization.domains.values_list("domain", flat=True)) == ["hooli.xyz"]
    organization.refresh_from_db()
    assert organization.tier == "enterprise"


def test_admin_team_lead_is_always_a_member(admin_web: Client, agent: User, other_agent: User) -> None:
    response = admin_web.post(
        "/admin/helpdesk/team/add/",
        {"name": "Billing", "lead": agent.pk, "default_tier": "l1", "members": [other_agent.pk]},
    )

    assert response.status_code == 302
    team = Team.objects.get(name="Billing")
    assert team.slug == "billing"
    assert set(team.members.all()) == {agent, other_agent}


def test_admin_team_members_are_agents_only(
    admin_web: Client, admin_user: User, agent: User, customer: User
) -> None:
    response = admin_web.get("/admin/helpdesk/team/add/")

    members = response.context["adminform"].form.fields["members"].queryset
    assert set(members) == {admin_user, agent}


def test_admin_category_nesting_rule_is_enforced(admin_web: Client) -> None:
    top = ticket_services.category_create(name="Billing")
    sub = ticket_services.category_create(name="Refunds", parent=top)

    response = admin_web.get("/admin/tickets/category/add/")
    assert list(response.context["adminform"].form.fields["parent"].queryset) == [top]

    response = admin_web.post(
        f"/admin/tickets/category/{top.pk}/change/", {"name": "Billing", "parent": top.pk}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Category.objects.get(pk=top.pk).parent is None
    assert sub.parent_id == top.pk


def test_admin_tag_is_created_as_slug_and_cannot_be_renamed(admin_web: Client) -> None:
    response = admin_web.post("/admin/tickets/tag/add/", {"name": "Feature Request", "is_active": "on"})
    assert response.status_code == 302
    tag = Tag.objects.get()
    assert tag.name == "feature-request"

    response = admin_web.post(
        f"/admin/tickets/tag/{tag.pk}/change/", {"name": "renamed", "description": "Ideas", "is_active": ""}
    )

    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.description, tag.is_active) == ("feature-request", "Ideas", False)


def test_admin_cannot_delete_taxonomy_or_users(admin_web: Client, agent: User) -> None:
    tag = ticket_services.tag_create(name="urgent")

    assert admin_web.post(f"/admin/tickets/tag/{tag.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_web.post(f"/admin/helpdesk/user/{agent.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Tag.objects.filter(pk=tag.pk).exists()
    assert User.objects.filter(pk=agent.pk).exists()
