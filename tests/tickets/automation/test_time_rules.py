"""Time rules: swept every minute, once per ticket and qualifying period, each firing logged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from config.celery import app
from helpdesk.models import User
from tests.factories import CustomerFactory
from tickets import services
from tickets.automation.rules import rules_run_time
from tickets.models import RuleFiring, Ticket, TicketEvent, TicketEventKind, TicketStatus
from tickets.services.automation import rule_create


def time_rule(
    manager: User, name: str, conditions: dict[str, Any], actions: list[dict[str, Any]], **extra: Any
) -> int:
    return rule_create(
        actor=manager,
        name=name,
        kind="time",
        conditions_json=conditions,
        actions_json=actions,
        is_active=True,
        **extra,
    ).pk


def firings(ticket: Ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.RULE_FIRED).order_by("id"))


@pytest.fixture
def start() -> datetime:
    return timezone.now().replace(microsecond=0) - timedelta(days=1)


def test_time_rules_are_swept_every_minute() -> None:
    entry = app.conf.beat_schedule["tickets-run-time-rules"]

    assert (entry["task"], entry["schedule"]) == ("tickets.run_time_rules", 60.0)


def test_a_rule_fires_in_the_first_minute_it_is_due_and_only_once(
    customer: User, rules_manager: User, start: datetime
) -> None:
    # given: the reference's escalation example, P2 and untouched for more than 2 hours
    time_rule(
        rules_manager,
        "Approaching SLA breach",
        {
            "all": [
                {"field": "hours_since_created", "operator": "gt", "value": 2},
                {"field": "ticket.priority", "operator": "is", "value": "p2"},
                {"field": "ticket.status", "operator": "in", "value": ["new", "triaged"]},
            ]
        },
        [{"type": "add_note", "body": "Approaching SLA breach"}],
    )
    ticket = services.ticket_create(requester=customer, subject="Down", priority="p2", created_at=start)
    other = services.ticket_create(requester=customer, subject="Calm", priority="p4", created_at=start)
    # when / then: not at 2 hours, yes at 2 hours and one minute, never again
    assert rules_run_time(now=start + timedelta(hours=2)) == 0
    assert rules_run_time(now=start + timedelta(hours=2, minutes=1)) == 1
    assert rules_run_time(now=start + timedelta(hours=2, minutes=2)) == 0
    assert rules_run_time(now=start + timedelta(hours=5)) == 0
    assert [event.data["trigger"] for event in firings(ticket)] == ["time"]
    assert firings(other) == []
    assert ticket.messages.get().body == "Approaching SLA breach"


def test_an_idle_rule_fires_again_after_the_ticket_is_updated_and_idles_again(
    customer: User, agent: User, rules_manager: User, start: datetime
) -> None:
    time_rule(
        rules_manager,
        "Idle reminder",
        {"all": [{"field": "hours_since_updated", "operator": "gt", "value": 4}]},
        [{"type": "notify", "to": ["assignee"], "message": "Idle for 4 hours"}],
    )
    ticket = services.ticket_create(requester=customer, subject="Hello", assignee=agent, created_at=start)

    assert rules_run_time(now=start + timedelta(hours=4, minutes=1)) == 1
    assert rules_run_time(now=start + timedelta(hours=9)) == 0  # same period: notify changes nothing
    services.ticket_update(
        ticket_id=ticket.pk, actor=agent, changes={"priority": "p2"}, at=start + timedelta(hours=10)
    )
    assert rules_run_time(now=start + timedelta(hours=12)) == 0
    assert rules_run_time(now=start + timedelta(hours=14, minutes=1)) == 1
    assert RuleFiring.objects.filter(ticket=ticket).count() == 2
    assert agent.notifications.filter(kind="automation").count() == 2


def test_pending_too_long_closes_the_loop(
    customer: User, agent: User, rules_manager: User, start: datetime
) -> None:
    time_rule(
        rules_manager,
        "Nudge after 48 h pending",
        {"all": [{"field": "hours_since_pending", "operator": "gte", "value": 48}]},
        [{"type": "reply", "body": "Do you still need help, {{ requester.first_name }}?"}],
    )
    ticket = services.ticket_create(requester=customer, subject="Hello", assignee=agent, created_at=start)
    services.ticket_change_status(
        ticket_id=ticket.pk, to=TicketStatus.PENDING, actor=agent, at=start + timedelta(hours=1)
    )

    assert rules_run_time(now=start + timedelta(hours=48, minutes=59)) == 0
    assert rules_run_time(now=start + timedelta(hours=49)) == 1
    reply = ticket.messages.get()
    assert reply.is_automatic is True


def test_sla_percent_elapsed_rule(agent: User, rules_manager: User) -> None:
    # given: a Business customer's P1 ticket (24/7, 15 minute first response)
    now = timezone.now()
    customer = CustomerFactory()
    time_rule(
        rules_manager,
        "SLA at risk",
        {"all": [{"field": "sla.percent_elapsed", "operator": "gte", "value": 60}]},
        [{"type": "notify", "to": ["team_lead", "assignee"], "message": "SLA 60 % used"}],
    )
    ticket = services.ticket_create(
        requester=customer,
        subject="Down",
        priority="p1",
        assignee=agent,
        created_at=now - timedelta(minutes=8),
    )
    # when / then: stored clocks are as of the re-plan (now); the sweep adds the time since
    assert rules_run_time(now=now) == 0  # 8 of 15 minutes: 53 %
    assert rules_run_time(now=now + timedelta(minutes=2)) == 1  # 10 of 15: 67 %
    assert rules_run_time(now=now + timedelta(minutes=3)) == 0
    assert firings(ticket)[0].data["rule_name"] == "SLA at risk"


def test_closed_tickets_are_not_swept(
    customer: User, agent: User, rules_manager: User, start: datetime
) -> None:
    time_rule(
        rules_manager,
        "Old",
        {"all": [{"field": "hours_since_created", "operator": "gt", "value": 1}]},
        [{"type": "add_note", "body": "old"}],
    )
    ticket = services.ticket_create(requester=customer, subject="Hello", created_at=start)
    services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.CLOSED, actor=agent)

    assert rules_run_time(now=timezone.now()) == 0


def test_a_time_rule_without_a_time_condition_is_refused(rules_manager: User) -> None:
    from helpdesk.exceptions import DomainError

    with pytest.raises(DomainError) as error:
        time_rule(
            rules_manager,
            "Every minute",
            {"all": [{"field": "ticket.status", "operator": "is", "value": "new"}]},
            [{"type": "add_note", "body": "spam"}],
        )

    assert "time condition" in error.value.field_errors["conditions"][0]


def test_a_time_rule_action_does_not_trigger_event_rules(
    customer: User, rules_manager: User, start: datetime
) -> None:
    rule_create(
        actor=rules_manager,
        name="On update",
        kind="event",
        triggers=["updated"],
        conditions_json={},
        actions_json=[{"type": "add_note", "body": "updated"}],
        is_active=True,
    )
    time_rule(
        rules_manager,
        "Raise after a day",
        {"all": [{"field": "hours_since_created", "operator": "gt", "value": 20}]},
        [{"type": "set", "field": "priority", "value": "p2"}],
    )
    ticket = services.ticket_create(requester=customer, subject="Hello", created_at=start)

    assert rules_run_time(now=timezone.now()) == 1

    assert [event.data["rule_name"] for event in firings(ticket)] == ["Raise after a day"]
    assert not ticket.messages.exists()


def test_a_rule_whose_action_updates_the_ticket_does_not_loop(
    customer: User, rules_manager: User, start: datetime
) -> None:
    # given: "idle for more than 0 hours → add a note" would re-qualify after its own note
    time_rule(
        rules_manager,
        "Eager",
        {"all": [{"field": "hours_since_updated", "operator": "gt", "value": 0}]},
        [{"type": "add_note", "body": "still here"}],
    )
    ticket = services.ticket_create(requester=customer, subject="Hello", created_at=start)
    # when
    results = [rules_run_time(now=timezone.now() + timedelta(minutes=minute)) for minute in range(4)]
    # then
    assert results == [1, 0, 0, 0]
    assert ticket.messages.count() == 1
