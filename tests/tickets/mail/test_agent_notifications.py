"""Agents hear about assignments and SLA warnings and breaches by e-mail, with a link to the ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from helpdesk import services as account_services
from helpdesk.models import Notification, User
from sla import services as sla_services
from tickets import services

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the default calendar: Mon-Fri 09-17 UTC


def test_assignment_warning_and_breach_reach_the_agent_by_email(
    customer: User, agent: User, manager: User
) -> None:
    # given a P3 ticket (2 h first response) assigned to the agent by their manager
    with time_machine.travel(MONDAY_9, tick=False):
        ticket = services.ticket_create(requester=customer, subject="Cannot log in")
        services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=manager)

    # when the SLA sweep passes 85 % and then the breach, and the mail sweep runs
    sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(minutes=102))
    sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(hours=2, minutes=5))
    sent = account_services.notifications_email_due(now=MONDAY_9 + timedelta(hours=3))

    # then every alert of the agent went out as an e-mail, linking to the ticket in the workspace
    kinds = set(Notification.objects.filter(recipient=agent).values_list("kind", flat=True))
    assert {"assigned", "sla_warning", "sla_breach"} <= kinds
    to_agent = [message for message in mail.outbox if message.to == [agent.email]]
    assert sent == len(mail.outbox)
    assert len(to_agent) == Notification.objects.filter(recipient=agent).count()
    link = f"https://help.example.test/tickets/{ticket.pk}/"
    assert all(link in message.body for message in to_agent)
    subjects = sorted(message.subject for message in to_agent)
    assert f"[Helpdesk] #{ticket.pk} assigned to you: Cannot log in" in subjects
    assert f"[Helpdesk] SLA first response 80% on #{ticket.pk}: Cannot log in" in subjects  # warning
    assert f"[Helpdesk] SLA first response 100% on #{ticket.pk}: Cannot log in" in subjects  # breach
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
