"""Fan-out: which event each change becomes, what its payload says, and that it is sent once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.models import Role, User, WebhookDelivery, WebhookFeedCursor
from helpdesk.webhooks import services
from metrics import services as metrics_services
from metrics.models import SurveySettings
from sla import services as sla_services
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tests.helpdesk.webhooks.conftest import SubscribeFn, fan_out, send_due
from tests.helpdesk.webhooks.receiver import WebhookReceiver
from tests.metrics.conftest import T0, World, sent_survey
from tests.sla.worker_support import sla_world_create, tickets_create_at
from tickets import services as ticket_services
from tickets.models import MessageVisibility, TicketStatus

pytestmark = pytest.mark.django_db


def test_new_ticket_reaches_the_receiver_signed(
    receiver: WebhookReceiver, subscribe: SubscribeFn, requester: User, support_agent: User
) -> None:
    # given a subscription to ticket.created
    subscribe(["ticket.created"])

    # when a ticket is opened and the sweep runs
    ticket = ticket_services.ticket_create(
        requester=requester, subject="Printer on fire", description="Smoke.", assignee=support_agent
    )
    [attempt] = send_due()

    # then the receiver got one signed POST with the event, delivery id and the ticket
    [got] = receiver.received
    delivery = WebhookDelivery.objects.get()
    assert got.signature_valid
    assert (got.path, got.event, got.delivery) == ("/hooks", "ticket.created", str(delivery.uuid))
    assert got.headers["Content-Type"] == "application/json"
    body = got.json
    assert body["type"] == "ticket.created"
    assert body["id"] == f"ticket_event:{delivery.source_id}"
    assert body["actor"]["id"] == requester.pk
    assert body["ticket"]["id"] == ticket.pk
    assert body["ticket"]["subject"] == "Printer on fire"
    assert body["ticket"]["status"] == TicketStatus.ASSIGNED
    assert body["ticket"]["requester"] == {
        "id": requester.pk,
        "name": "Carol Client",
        "email": "carol@customer.test",
        "role": "customer",
    }
    assert body["ticket"]["assignee"]["email"] == "sam@helpdesk.test"
    assert body["ticket"]["organization"] == {
        "id": requester.organization_id,
        "name": requester.organization.name,
    }
    assert body["ticket"]["links"]["agent"].endswith(f"/tickets/{ticket.pk}/")
    assert body["ticket"]["links"]["api"].endswith(f"/api/v1/tickets/{ticket.pk}/")
    # and the delivery is logged as delivered with the answer's status code
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == ("delivered", 1, 200)
    assert (attempt.number, attempt.status_code, attempt.is_success) == (1, 200, True)
    assert attempt.response_body == '{"status": 200}'


def test_status_change_is_ticket_updated_with_the_change(
    receiver: WebhookReceiver, subscribe: SubscribeFn, requester: User, support_agent: User
) -> None:
    # given a ticket opened before the subscription
    ticket = ticket_services.ticket_create(requester=requester, subject="VPN down")
    subscribe(["ticket.created", "ticket.updated"])

    # when an agent moves it to pending
    ticket_services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.PENDING, actor=support_agent)
    send_due()

    # then only the change is sent (the creation predates the subscription)
    [got] = receiver.received
    assert got.event == "ticket.updated"
    assert got.json["change"] == {"kind": "status_changed", "data": {"from": "new", "to": "pending"}}
    assert got.json["actor"]["id"] == support_agent.pk
    assert got.json["ticket"]["status"] == "pending"


def test_public_reply_is_message_created_with_its_text(
    subscribe: SubscribeFn, requester: User, support_agent: User
) -> None:
    ticket = ticket_services.ticket_create(requester=requester, subject="Invoice")
    subscribe(["message.created"])

    message = ticket_services.message_create(ticket_id=ticket.pk, author=support_agent, body="We are on it.")
    [delivery] = fan_out()

    assert delivery.event_type == "message.created"
    assert delivery.payload["message"] == {
        "id": message.pk,
        "visibility": "public",
        "author_kind": "agent",
        "author": {
            "id": support_agent.pk,
            "name": "Sam Support",
            "email": "sam@helpdesk.test",
            "role": "agent",
        },
        "is_automatic": False,
        "channel": "portal",
        "body": "We are on it.",
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }


def test_internal_notes_go_only_to_subscriptions_that_opt_in(
    subscribe: SubscribeFn, requester: User, support_agent: User
) -> None:
    # given one subscription without internal notes and one with
    ticket = ticket_services.ticket_create(requester=requester, subject="Refund")
    plain = subscribe(["message.created"], name="CRM")
    notes = subscribe(["message.created"], name="Audit", include_internal_notes=True)

    # when an agent writes an internal note
    ticket_services.message_create(
        ticket_id=ticket.pk,
        author=support_agent,
        body="Customer is on the watch list.",
        visibility=MessageVisibility.INTERNAL,
    )
    deliveries = fan_out()

    # then only the opted-in subscription gets it, with the note's text
    assert [delivery.subscription_id for delivery in deliveries] == [notes.pk]
    assert deliveries[0].payload["message"]["visibility"] == "internal"
    assert deliveries[0].payload["message"]["body"] == "Customer is on the watch list."
    assert not WebhookDelivery.objects.filter(subscription=plain).exists()


def test_subscriptions_get_only_the_events_they_chose(subscribe: SubscribeFn, requester: User) -> None:
    created_only = subscribe(["ticket.created"], name="New tickets")
    messages_only = subscribe(["message.created"], name="Messages")

    ticket = ticket_services.ticket_create(requester=requester, subject="Login loop")
    ticket_services.message_create(ticket_id=ticket.pk, author=requester, body="Still looping.")
    deliveries = fan_out()

    assert sorted((d.subscription_id, d.event_type) for d in deliveries) == sorted(
        [(created_only.pk, "ticket.created"), (messages_only.pk, "message.created")]
    )


def test_sla_warnings_and_breaches_are_sent_with_their_level(subscribe: SubscribeFn) -> None:
    # given a 10-minute 24/7 policy and a ticket opened 16 minutes ago (160 % of its targets)
    world = sla_world_create(minutes=10)
    subscribe(["sla.warning", "sla.breach"])
    now = timezone.now()
    [ticket_id] = tickets_create_at(world, [now - timedelta(minutes=16)])

    # when the SLA sweep records the levels crossed
    sla_services.clocks_sweep_due(now=now)
    deliveries = fan_out(now)

    # then first response and resolution each warn at 50, 80, 90 % and breach at 100 %
    sent = sorted((d.payload["sla"]["metric"], d.event_type, d.payload["sla"]["level"]) for d in deliveries)
    assert sent == sorted(
        (metric, "sla.breach" if level == 100 else "sla.warning", level)
        for metric in ("first_response", "resolution")
        for level in (50, 80, 90, 100)
    )
    breach = next(d for d in deliveries if d.event_type == "sla.breach")
    assert breach.ticket_id == ticket_id
    assert breach.payload["sla"]["severe"] is False
    assert breach.payload["sla"]["target_seconds"] == 600
    assert breach.payload["ticket"]["id"] == ticket_id


def test_first_reply_sends_sla_fulfilled(
    subscribe: SubscribeFn, requester: User, support_agent: User
) -> None:
    # given a ticket under the default policy, with a first-response clock running
    ticket = ticket_services.ticket_create(requester=requester, subject="Where is my order?")
    subscribe(["sla.fulfilled"])

    # when an agent replies publicly
    ticket_services.message_create(ticket_id=ticket.pk, author=support_agent, body="On its way.")
    deliveries = fan_out()

    # then the first-response clock's fulfilment is sent
    assert [(d.event_type, d.payload["sla"]["metric"], d.payload["sla"]["state"]) for d in deliveries] == [
        ("sla.fulfilled", "first_response", "fulfilled")
    ]


def test_the_same_events_fanned_out_twice_are_delivered_once(subscribe: SubscribeFn, requester: User) -> None:
    subscribe()
    ticket_services.ticket_create(requester=requester, subject="Twice?")
    first = fan_out()

    # the cursor moved on; even from a rewound cursor, the unique constraint keeps one per event
    WebhookFeedCursor.objects.update(position=0, gaps=[])
    second = fan_out()

    assert len(first) == 1
    assert [d.pk for d in second] == [d.pk for d in first]


def test_events_from_before_the_first_subscription_are_never_sent(
    subscribe: SubscribeFn, requester: User
) -> None:
    ticket_services.ticket_create(requester=requester, subject="Too early")
    subscribe()

    assert fan_out() == []


def test_with_nobody_subscribed_the_feed_skips_ahead(subscribe: SubscribeFn, requester: User) -> None:
    # given a subscription that is switched off
    subscription = subscribe()
    services.webhook_subscription_update(subscription_id=subscription.pk, is_active=False)

    # when events happen while nobody listens, and it is switched on again
    ticket_services.ticket_create(requester=requester, subject="Unheard")
    assert fan_out() == []
    services.webhook_subscription_enable(subscription_id=subscription.pk)
    ticket = ticket_services.ticket_create(requester=requester, subject="Heard")

    # then only what happened after is delivered
    assert [d.payload["ticket"]["id"] for d in fan_out()] == [ticket.pk]


def test_a_survey_answer_sends_survey_answered(subscribe: SubscribeFn) -> None:
    # given a CSAT survey sent for a resolved ticket
    SurveySettings.objects.filter(pk=1).delete()
    SurveySettings.objects.create(pk=1)
    lead = AgentFactory(email="lead@surveys.test", role=Role.TEAM_LEAD)
    agent = AgentFactory(email="agent@surveys.test")
    team = TeamFactory(name="Support", slug="support", lead=lead)
    team.members.add(lead, agent)
    customer = CustomerFactory(email="dora@customer.test")
    world = World(lead=lead, agent=agent, customer=customer, manager=lead, team=team)
    survey, _ = sent_survey(world)
    subscribe(["survey.answered"])

    # when the customer answers through the metrics service
    metrics_services.survey_answer(survey_id=survey.pk, score=4, now=T0 + timedelta(days=1))
    [delivery] = fan_out()

    # then the score is sent with the ticket it was about
    assert delivery.event_type == "survey.answered"
    assert delivery.payload["survey"] == {
        "survey_id": survey.pk,
        "kind": "csat",
        "score": 4,
        "scale_max": 5,
        "previous": None,
    }
    assert delivery.payload["ticket"]["id"] == survey.ticket_id
    assert delivery.payload["actor"]["id"] == customer.pk


def test_an_escalation_is_sent_without_its_internal_handoff_text(
    subscribe: SubscribeFn, requester: User, support_agent: User
) -> None:
    # given subscriptions with and without internal notes
    ticket = ticket_services.ticket_create(requester=requester, subject="Database down")
    plain = subscribe(["ticket.updated", "message.created"], name="CRM")
    notes = subscribe(["message.created"], name="Audit", include_internal_notes=True)

    # when an agent escalates with a handoff
    ticket_services.ticket_escalate(
        ticket_id=ticket.pk,
        actor=support_agent,
        handoff={"issue_summary": "Customer DB password is hunter2"},
    )
    deliveries = fan_out()

    # then the escalation is a ticket.updated without the handoff text; the note goes only to Audit
    [escalated] = [
        d.payload
        for d in deliveries
        if d.subscription_id == plain.pk and d.payload.get("change", {}).get("kind") == "escalated"
    ]
    assert "handoff" not in escalated["change"]["data"]
    assert escalated["change"]["data"]["to_tier"] == "l2"
    assert [d.event_type for d in deliveries if d.subscription_id == plain.pk].count("message.created") == 0
    [note] = [d.payload for d in deliveries if d.subscription_id == notes.pk]
    assert "hunter2" in note["message"]["body"]
    assert all("hunter2" not in str(d.payload) for d in deliveries if d.subscription_id == plain.pk)
