"""A constructed helpdesk history for metric tests: every ticket written through the services.

Monday 2 March 2026 to Wednesday 4 March, on the default calendar (Mon–Fri 09:00–17:00 UTC) and
the default SLA policy (Business tier: P3 first response 4 business hours, resolution 24; P1 15
minutes and 4 hours, 24/7). docs/metrics.md works the expected figures out by hand.

| ticket | what happens | FRT (calendar / business) | TTR (calendar / business) | SLA |
|---|---|---|---|---|
| A, P3 email | Mon 09:00 created, 10:00 reply, 11:00 resolved; CSAT 5 | 1 h / 1 h | 2 h / 2 h | met, met; FCR |
| B, P3 portal | Mon 16:00 created, Tue 10:00 and 11:00 replies, Tue 12:00 resolved, Wed 09:00 customer reopens, Wed 10:00 resolved; CSAT 2, effort 3 | 18 h / 2 h | 42 h / 10 h | met, met; reopened |
| C, P1 chat | Mon 09:00 created, 09:40 reply, 10:00 escalated, 12:00 resolved | 40 min / 40 min | 3 h / 3 h | response breached (09:15) and severe (09:30), resolution met |
| D, P3 email | Mon 09:00 created, never answered | — | — | response breached Mon 13:00, severe Mon 17:00; open |
| E | Mon 12:00 created, 12:05 merged into D as a duplicate | excluded everywhere |
| NPS | answers 10, 5 and 8 on Tuesday |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import time_machine

from helpdesk.models import Organization, Role, Team, User
from metrics.models import Survey, SurveyKind, SurveyStatus
from sla import services as sla_services
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, OrganizationFactory, TeamFactory
from tickets import services as ticket_services
from tickets.models import Category, Ticket, TicketStatus

MON = datetime(2026, 3, 2, tzinfo=UTC)
TUE = MON + timedelta(days=1)
WED = MON + timedelta(days=2)
NOW = WED + timedelta(hours=16)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day + timedelta(hours=hour, minutes=minute)


@dataclass
class History:
    agent: User
    lead: User
    customer: User
    team: Team
    organization: Organization
    category: Category
    tickets: dict[str, Ticket]


def _create(history_people: dict[str, object], when: datetime, **fields: object) -> Ticket:
    with time_machine.travel(when, tick=False):
        return ticket_services.ticket_create(created_at=when, **history_people, **fields)  # type: ignore[arg-type]


def _reply(ticket: Ticket, author: User, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        ticket_services.message_create(ticket_id=ticket.pk, author=author, body="An answer.", at=when)


def _status(ticket: Ticket, to: str, actor: User, when: datetime, reason: str = "") -> None:
    with time_machine.travel(when, tick=False):
        ticket_services.ticket_change_status(ticket_id=ticket.pk, to=to, actor=actor, at=when, reason=reason)


def _answer(
    ticket: Ticket | None,
    requester: User,
    *,
    kind: str,
    score: int,
    when: datetime,
    agent: User | None = None,
    team: Team | None = None,
    effort: int | None = None,
) -> Survey:
    return Survey.objects.create(
        kind=kind,
        status=SurveyStatus.SENT,
        requester=requester,
        ticket=ticket,
        resolved_at=ticket.resolved_at if ticket is not None else None,
        agent=agent,
        team=team,
        due_at=when - timedelta(hours=1),
        sent_at=when - timedelta(hours=1),
        score=score,
        effort_score=effort,
        answered_at=when,
        updated_at=when,
    )


def build_history() -> History:
    """Write the history above through the services (each step at its own instant)."""
    organization = OrganizationFactory(name="Initech", tier="business")
    customer = CustomerFactory(email="peter@initech.test", organization=organization)
    agent = AgentFactory(email="milton@helpdesk.test", full_name="Milton Waddams")
    lead = AgentFactory(email="bill@helpdesk.test", full_name="Bill Lumbergh", role=Role.TEAM_LEAD)
    team = TeamFactory(name="Support", slug="support", lead=lead)
    team.members.add(agent, lead)
    category = CategoryFactory(name="Printers", slug="printers")
    people: dict[str, object] = {"requester": customer, "team": team, "category": category}

    a = _create(people, at(MON, 9), subject="A", channel="email", assignee=agent)
    _reply(a, agent, at(MON, 10))
    _status(a, TicketStatus.RESOLVED, agent, at(MON, 11))

    b = _create(people, at(MON, 16), subject="B", channel="portal", assignee=agent)
    _reply(b, agent, at(TUE, 10))
    _reply(b, agent, at(TUE, 11))
    _status(b, TicketStatus.RESOLVED, agent, at(TUE, 12))
    _reply(b, customer, at(WED, 9))  # a customer reply reopens a resolved ticket
    _status(b, TicketStatus.RESOLVED, agent, at(WED, 10))

    c = _create(people, at(MON, 9), subject="C", channel="chat", priority="p1", assignee=agent)
    _reply(c, agent, at(MON, 9, 40))
    with time_machine.travel(at(MON, 10), tick=False):
        ticket_services.ticket_escalate(
            ticket_id=c.pk, actor=agent, handoff={"issue_summary": "Outage."}, at=at(MON, 10)
        )
    _status(c, TicketStatus.RESOLVED, agent, at(MON, 12))

    d = _create(people, at(MON, 9), subject="D", channel="email", assignee=agent)

    e = _create(people, at(MON, 12), subject="E", channel="email")
    with time_machine.travel(at(MON, 12, 5), tick=False):
        ticket_services.ticket_merge(duplicate_id=e.pk, original_id=d.pk, actor=agent, at=at(MON, 12, 5))

    # The SLA sweep records D's breaches as they happen (the sweeper runs every few seconds).
    for instant in (at(MON, 13), at(MON, 17), NOW):
        with time_machine.travel(instant, tick=False):
            sla_services.clocks_sweep_due(now=instant)

    a.refresh_from_db()
    b.refresh_from_db()
    _answer(a, customer, kind=SurveyKind.CSAT, score=5, when=at(MON, 15), agent=agent, team=team)
    _answer(b, customer, kind=SurveyKind.CSAT, score=2, when=at(WED, 14), agent=agent, team=team, effort=3)
    for score, minute in ((10, 0), (5, 10), (8, 20)):
        other = CustomerFactory(organization=organization)
        _answer(None, other, kind=SurveyKind.NPS, score=score, when=at(TUE, 13, minute))
    return History(
        agent, lead, customer, team, organization, category, {"A": a, "B": b, "C": c, "D": d, "E": e}
    )


__all__ = ["MON", "NOW", "TUE", "WED", "History", "Role", "at", "build_history"]
