"""Survey test support: a team with a lead, its agent, a customer, and tickets resolved at set instants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail

from helpdesk.models import Role, Team, User
from metrics import services
from metrics.models import Survey, SurveySettings
from tests.factories import AgentFactory, CustomerFactory, TeamFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket, TicketStatus

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DELAY = timedelta(hours=2)
LINK = re.compile(r"https?://\S+/surveys/s/(?P<token>[^/\s]+)/rate/(?P<score>\d+)/")


@dataclass
class World:
    lead: User
    agent: User
    customer: User
    manager: User
    team: Team


@pytest.fixture
def world(db: None) -> World:
    lead = AgentFactory(email="lead@surveys.test", role=Role.TEAM_LEAD)
    agent = AgentFactory(email="agent@surveys.test")
    team = TeamFactory(name="Support", slug="support", lead=lead)
    team.members.add(lead, agent)
    return World(
        lead=lead,
        agent=agent,
        customer=CustomerFactory(email="carol@customer.test", full_name="Carol Client"),
        manager=UserFactory(email="manager@surveys.test", role=Role.MANAGER),
        team=team,
    )


@pytest.fixture
def survey_settings(db: None) -> SurveySettings:
    """The policy row with its defaults (a 2-hour delay); tests change what they need."""
    SurveySettings.objects.filter(pk=1).delete()
    return SurveySettings.objects.create(pk=1)


def resolved_ticket(
    world: World, *, at: datetime, requester: User | None = None, subject: str = ""
) -> Ticket:
    """Open a ticket an hour before `at`, assigned to the team's agent, and resolve it at `at`."""
    with time_machine.travel(at - timedelta(hours=1), tick=False):
        ticket = ticket_services.ticket_create(
            requester=requester or world.customer,
            subject=subject or "Printer on fire",
            description="Smoke everywhere.",
            team=world.team,
            assignee=world.agent,
        )
    with time_machine.travel(at, tick=False):
        return ticket_services.ticket_change_status(
            ticket_id=ticket.pk, to=TicketStatus.RESOLVED, actor=world.agent, at=at
        )


def sweep(now: datetime) -> services.SweepReport:
    """Run the beat task's service as if at `now` (signing and expiry read the travelled clock)."""
    with time_machine.travel(now, tick=False):
        return services.surveys_sweep_due(now=now)


def links_in(body: str) -> dict[int, str]:
    """Return the one-click links of a survey e-mail by score, as paths."""
    return {int(match["score"]): urlsplit(match.group(0)).path for match in LINK.finditer(body)}


def click(client: Any, path: str, *, at: datetime) -> Any:
    with time_machine.travel(at, tick=False):
        return client.get(path)


def only_survey() -> Survey:
    [survey] = Survey.objects.all()
    return survey


def sent_survey(world: World, *, at: datetime = T0) -> tuple[Survey, dict[int, str]]:
    """A CSAT survey for a ticket resolved at `at`, swept when due; with its e-mail's links."""
    resolved_ticket(world, at=at)
    sweep(at + DELAY)
    return only_survey(), links_in(mail.outbox[-1].body)
