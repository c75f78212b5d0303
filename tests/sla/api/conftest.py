"""SLA API fixtures: tickets opened through the services at fixed instants on the default calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from helpdesk.models import User
from sla.models import BusinessCalendar, SlaPolicy
from tests.factories import AgentFactory
from tickets import services as ticket_services
from tickets.models import Ticket

# Monday 2 March 2026, 09:00 UTC: the seeded default calendar is Mon-Fri 09:00-17:00 UTC.
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, *, day: int = 2) -> datetime:
    """Return an instant in the week of 2 March 2026 (UTC)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def open_ticket(requester: User, *, when: datetime = MONDAY_9, priority: str = "p3") -> Ticket:
    with time_machine.travel(when, tick=False):
        return ticket_services.ticket_create(requester=requester, subject="Cannot log in", priority=priority)


def change_status(ticket: Ticket, to: str, *, when: datetime, actor: User) -> None:
    with time_machine.travel(when, tick=False):
        ticket_services.ticket_change_status(ticket_id=ticket.pk, to=to, actor=actor, at=when)


@pytest.fixture
def default_calendar(db: None) -> BusinessCalendar:
    return BusinessCalendar.objects.get(is_default=True)


@pytest.fixture
def default_policy(db: None) -> SlaPolicy:
    return SlaPolicy.objects.get(is_default=True)


@pytest.fixture
def team_lead_client(db: None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=AgentFactory(email="lead@helpdesk.test", role="team_lead"))
    return client
