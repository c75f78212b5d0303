"""One-off deliveries against a real receiver: a rule's or macro's webhook call, NPS and CES answers.

Each is enqueued in the writing transaction with a dedupe key and sent by the delivery task after
commit; a write that rolls back sends nothing, and the same occurrence is enqueued once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.models import Role, User, WebhookDelivery, WebhookSubscription
from helpdesk.webhooks import services
from helpdesk.webhooks.tasks import deliver_webhook_task
from metrics.models import Survey, SurveyKind, SurveySettings, SurveyStatus
from metrics.services.answers import survey_answer, survey_comment
from tests.factories import AgentFactory, UserFactory
from tests.helpdesk.webhooks.conftest import SubscribeFn, send_due
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tickets import services as ticket_services
from tickets.automation.rules import rules_run_time
from tickets.models import Ticket, TicketEvent, TicketEventKind
from tickets.services.automation import rule_create
from tickets.services.macros import macro_apply, macro_create
from tickets.ticket_page import event_rows_for

CaptureFn = Callable[..., Any]
RULE_CALLS = ["automation.rule_fired"]


def queued_sends(callbacks: Sequence[Callable[[], Any]]) -> list[Callable[[], Any]]:
    """Return the webhook sends among the callbacks a commit would run."""
    return [callback for callback in callbacks if getattr(callback, "__name__", "") == "queue_webhook_send"]


RunSends = Callable[[Sequence[Callable[[], Any]]], int]


@pytest.fixture
def run_queued_sends(monkeypatch: pytest.MonkeyPatch) -> RunSends:
    """Run, in this thread, the webhook sends a commit queued (other callbacks are left alone)."""
    monkeypatch.setattr(deliver_webhook_task, "delay", deliver_webhook_task)

    def run(callbacks: Sequence[Callable[[], Any]]) -> int:
        sends = queued_sends(callbacks)
        for send in sends:
            send()
        return len(sends)

    return run


@pytest.fixture
def rules_manager(db: None) -> User:
    return UserFactory(email="rules.boss@helpdesk.test", role=Role.MANAGER)


def _event_rule(manager: User, actions: list[dict[str, Any]], *, name: str = "Call the CRM") -> int:
    return rule_create(
        actor=manager,
        name=name,
        kind="event",
        triggers=["created"],
        conditions_json={
            "all": [{"field": "ticket.subject", "operator": "contains_any", "value": ["login"]}]
        },
        actions_json=actions,
        is_active=True,
    ).pk


def _rule_fired(ticket: Ticket) -> dict[str, Any]:
    [event] = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.RULE_FIRED)
    return event.data


@pytest.mark.django_db
def test_a_rule_calls_its_webhook_once_signed_after_commit(
    subscribe: SubscribeFn,
    receiver: WebhookReceiver,
    rules_manager: User,
    requester: User,
    django_capture_on_commit_callbacks: CaptureFn,
    run_queued_sends: RunSends,
) -> None:
    # given a webhook that accepts rule calls and a rule that raises the priority, then calls it
    crm = subscribe(RULE_CALLS, name="CRM")
    rule_id = _event_rule(
        rules_manager,
        [
            {"type": "set", "field": "priority", "value": "p1"},
            {"type": "webhook", "endpoint": crm.pk},
        ],
    )

    # when a matching ticket is filed, and its commit runs the queued send
    with django_capture_on_commit_callbacks() as queued:
        ticket = ticket_services.ticket_create(requester=requester, subject="Login fails")
    assert receiver.received == []  # nothing is sent before the commit
    assert run_queued_sends(queued) == 1

    # then one signed POST arrived, describing the rule, the ticket after the rule's first action
    # and the event that set it off
    [got] = receiver.received
    assert got.signature_valid
    assert got.event == "automation.rule_fired"
    created_event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.CREATED)
    body = got.json
    assert body["type"] == "automation.rule_fired"
    assert body["automation"] == {
        "kind": "rule",
        "id": rule_id,
        "name": "Call the CRM",
        "trigger": {"event": "created", "ticket_event_ids": [created_event.pk]},
    }
    assert body["id"] == f"rule:{rule_id}:ticket:{ticket.pk}:ticket_event:{created_event.pk}:action:1"
    assert (body["ticket"]["id"], body["ticket"]["priority"]) == (ticket.pk, "p1")
    assert body["actor"] is None
    delivery = WebhookDelivery.objects.get()
    assert (delivery.subscription_id, delivery.status, delivery.source, delivery.source_id) == (
        crm.pk,
        "delivered",
        "rule",
        rule_id,
    )
    assert got.delivery == str(delivery.uuid)
    outcome = _rule_fired(ticket)["actions"][1]
    assert outcome == {"type": "webhook", "result": f"webhook #{crm.pk}: delivery {delivery.uuid} queued"}


@pytest.mark.django_db
def test_the_ticket_in_a_rule_call_has_the_shape_of_other_payloads(
    subscribe: SubscribeFn, rules_manager: User, requester: User
) -> None:
    # given a webhook for new tickets and rule calls, and a rule calling it
    crm = subscribe(["ticket.created", *RULE_CALLS])
    _event_rule(rules_manager, [{"type": "webhook", "endpoint": crm.pk}])

    # when a ticket is filed and the feed fans out its creation too
    ticket_services.ticket_create(requester=requester, subject="Login fails")
    send_due()

    # then both bodies carry the same ticket object
    by_type = {delivery.event_type: delivery.payload for delivery in WebhookDelivery.objects.all()}
    assert set(by_type) == {"ticket.created", "automation.rule_fired"}
    assert by_type["automation.rule_fired"]["ticket"].keys() == by_type["ticket.created"]["ticket"].keys()
    assert by_type["automation.rule_fired"]["ticket"]["links"] == by_type["ticket.created"]["ticket"]["links"]


@pytest.mark.django_db
def test_a_rule_rolled_back_by_a_refused_action_sends_nothing(
    subscribe: SubscribeFn,
    rules_manager: User,
    requester: User,
    django_capture_on_commit_callbacks: CaptureFn,
) -> None:
    # given a rule whose webhook call is followed by a status move the ticket refuses
    crm = subscribe(RULE_CALLS)
    _event_rule(
        rules_manager,
        [
            {"type": "webhook", "endpoint": crm.pk},
            {"type": "set", "field": "status", "value": "engineering"},
        ],
    )

    # when it fires
    with django_capture_on_commit_callbacks() as queued:
        ticket = ticket_services.ticket_create(requester=requester, subject="Login fails")

    # then the rule's savepoint took the delivery (and its queued send) with it
    assert WebhookDelivery.objects.count() == 0
    assert queued_sends(queued) == []
    assert _rule_fired(ticket)["rolled_back"] is True


@pytest.mark.parametrize(("_case", "break_it"), [("switched off", "disable"), ("deleted", "delete")])
@pytest.mark.django_db
def test_an_unavailable_webhook_is_a_failed_action_and_the_rule_still_applies(
    subscribe: SubscribeFn, rules_manager: User, requester: User, _case: str, break_it: str
) -> None:
    # given a rule saved while its webhook was on; the webhook is then switched off or deleted
    crm = subscribe(RULE_CALLS, name="CRM")
    _event_rule(
        rules_manager,
        [{"type": "webhook", "endpoint": crm.pk}, {"type": "set", "field": "priority", "value": "p1"}],
    )
    if break_it == "disable":
        services.webhook_subscription_update(subscription_id=crm.pk, is_active=False)
        reason = f"not sent: Webhook “CRM” (#{crm.pk}) is switched off"
    else:
        services.webhook_subscription_delete(subscription_id=crm.pk)
        reason = "not sent: The webhook does not exist (deleted?)."

    # when the rule fires
    ticket = ticket_services.ticket_create(requester=requester, subject="Login fails")

    # then the ticket changes, the log says the call failed and why, and nothing is queued
    ticket.refresh_from_db()
    assert ticket.priority == "p1"
    data = _rule_fired(ticket)
    assert "error" not in data
    webhook_outcome = data["actions"][0]
    assert webhook_outcome["type"] == "webhook"
    assert webhook_outcome["failed"] is True
    assert webhook_outcome["result"].startswith(reason)
    assert WebhookDelivery.objects.count() == 0
    # and the ticket's history says so in words
    history = [row.detail for row in event_rows_for(rules_manager, ticket)]
    assert f"called a webhook (failed: {webhook_outcome['result']}), set a field" in history


@pytest.mark.django_db
def test_the_same_occurrence_is_enqueued_once(subscribe: SubscribeFn, requester: User) -> None:
    # given a webhook that accepts rule calls and a ticket
    crm = subscribe(RULE_CALLS)
    ticket = ticket_services.ticket_create(requester=requester, subject="Anything")
    call = {
        "subscription_id": crm.pk,
        "source": "rule",
        "source_id": 5,
        "name": "Rule",
        "ticket_id": ticket.pk,
        "trigger": {"event": "updated", "ticket_event_ids": [1]},
        "actor": None,
        "now": timezone.now(),
    }

    # when the same firing is enqueued twice, and another once
    first = services.webhook_automation_call(dedupe_key="rule:5:ticket:1:ticket_event:1:action:0", **call)
    again = services.webhook_automation_call(dedupe_key="rule:5:ticket:1:ticket_event:1:action:0", **call)
    other = services.webhook_automation_call(dedupe_key="rule:5:ticket:1:ticket_event:2:action:0", **call)

    # then the repeat inserted nothing
    assert first is not None
    assert again is None
    assert other is not None
    assert list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True)) == [first.pk, other.pk]


@pytest.mark.django_db
def test_a_time_rule_swept_again_calls_its_webhook_once(
    subscribe: SubscribeFn, rules_manager: User, requester: User
) -> None:
    # given a time rule calling a webhook for tickets older than 2 hours
    crm = subscribe(RULE_CALLS)
    rule = rule_create(
        actor=rules_manager,
        name="Old tickets to the CRM",
        kind="time",
        conditions_json={"all": [{"field": "hours_since_created", "operator": "gt", "value": 2}]},
        actions_json=[{"type": "webhook", "endpoint": crm.pk}],
        is_active=True,
    )
    start = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    ticket = ticket_services.ticket_create(requester=requester, subject="Old", created_at=start)

    # when the sweep runs twice
    now = timezone.now()
    assert rules_run_time(now=now) == 1
    assert rules_run_time(now=now + timedelta(minutes=1)) == 0

    # then one delivery, naming the period the rule fired for
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.payload["automation"]["trigger"] == {"event": "time", "period_start": start.isoformat()}
    assert delivery.dedupe_key == f"rule:{rule.pk}:ticket:{ticket.pk}:period:{start.isoformat()}:action:0"


@pytest.mark.django_db
def test_a_macro_calls_its_webhook_as_the_agent(subscribe: SubscribeFn, requester: User) -> None:
    # given a shared macro calling a webhook that accepts macro calls
    crm = subscribe(["automation.macro_applied"])
    manager = UserFactory(role=Role.MANAGER)
    macro = macro_create(
        actor=manager,
        name="Send to CRM",
        body="",
        actions_json=[{"type": "webhook", "endpoint": crm.pk}],
        shared=True,
    )
    agent = AgentFactory(full_name="Sam Agent")
    ticket = ticket_services.ticket_create(requester=requester, subject="Anything")

    # when an agent applies it
    macro_apply(macro_id=macro.pk, ticket_id=ticket.pk, actor=agent)

    # then one macro call, naming the agent
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event_type == "automation.macro_applied"
    assert delivery.payload["actor"]["id"] == agent.pk
    assert delivery.payload["automation"] == {
        "kind": "macro",
        "id": macro.pk,
        "name": "Send to CRM",
        "trigger": {"event": "macro_applied", "message_id": None},
    }


# --- survey answers without a ticket event -----------------------------------------------------------


@pytest.fixture
def nps_survey(requester: User) -> Survey:
    now = timezone.now()
    return Survey.objects.create(
        kind=SurveyKind.NPS, status=SurveyStatus.SENT, requester=requester, due_at=now, sent_at=now
    )


@pytest.mark.django_db
def test_an_nps_answer_is_sent_once_to_survey_subscribers(
    subscribe: SubscribeFn,
    receiver: WebhookReceiver,
    nps_survey: Survey,
    requester: User,
    django_capture_on_commit_callbacks: CaptureFn,
    run_queued_sends: RunSends,
) -> None:
    # given one subscription to survey answers and one to something else
    subscribe(["survey.answered"], name="Surveys")
    subscribe(["ticket.created"], name="Tickets")
    now = timezone.now()

    # when the customer scores 9, clicks the same link again, then changes to 7
    sent = []
    for score, at in ((9, now), (9, now + timedelta(seconds=5)), (7, now + timedelta(minutes=1))):
        with django_capture_on_commit_callbacks() as queued:
            survey_answer(survey_id=nps_survey.pk, score=score, now=at)
        sent.append(run_queued_sends(queued))

    # then the survey subscriber got the first answer and the change, signed; nobody else got any
    assert sent == [1, 0, 1]
    got = receiver.received
    assert [r.event for r in got] == ["survey.answered", "survey.answered"]
    assert all(r.signature_valid for r in got)
    assert [r.json["survey"] for r in got] == [
        {"survey_id": nps_survey.pk, "kind": "nps", "score": 9, "scale_max": 10, "previous": None},
        {"survey_id": nps_survey.pk, "kind": "nps", "score": 7, "scale_max": 10, "previous": 9},
    ]
    assert got[0].json["ticket"] is None
    assert got[0].json["actor"]["id"] == requester.pk
    assert WebhookDelivery.objects.filter(subscription__name="Tickets").count() == 0


@pytest.mark.django_db
def test_a_ces_answer_is_sent_with_its_ticket(subscribe: SubscribeFn, requester: User) -> None:
    # given a CSAT survey on a resolved ticket, with the effort question on
    subscribe(["survey.answered"])
    ticket = ticket_services.ticket_create(requester=requester, subject="Done")
    now = timezone.now()
    survey = Survey.objects.create(
        kind=SurveyKind.CSAT,
        status=SurveyStatus.SENT,
        requester=requester,
        ticket=ticket,
        resolved_at=now,
        due_at=now,
        sent_at=now,
    )
    config = SurveySettings(ces_enabled=True)

    # when the customer gives an effort score, then saves the same one with a comment
    survey_comment(survey_id=survey.pk, comment="", effort_score=2, now=now, config=config)
    survey_comment(
        survey_id=survey.pk, comment="Thanks", effort_score=2, now=now + timedelta(seconds=3), config=config
    )

    # then one CES answer was enqueued, with the ticket
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.payload["survey"] == {
        "survey_id": survey.pk,
        "kind": "ces",
        "score": 2,
        "scale_max": 7,
        "previous": None,
    }
    assert (delivery.ticket_id, delivery.payload["ticket"]["id"]) == (ticket.pk, ticket.pk)


@pytest.mark.django_db
def test_no_survey_subscriber_means_no_delivery(subscribe: SubscribeFn, nps_survey: Survey) -> None:
    subscribe(["ticket.created"])

    survey_answer(survey_id=nps_survey.pk, score=3, now=timezone.now())

    assert WebhookDelivery.objects.count() == 0


# --- racing writers ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_transactions_enqueuing_one_occurrence_insert_one_delivery(
    subscribe: SubscribeFn, requester: User
) -> None:
    # given a webhook and a first transaction that has enqueued but not yet committed
    subscription: WebhookSubscription = subscribe(RULE_CALLS)
    enqueue = {
        "subscriptions": [subscription],
        "event_type": "automation.rule_fired",
        "source": "rule",
        "source_id": 1,
        "ticket_id": None,
        "payload": {"id": "k"},
        "dedupe_key": "rule:1:ticket:1:ticket_event:1:action:0",
        "now": timezone.now(),
    }
    inserted_first, release_first = threading.Event(), threading.Event()
    results: dict[str, int] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = len(services.webhook_deliveries_enqueue(**enqueue))
                inserted_first.set()
                release_first.wait(10)
        finally:
            connection.close()

    def second() -> None:
        try:
            inserted_first.wait(10)
            with transaction.atomic():
                results["second"] = len(services.webhook_deliveries_enqueue(**enqueue))
        finally:
            connection.close()

    # when the second enqueues the same occurrence meanwhile (it waits on the first's row)
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inserted_first.wait(10)
    threads[1].join(0.5)
    assert threads[1].is_alive()  # blocked on the uncommitted row, not inserting its own
    release_first.set()
    for thread in threads:
        thread.join(10)

    # then exactly one delivery exists, inserted by the first
    assert results == {"first": 1, "second": 0}
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_broker_outage_after_commit_is_logged_and_the_sweep_sends_later(
    subscribe: SubscribeFn,
    receiver: WebhookReceiver,
    nps_survey: Survey,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: CaptureFn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a broker that refuses connections
    subscribe(["survey.answered"])

    def broker_down(*args: object) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(deliver_webhook_task, "delay", broker_down)
    now = timezone.now()

    # when an answer's commit queues its send (the answer itself is saved)
    with django_capture_on_commit_callbacks(execute=True):
        survey_answer(survey_id=nps_survey.pk, score=10, now=now)

    # then the failure is logged, not raised; the claimed delivery waits for its lease to lapse
    assert "queue_webhook_send" in caplog.text
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.status, delivery.attempt_count) == ("pending", 0)
    assert send_due(now) == []
    [attempt] = send_due(now + services.CLAIM_LEASE + timedelta(seconds=1))
    assert attempt.is_success
    assert receiver.received[0].json["survey"]["score"] == 10
