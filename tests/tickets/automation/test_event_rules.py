"""Event rules: order, stop, no loops, failures rolled back alone, every firing in the event log."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.models import Team, User
from tests.factories import CategoryFactory, TagFactory
from tickets import services
from tickets.automation.hooks import is_watching
from tickets.models import (
    AuthorKind,
    Category,
    MessageVisibility,
    Priority,
    Tag,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketMessage,
    TicketStatus,
)
from tickets.services.automation import rule_create, rule_move, rule_set_active


def make_rule(
    manager: User,
    name: str,
    conditions: dict[str, Any],
    actions: list[dict[str, Any]],
    *,
    triggers: tuple[str, ...] = ("created",),
    stop: bool = False,
    active: bool = True,
) -> int:
    return rule_create(
        actor=manager,
        name=name,
        kind="event",
        triggers=list(triggers),
        conditions_json=conditions,
        actions_json=actions,
        stop_processing=stop,
        is_active=active,
    ).pk


def fired(ticket: Ticket) -> list[str]:
    return [
        event.data["rule_name"]
        for event in TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.RULE_FIRED).order_by("id")
    ]


SUBJECT_HAS_URGENT = {"all": [{"field": "ticket.subject", "operator": "contains_any", "value": ["urgent"]}]}


def test_rules_run_in_order_and_later_rules_see_earlier_changes(
    customer: User, rules_manager: User, vip_tag: Tag
) -> None:
    # given: the second rule reads what the first one sets
    make_rule(
        rules_manager,
        "Urgent is P1",
        SUBJECT_HAS_URGENT,
        [{"type": "set", "field": "priority", "value": "p1"}],
    )
    make_rule(
        rules_manager,
        "P1 is tagged",
        {"all": [{"field": "ticket.priority", "operator": "is", "value": "p1"}]},
        [{"type": "add_tags", "tags": ["vip"]}],
    )
    # when
    ticket = services.ticket_create(requester=customer, subject="Urgent: site down")
    # then
    assert ticket.priority == Priority.P1
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    assert fired(ticket) == ["Urgent is P1", "P1 is tagged"]


def test_moving_a_rule_changes_what_later_rules_see(
    customer: User, rules_manager: User, vip_tag: Tag
) -> None:
    make_rule(
        rules_manager,
        "Urgent is P1",
        SUBJECT_HAS_URGENT,
        [{"type": "set", "field": "priority", "value": "p1"}],
    )
    tagger = make_rule(
        rules_manager,
        "P1 is tagged",
        {"all": [{"field": "ticket.priority", "operator": "is", "value": "p1"}]},
        [{"type": "add_tags", "tags": ["vip"]}],
    )
    rule_move(rule_id=tagger, direction="up", actor=rules_manager)

    ticket = services.ticket_create(requester=customer, subject="Urgent: site down")

    assert fired(ticket) == ["Urgent is P1"]
    assert not ticket.tags.exists()


def test_stop_processing_ends_the_run_for_that_ticket(
    customer: User, rules_manager: User, vip_tag: Tag
) -> None:
    make_rule(
        rules_manager,
        "Urgent is P1",
        SUBJECT_HAS_URGENT,
        [{"type": "set", "field": "priority", "value": "p1"}],
        stop=True,
    )
    make_rule(rules_manager, "Tag everything", {}, [{"type": "add_tags", "tags": ["vip"]}])

    urgent = services.ticket_create(requester=customer, subject="Urgent: site down")
    calm = services.ticket_create(requester=customer, subject="Question")

    assert fired(urgent) == ["Urgent is P1"]
    assert fired(calm) == ["Tag everything"]


def test_inactive_rules_do_not_fire(customer: User, rules_manager: User) -> None:
    rule_id = make_rule(rules_manager, "Note", {}, [{"type": "add_note", "body": "hello"}], active=False)
    assert fired(services.ticket_create(requester=customer, subject="A")) == []

    rule_set_active(rule_id=rule_id, is_active=True, actor=rules_manager)

    assert fired(services.ticket_create(requester=customer, subject="B")) == ["Note"]


def test_rule_changes_do_not_trigger_update_rules(customer: User, rules_manager: User, agent: User) -> None:
    # given: an "updated" rule that would fire on any change, and a "created" rule that changes the ticket
    make_rule(rules_manager, "On create", {}, [{"type": "set", "field": "priority", "value": "p2"}])
    make_rule(
        rules_manager, "On update", {}, [{"type": "add_note", "body": "updated"}], triggers=("updated",)
    )
    # when
    ticket = services.ticket_create(requester=customer, subject="Hello")
    # then: the create rule's change did not count as an update
    assert fired(ticket) == ["On create"]
    # and an agent's change does
    services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"priority": Priority.P4})
    assert fired(ticket) == ["On create", "On update"]


def test_an_update_rule_that_updates_fires_once_per_write(
    customer: User, rules_manager: User, agent: User
) -> None:
    make_rule(rules_manager, "Ping-pong", {}, [{"type": "add_note", "body": "again"}], triggers=("updated",))
    ticket = services.ticket_create(requester=customer, subject="Hello")

    services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"priority": Priority.P2})
    services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"priority": Priority.P1})

    assert fired(ticket) == ["Ping-pong", "Ping-pong"]
    assert ticket.messages.count() == 2


def test_customer_replied_rules_see_the_reply(customer: User, rules_manager: User, agent: User) -> None:
    # given
    make_rule(
        rules_manager,
        "Angry customer",
        {"all": [{"field": "message.body", "operator": "contains_any", "value": ["unacceptable", "cancel"]}]},
        [{"type": "set", "field": "priority", "value": "p2"}],
        triggers=("customer_replied",),
    )
    ticket = services.ticket_create(requester=customer, subject="Export broken")
    # when: an agent writes the words, then the customer does
    services.message_create(ticket_id=ticket.pk, author=agent, body="Do not cancel yet")
    ticket.refresh_from_db()
    assert ticket.priority == Priority.P3
    services.message_create(ticket_id=ticket.pk, author=customer, body="This is unacceptable.")
    # then
    ticket.refresh_from_db()
    assert ticket.priority == Priority.P2
    assert fired(ticket) == ["Angry customer"]


def test_changed_fields_can_be_conditions(customer: User, rules_manager: User, agent: User) -> None:
    make_rule(
        rules_manager,
        "Resolved",
        {
            "all": [
                {"field": "event.changed_fields", "operator": "contains_any", "value": ["status"]},
                {"field": "ticket.status", "operator": "is", "value": "resolved"},
            ]
        },
        [{"type": "reply", "body": "Glad we could help, {{ requester.first_name }}."}],
        triggers=("updated",),
    )
    ticket = services.ticket_create(requester=customer, subject="Hello", assignee=agent)
    services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"priority": Priority.P2})
    assert fired(ticket) == []

    services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.RESOLVED, actor=agent)

    reply = TicketMessage.objects.get(ticket=ticket)
    assert (reply.visibility, reply.author_kind, reply.is_automatic) == (
        MessageVisibility.PUBLIC,
        AuthorKind.SYSTEM,
        True,
    )
    assert reply.body == f"Glad we could help, {customer.full_name.split(' ')[0]}."


def test_a_refused_action_rolls_back_its_rule_only_and_is_logged(customer: User, rules_manager: User) -> None:
    # given: the first rule sets a field then makes a forbidden move; the second is fine
    make_rule(
        rules_manager,
        "Broken",
        {},
        [
            {"type": "set", "field": "priority", "value": "p1"},
            {"type": "set", "field": "status", "value": "engineering"},
        ],
    )
    make_rule(rules_manager, "Fine", {}, [{"type": "set", "field": "severity", "value": "sev2"}])
    # when
    ticket = services.ticket_create(requester=customer, subject="Hello")
    # then: the ticket exists, the broken rule's first action was taken back, the other applied
    assert ticket.priority == Priority.P3
    assert ticket.severity == "sev2"
    broken = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.RULE_FIRED, data__rule_name="Broken")
    assert broken.data["rolled_back"] is True
    assert "engineering" in broken.data["error"]
    assert fired(ticket) == ["Broken", "Fine"]


def test_every_firing_is_one_event_with_what_each_action_did(customer: User, rules_manager: User) -> None:
    category = CategoryFactory(name="Billing", slug="billing")
    TagFactory(name="money")
    make_rule(
        rules_manager,
        "Billing",
        {"all": [{"field": "ticket.text", "operator": "contains_any", "value": ["invoice"]}]},
        [{"type": "set", "field": "category", "value": category.pk}, {"type": "add_tags", "tags": ["money"]}],
    )

    ticket = services.ticket_create(
        requester=customer, subject="Question", description="Where is my invoice?"
    )

    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.RULE_FIRED)
    assert event.actor_id is None
    assert event.data == {
        "rule_id": event.data["rule_id"],
        "rule_name": "Billing",
        "trigger": "created",
        "actions": [
            {"type": "set", "result": f"category → {category.pk}"},
            {"type": "add_tags", "result": "money"},
        ],
    }


def test_imports_do_not_fire_rules(rules_manager: User, admin_user: User, customer: User) -> None:
    from datetime import timedelta

    from django.utils import timezone

    make_rule(rules_manager, "Note", {}, [{"type": "add_note", "body": "hello"}])

    ticket, _ = services.ticket_import(
        payload=services.TicketImport(
            source="zendesk",
            external_id="1",
            created_at=timezone.now() - timedelta(days=3),
            fields={"requester": customer, "subject": "Old"},
            messages=[],
            statuses=[],
        ),
        actor=admin_user,
    )

    assert fired(ticket) == []


def test_watching_ends_with_the_write(customer: User) -> None:
    services.ticket_create(requester=customer, subject="A")

    assert is_watching() is False


def test_api_answer_shows_what_rules_changed(
    agent_client: Any, customer: User, rules_manager: User, vip_tag: Tag
) -> None:
    make_rule(rules_manager, "Tag", {}, [{"type": "add_tags", "tags": ["vip"]}])

    response = agent_client.post(
        "/api/v1/tickets/", {"subject": "Hello", "requester": customer.pk, "tags": []}, format="json"
    )

    assert response.status_code == 201, response.data
    assert response.data["tags"] == ["vip"]


@pytest.fixture
def authentication_team(auth_team: Team) -> Team:
    return auth_team


def test_route_action_moves_and_assigns(
    customer: User, rules_manager: User, authentication: Category, auth_team: Team, auth_agent: User
) -> None:
    from tickets.services.routing import team_routing_set

    team_routing_set(team=auth_team, strategy="round_robin", auto_assign=True, actor=rules_manager)
    make_rule(rules_manager, "Route", {}, [{"type": "route", "team": auth_team.pk}])

    ticket = services.ticket_create(requester=customer, subject="Hello")

    assert (ticket.team_id, ticket.assignee_id, ticket.status) == (
        auth_team.pk,
        auth_agent.pk,
        TicketStatus.ASSIGNED,
    )
    routed = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ROUTED)
    assert routed.data["strategy"] == "round_robin"
    assert routed.data["assignee"] == auth_agent.pk


def test_filing_with_attachments_is_one_created_write(customer: User, rules_manager: User) -> None:
    from tickets.automation.hooks import one_write

    make_rule(rules_manager, "On create", {}, [{"type": "add_note", "body": "created"}])
    make_rule(
        rules_manager,
        "On reply",
        {},
        [{"type": "add_note", "body": "replied"}],
        triggers=("customer_replied",),
    )

    with one_write():
        ticket = services.ticket_create(requester=customer, subject="Hello")
        services.message_create(ticket_id=ticket.pk, author=customer, body="(attachments)")

    assert fired(ticket) == ["On create"]
