"""The "call a webhook" action: which webhooks a rule or macro may name, the editor's select, dry runs.

Sending (signing, once per firing, failures at run time) is pinned in
tests/helpdesk/webhooks/test_one_off.py.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.exceptions import DomainError
from helpdesk.models import Role, User, WebhookDelivery, WebhookSubscription
from helpdesk.webhooks import services as webhook_services
from tests.factories import AdminFactory, UserFactory
from tickets import services
from tickets.automation.dry_run import rule_dry_run
from tickets.models import AutomationRule, Macro, TicketEvent
from tickets.services.automation import rule_create, rule_update
from tickets.services.macros import macro_create

pytestmark = pytest.mark.django_db

SUBJECT_HAS_LOGIN = {"all": [{"field": "ticket.subject", "operator": "contains_any", "value": ["login"]}]}


def _webhook(
    name: str = "CRM", *, events: tuple[str, ...] = ("automation.rule_fired",), active: bool = True
) -> WebhookSubscription:
    subscription, _secret = webhook_services.webhook_subscription_create(
        name=name,
        url="http://127.0.0.1:9/hooks",
        event_types=list(events),
        is_active=active,
        created_by=AdminFactory(),
    )
    return subscription


def _rule_errors(manager: User, actions: list[dict[str, object]]) -> list[str]:
    with pytest.raises(DomainError) as refused:
        rule_create(
            actor=manager,
            name="Calls",
            kind="event",
            triggers=["created"],
            conditions_json=SUBJECT_HAS_LOGIN,
            actions_json=actions,
        )
    assert not AutomationRule.objects.exists()
    return refused.value.field_errors["actions"]


def test_a_rule_may_name_an_active_webhook_that_accepts_rule_calls(rules_manager: User) -> None:
    crm = _webhook()

    rule = rule_create(
        actor=rules_manager,
        name="Calls",
        kind="event",
        triggers=["created"],
        conditions_json=SUBJECT_HAS_LOGIN,
        actions_json=[{"type": "webhook", "endpoint": crm.pk}],
    )

    assert rule.actions == [{"type": "webhook", "endpoint": crm.pk}]


def test_a_missing_webhook_is_refused_on_its_field(rules_manager: User) -> None:
    assert _rule_errors(
        rules_manager, [{"type": "add_note", "body": "x"}, {"type": "webhook", "endpoint": 999}]
    ) == ["actions[1].endpoint: Webhook #999 does not exist."]


def test_a_switched_off_webhook_is_refused_with_what_to_do(rules_manager: User) -> None:
    crm = _webhook(active=False)

    assert _rule_errors(rules_manager, [{"type": "webhook", "endpoint": crm.pk}]) == [
        f"actions[0].endpoint: Webhook “CRM” (#{crm.pk}) is switched off; "
        "enable it on the Webhooks page or pick another."
    ]


def test_a_webhook_that_does_not_accept_rule_calls_is_refused(rules_manager: User) -> None:
    crm = _webhook(events=("ticket.created", "automation.macro_applied"))

    assert _rule_errors(rules_manager, [{"type": "webhook", "endpoint": crm.pk}]) == [
        f"actions[0].endpoint: Webhook “CRM” (#{crm.pk}) does not accept automation.rule_fired; "
        "tick it in the webhook's events on the Webhooks page."
    ]


def test_the_old_url_form_is_refused_with_the_new_form(rules_manager: User) -> None:
    assert _rule_errors(rules_manager, [{"type": "webhook", "url": "http://169.254.169.254/"}]) == [
        'actions[0].url: A webhook action names a webhook from the Webhooks page, not a URL: {"type": '
        '"webhook", "endpoint": <id>}.'
    ]


def test_editing_a_rule_checks_its_webhook_again(rules_manager: User) -> None:
    # given a rule saved while its webhook was on, and the webhook switched off since
    crm = _webhook()
    rule = rule_create(
        actor=rules_manager,
        name="Calls",
        kind="event",
        triggers=["created"],
        conditions_json=SUBJECT_HAS_LOGIN,
        actions_json=[{"type": "webhook", "endpoint": crm.pk}],
    )
    webhook_services.webhook_subscription_update(subscription_id=crm.pk, is_active=False)

    # when the rule is renamed, then the save is refused, naming the webhook
    with pytest.raises(DomainError) as refused:
        rule_update(rule_id=rule.pk, actor=rules_manager, changes={"name": "Renamed"})

    assert "is switched off" in refused.value.field_errors["actions"][0]
    rule.refresh_from_db()
    assert rule.name == "Calls"


def test_macros_name_webhooks_that_accept_macro_calls_and_only_managers_add_them(agent: User) -> None:
    # given one webhook for rule calls and one for macro calls
    rules_only = _webhook("Rules", events=("automation.rule_fired",))
    macros = _webhook("Macros", events=("automation.macro_applied",))
    manager = UserFactory(role=Role.MANAGER)

    # when an agent and a manager save macros calling them
    with pytest.raises(DomainError) as by_agent:
        macro_create(actor=agent, name="Mine", actions_json=[{"type": "webhook", "endpoint": macros.pk}])
    with pytest.raises(DomainError) as wrong_kind:
        macro_create(
            actor=manager, name="Rules", actions_json=[{"type": "webhook", "endpoint": rules_only.pk}]
        )
    saved = macro_create(
        actor=manager, name="Macros", actions_json=[{"type": "webhook", "endpoint": macros.pk}], shared=True
    )

    # then only the manager's call to a webhook accepting macro calls is saved
    assert by_agent.value.field_errors["actions"] == [
        "actions[0].endpoint: Only managers and admins add webhook calls."
    ]
    assert "does not accept automation.macro_applied" in wrong_kind.value.field_errors["actions"][0]
    assert list(Macro.objects.values_list("pk", flat=True)) == [saved.pk]


def test_a_dry_run_says_what_it_would_send_and_sends_nothing(customer: User) -> None:
    # given a matching ticket and a webhook
    crm = _webhook()
    services.ticket_create(requester=customer, subject="Login loop")
    deliveries_before = WebhookDelivery.objects.count()
    events_before = TicketEvent.objects.count()

    # when a rule calling it is dry-run
    with CaptureQueriesContext(connection) as queries:
        result = rule_dry_run(
            kind="event",
            triggers=["created"],
            conditions_json=SUBJECT_HAS_LOGIN,
            actions_json=[{"type": "webhook", "endpoint": crm.pk}],
            now=timezone.now(),
        )

    # then it describes the POST, and only read
    assert len(result.matched) == 1
    assert result.actions == [
        "Call webhook “CRM”: would POST a signed automation.rule_fired (the rule, the ticket, what set it "
        "off) to http://127.0.0.1:9/hooks; nothing is sent in a dry run"
    ]
    assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in queries.captured_queries)
    assert (WebhookDelivery.objects.count(), TicketEvent.objects.count()) == (
        deliveries_before,
        events_before,
    )


def test_a_dry_run_warns_when_the_webhook_is_off() -> None:
    crm = _webhook(active=False)

    result = rule_dry_run(
        kind="event",
        triggers=["created"],
        conditions_json={},
        actions_json=[{"type": "webhook", "endpoint": crm.pk}],
        now=timezone.now(),
    )

    assert result.actions == [
        f"Call webhook “CRM”: would not be sent. Webhook “CRM” (#{crm.pk}) is switched off; enable it on "
        "the Webhooks page or pick another."
    ]


# --- the editor -------------------------------------------------------------------------------------


@pytest.fixture
def manager_web(client: Client, rules_manager: User) -> Client:
    client.force_login(rules_manager)
    return client


def _post(client: Client, actions: object, **extra: str) -> object:
    return client.post(
        "/tickets/automation/rules/new/",
        {
            "name": "Calls",
            "kind": "event",
            "triggers": ["created"],
            "conditions": json.dumps(SUBJECT_HAS_LOGIN),
            "actions": actions if isinstance(actions, str) else json.dumps(actions),
            **extra,
        },
    )


def test_the_editor_offers_active_webhooks_that_accept_rule_calls(manager_web: Client) -> None:
    crm = _webhook("CRM")
    _webhook("Off", active=False)
    _webhook("Tickets only", events=("ticket.created",))

    page = manager_web.get("/tickets/automation/rules/new/").content.decode()

    assert f'<option value="{crm.pk}">CRM (http://127.0.0.1:9/hooks)</option>' in page
    assert "Off (" not in page
    assert "Tickets only" not in page
    assert 'data-testid="no-webhooks"' not in page


def test_the_editor_says_how_to_get_a_webhook_when_none_is_callable(manager_web: Client) -> None:
    page = manager_web.get("/tickets/automation/rules/new/").content.decode()

    assert 'data-testid="no-webhooks"' in page


def test_picking_a_webhook_in_the_editor_adds_the_action(manager_web: Client) -> None:
    crm = _webhook()

    response = _post(manager_web, [{"type": "add_note", "body": "Sent to CRM"}], webhook=str(crm.pk))

    assert response.status_code == 302
    assert AutomationRule.objects.get().actions == [
        {"type": "add_note", "body": "Sent to CRM"},
        {"type": "webhook", "endpoint": crm.pk},
    ]


@pytest.mark.parametrize(
    ("_case", "actions", "extra", "field", "message"),
    [
        (
            "a webhook not offered",
            [{"type": "add_note", "body": "x"}],
            {"webhook": "999"},
            "webhook",
            "valid choice",
        ),
        ("not a number", [{"type": "add_note", "body": "x"}], {"webhook": "abc"}, "webhook", "valid choice"),
        (
            "an unknown webhook in the JSON",
            [{"type": "webhook", "endpoint": 999}],
            {},
            "actions",
            "actions[0].endpoint: Webhook #999 does not exist.",
        ),
        (
            "a raw URL in the JSON",
            [{"type": "webhook", "url": "https://x.test/"}],
            {},
            "actions",
            "not a URL",
        ),
        (
            "an id as text",
            [{"type": "webhook", "endpoint": "1"}],
            {},
            "actions",
            "actions[0].endpoint: Give a row id.",
        ),
        ("a JSON object for actions", '{"type": "webhook"}', {}, "actions", "Give a list of actions."),
    ],
)
def test_bad_webhook_input_is_a_form_error_not_a_crash(
    manager_web: Client, _case: str, actions: object, extra: dict[str, str], field: str, message: str
) -> None:
    response = _post(manager_web, actions, **extra)

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert not AutomationRule.objects.exists()


def test_the_dry_run_button_lists_the_webhook_call(manager_web: Client, customer: User) -> None:
    crm = _webhook()
    services.ticket_create(requester=customer, subject="Login loop")

    response = _post(manager_web, [{"type": "add_note", "body": "x"}], webhook=str(crm.pk), dry_run="1")

    assert response.status_code == 200
    assert "would POST a signed automation.rule_fired" in response.content.decode()
    assert WebhookDelivery.objects.count() == 0
    assert not AutomationRule.objects.exists()


def test_the_macro_editor_offers_webhooks_to_managers_and_adds_the_call(
    manager_web: Client, agent: User
) -> None:
    # given: one webhook accepts macro calls, one only rule calls
    crm = _webhook("CRM", events=("automation.macro_applied",))
    _webhook("Rules only")
    agent_web = Client()
    agent_web.force_login(agent)

    # when
    manager_page = manager_web.get("/tickets/macros/new/").content.decode()
    agent_page = agent_web.get("/tickets/macros/new/").content.decode()
    response = manager_web.post(
        "/tickets/macros/new/",
        {
            "name": "Escalate to CRM",
            "body": "Passed to the CRM team.",
            "visibility": "public",
            "actions": "",
            "webhook": str(crm.pk),
            "is_active": "on",
        },
    )

    # then: the manager picks among webhooks accepting macro calls; an agent is offered none
    assert f'<option value="{crm.pk}">CRM (http://127.0.0.1:9/hooks)</option>' in manager_page
    assert "Rules only" not in manager_page
    assert 'name="webhook"' not in agent_page
    assert response.status_code == 302, response.context["form"].errors
    assert Macro.objects.get().actions == [{"type": "webhook", "endpoint": crm.pk}]
