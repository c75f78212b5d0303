"""Who hears about a ticket change: assignee, @mentioned agents, the team escalated to."""

from __future__ import annotations

import pytest

from helpdesk.models import Notification, NotificationKind, User
from tests.factories import AgentFactory, TeamFactory
from tickets import services
from tickets.services.alerts import mentioned_agent_ids

pytestmark = pytest.mark.django_db


def _kinds(user: User) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_assigning_tells_the_new_assignee_but_not_someone_taking_it_themself(
    customer: User, agent: User
) -> None:
    # given
    other = AgentFactory()
    ticket = services.ticket_create(requester=customer, subject="Printer on fire")

    # when: the agent gives it to a colleague, then takes it back
    services.ticket_assign(ticket_id=ticket.pk, assignee=other, actor=agent)
    services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=agent)

    # then
    assert _kinds(other) == [NotificationKind.ASSIGNED]
    assert _kinds(agent) == []
    notification = Notification.objects.get(recipient=other)
    assert notification.ticket_id == ticket.pk
    assert "Printer on fire" in notification.title


def test_mentions_by_email_or_short_name_notify_those_agents_once(customer: User, agent: User) -> None:
    # given
    ana = AgentFactory(email="ana@helpdesk.test", full_name="Ana Lopez")
    bob = AgentFactory(email="bob.smith@helpdesk.test")
    AgentFactory(email="sam@one.test")
    AgentFactory(email="sam@two.test")  # "@sam" is ambiguous: nobody
    ticket = services.ticket_create(requester=customer, subject="Refund")

    # when
    services.message_create(
        ticket_id=ticket.pk,
        author=agent,
        body="@ana can you check? cc @bob.smith@helpdesk.test and @sam, not mail to x@helpdesk.test",
        visibility="internal",
    )

    # then
    assert _kinds(ana) == [NotificationKind.MENTIONED]
    assert _kinds(bob) == [NotificationKind.MENTIONED]
    assert Notification.objects.filter(kind=NotificationKind.MENTIONED).count() == 2
    assert mentioned_agent_ids("write to ana@helpdesk.test") == set()
    assert mentioned_agent_ids(f"hi @{agent.email}") == {agent.pk}


def test_a_customer_cannot_page_agents_with_mentions(customer: User) -> None:
    # given
    ana = AgentFactory(email="ana@helpdesk.test")
    ticket = services.ticket_create(requester=customer, subject="Refund")

    # when
    services.message_create(ticket_id=ticket.pk, author=customer, body="@ana please hurry")

    # then
    assert _kinds(ana) == []


def test_escalating_to_a_team_tells_its_lead_and_members_but_not_the_escalator(
    customer: User, agent: User
) -> None:
    # given
    lead, member = AgentFactory(), AgentFactory()
    team = TeamFactory(lead=lead)
    team.members.add(member, agent)
    ticket = services.ticket_create(requester=customer, subject="Database down")

    # when
    services.ticket_escalate(
        ticket_id=ticket.pk, actor=agent, handoff={"issue_summary": "Needs a DBA"}, to_team=team
    )

    # then
    assert _kinds(lead) == [NotificationKind.ESCALATED]
    assert _kinds(member) == [NotificationKind.ESCALATED]
    assert _kinds(agent) == []
