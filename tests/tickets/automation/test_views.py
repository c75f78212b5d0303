"""The rules, routing and macro screens, and applying a macro from the ticket page."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from helpdesk.models import Team, User
from tests.tickets.automation.conftest import reference_rule_json
from tickets import services
from tickets.models import AutomationRule, Category, Macro, MessageVisibility, TeamRouting, TicketStatus
from tickets.services.automation import rule_create
from tickets.services.macros import macro_create


@pytest.fixture
def manager_web(client: Client, rules_manager: User) -> Client:
    client.force_login(rules_manager)
    return client


@pytest.fixture
def agent_web(client: Client, agent: User) -> Client:
    client.force_login(agent)
    return client


def _post_rule(client: Client, url: str, spec: dict[str, object], **extra: str) -> object:
    return client.post(
        url,
        {
            "name": "Authentication triage",
            "kind": "event",
            "triggers": ["created"],
            "conditions": json.dumps(spec["conditions"]),
            "actions": json.dumps(spec["actions"]),
            **extra,
        },
    )


@pytest.mark.parametrize(
    ("_case", "fixture", "status"), [("agent", "agent_web", 404), ("manager", "manager_web", 200)]
)
def test_only_managers_see_the_rules(
    request: pytest.FixtureRequest, _case: str, fixture: str, status: int
) -> None:
    client = request.getfixturevalue(fixture)

    assert client.get("/tickets/automation/").status_code == status
    assert client.get("/tickets/automation/routing/").status_code == status


def test_a_manager_creates_a_rule_from_json(
    manager_web: Client, authentication: Category, auth_team: Team
) -> None:
    response = _post_rule(
        manager_web, "/tickets/automation/rules/new/", reference_rule_json(authentication, auth_team)
    )

    assert response.status_code == 302
    rule = AutomationRule.objects.get()
    assert (rule.name, rule.is_active, rule.triggers) == ("Authentication triage", False, ["created"])
    page = manager_web.get("/tickets/automation/").content.decode()
    assert "Subject contains any of “password”, “login”, “can&#x27;t access”" in page
    assert "Set category to Authentication" in page


def test_invalid_json_and_invalid_rules_show_errors_per_field(manager_web: Client) -> None:
    broken = manager_web.post(
        "/tickets/automation/rules/new/",
        {"name": "X", "kind": "event", "triggers": ["created"], "conditions": "{", "actions": "[]"},
    )
    invalid = manager_web.post(
        "/tickets/automation/rules/new/",
        {
            "name": "X",
            "kind": "event",
            "triggers": ["created"],
            "conditions": json.dumps({"all": [{"field": "ticket.mood", "operator": "is", "value": 1}]}),
            "actions": json.dumps([{"type": "set", "field": "team", "value": 999999}]),
        },
    )

    assert broken.status_code == 400
    assert "Not valid JSON" in broken.content.decode()
    assert invalid.status_code == 400
    body = invalid.content.decode()
    assert "all[0].field: Unknown field" in body
    assert "Team #999999 does not exist" in body
    assert not AutomationRule.objects.exists()


@pytest.mark.parametrize(
    ("_case", "field", "text", "message"),
    [
        ("a number too large", "conditions", '{"all": [{"field": "hours_since_created", "operator": "gt", '
         '"value": 1e999}]}', "too large a number"),
        ("NaN", "conditions", '{"all": [{"field": "sla.percent_elapsed", "operator": "gte", "value": NaN}]}',
         "NaN is not a number JSON allows"),
        ("a malformed article URL", "actions",
         '[{"type": "suggest_article", "title": "Guide", "url": "http://[::1"}]', "Not a valid URL."),
        ("a list as action type", "actions", '[{"type": ["set"]}]', "Unknown action"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("dry_run", [False, True])
def test_malformed_rule_input_is_a_form_error_not_a_crash(
    manager_web: Client, _case: str, field: str, text: str, message: str, dry_run: bool
) -> None:
    data = {
        "name": "X",
        "kind": "event",
        "triggers": ["created"],
        "conditions": "{}",
        "actions": '[{"type": "add_note", "body": "x"}]',
        field: text,
    }
    if dry_run:
        data["dry_run"] = "1"

    response = manager_web.post("/tickets/automation/rules/new/", data)

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not AutomationRule.objects.exists()


def test_the_dry_run_button_shows_matches_and_saves_nothing(
    manager_web: Client, customer: User, authentication: Category, auth_team: Team
) -> None:
    ticket = services.ticket_create(requester=customer, subject="Password expired")

    response = _post_rule(
        manager_web,
        "/tickets/automation/rules/new/",
        reference_rule_json(authentication, auth_team),
        dry_run="1",
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "1 of 1 tickets would match" in body
    assert f"#{ticket.pk}</a> Password expired" in body
    assert not AutomationRule.objects.exists()
    ticket.refresh_from_db()
    assert ticket.category_id is None


def test_switching_on_and_moving(manager_web: Client, rules_manager: User) -> None:
    first = rule_create(
        actor=rules_manager, name="A", kind="event", triggers=["created"], conditions_json={},
        actions_json=[{"type": "add_note", "body": "a"}],
    )  # fmt: skip
    second = rule_create(
        actor=rules_manager, name="B", kind="event", triggers=["created"], conditions_json={},
        actions_json=[{"type": "add_note", "body": "b"}],
    )  # fmt: skip

    manager_web.post(f"/tickets/automation/rules/{first.pk}/active/", {"is_active": "1"})
    manager_web.post(f"/tickets/automation/rules/{second.pk}/move/", {"direction": "up"})

    assert list(AutomationRule.objects.values_list("name", "is_active")) == [("B", False), ("A", True)]


def test_routing_page_sets_a_team_strategy(manager_web: Client, auth_team: Team) -> None:
    response = manager_web.post(
        "/tickets/automation/routing/",
        {
            "team": auth_team.pk,
            f"team-{auth_team.pk}-strategy": "load_balanced",
            f"team-{auth_team.pk}-auto_assign": "on",
        },
    )

    assert response.status_code == 302
    routing = TeamRouting.objects.get(team=auth_team)
    assert (routing.strategy, routing.auto_assign) == ("load_balanced", True)


def test_an_agent_keeps_a_personal_macro_but_cannot_share(agent_web: Client, agent: User) -> None:
    response = agent_web.post(
        "/tickets/macros/new/",
        {
            "name": "Thanks",
            "body": "Thanks {{ requester.first_name }}!",
            "visibility": "public",
            "actions": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    macro = Macro.objects.get()
    assert macro.owner_id == agent.pk
    assert "shared" not in agent_web.get("/tickets/macros/new/").content.decode()


def test_applying_a_macro_from_the_ticket_page(
    agent_web: Client, agent: User, customer: User, rules_manager: User
) -> None:
    # given
    macro = macro_create(
        actor=rules_manager,
        name="Need more info",
        body="Hi {{ requester.first_name }}, could you send a screenshot? {{ agent.first_name }}",
        actions_json=[{"type": "set", "field": "status", "value": "pending"}],
        shared=True,
    )
    ticket = services.ticket_create(requester=customer, subject="Broken", assignee=agent)
    page = agent_web.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{macro.pk}">Need more info</option>' in page
    # when
    response = agent_web.post(f"/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk})
    # then
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    reply = ticket.messages.get()
    assert reply.visibility == MessageVisibility.PUBLIC
    assert reply.author_id == agent.pk
    assert reply.body == (
        f"Hi {customer.full_name.split(' ')[0]}, could you send a screenshot? {agent.full_name.split(' ')[0]}"
    )


def test_history_and_rule_list_show_firings(
    manager_web: Client, rules_manager: User, customer: User, authentication: Category, auth_team: Team
) -> None:
    # given
    spec = reference_rule_json(authentication, auth_team)
    rule_create(
        actor=rules_manager,
        name="Authentication triage",
        kind="event",
        triggers=["created"],
        conditions_json=spec["conditions"],
        actions_json=spec["actions"],
        is_active=True,
    )
    ticket = services.ticket_create(requester=customer, subject="Login loop")
    # when
    history = manager_web.get(f"/tickets/{ticket.pk}/history/").content.decode()
    rules = manager_web.get("/tickets/automation/")
    # then
    assert "Automation rule “Authentication triage”" in history
    assert "set a field, routed, suggested an article" in history  # the actions in words
    assert [row["fired"] for row in rules.context["rows"]] == [1]  # fired once in the last 7 days
