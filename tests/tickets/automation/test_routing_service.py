"""Routing tickets through the database: strategies, load, ramp share, availability, working hours."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from helpdesk.models import Availability, Organization, Role, Skill, SupportTier, Team, User
from sla.models import BusinessCalendar, WeeklyInterval
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, TeamFactory, UserFactory
from tickets import services
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus
from tickets.services.routing import (
    agent_routing_set,
    category_skill_set,
    team_routing_set,
    ticket_route,
    tickets_route_waiting,
)


@pytest.fixture
def boss(db: None) -> User:
    return UserFactory(role=Role.MANAGER)


@pytest.fixture
def trio(db: None) -> list[User]:
    return [AgentFactory(email=f"agent{n}@route.test", max_open_tickets=10) for n in range(3)]


@pytest.fixture
def squad(trio: list[User]) -> Team:
    team = TeamFactory(name="Squad", slug="squad")
    team.members.add(*trio)
    return team


def new_ticket(team: Team | None = None, **fields: object) -> Ticket:
    return services.ticket_create(requester=CustomerFactory(), subject="Help", team=team, **fields)  # type: ignore[arg-type]


def test_new_tickets_go_round_robin(squad: Team, trio: list[User], boss: User) -> None:
    team_routing_set(team=squad, strategy="round_robin", auto_assign=True, actor=boss)

    assignees = [new_ticket(squad).assignee_id for _ in range(4)]

    assert assignees == [trio[0].pk, trio[1].pk, trio[2].pk, trio[0].pk]


def test_manual_teams_and_auto_assign_off_leave_new_tickets_unassigned(squad: Team, boss: User) -> None:
    assert new_ticket(squad).assignee_id is None
    team_routing_set(team=squad, strategy="round_robin", auto_assign=False, actor=boss)
    assert new_ticket(squad).assignee_id is None


def test_load_balanced_picks_the_agent_with_fewest_open(squad: Team, trio: list[User], boss: User) -> None:
    new_ticket(assignee=trio[0])
    new_ticket(assignee=trio[0])
    new_ticket(assignee=trio[2])
    resolved = new_ticket(assignee=trio[1])
    services.ticket_change_status(ticket_id=resolved.pk, to=TicketStatus.RESOLVED, actor=trio[1])
    team_routing_set(team=squad, strategy="load_balanced", auto_assign=True, actor=boss)

    assert new_ticket(squad).assignee_id == trio[1].pk  # its only ticket is resolved: 0 open


def test_ramp_share_and_away_agents_are_respected(squad: Team, trio: list[User], boss: User) -> None:
    # given: agent 0 is a new hire at 20 % of 10 (2 tickets), agent 1 is away, agent 2 has 3 open
    agent_routing_set(agent=trio[0], ramp_share=Decimal("0.25"), actor=boss)
    trio[1].availability = Availability.AWAY
    trio[1].save()
    for _ in range(2):
        new_ticket(assignee=trio[0])
    for _ in range(3):
        new_ticket(assignee=trio[2])
    team_routing_set(team=squad, strategy="load_balanced", auto_assign=True, actor=boss)
    # when
    ticket = new_ticket(squad)
    # then
    assert ticket.assignee_id == trio[2].pk
    routed = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ROUTED)
    assert routed.data["skipped"] == {str(trio[0].pk): "at capacity (2/2)", str(trio[1].pk): "away"}


def test_ramp_share_outside_the_range_is_refused(trio: list[User], boss: User) -> None:
    from helpdesk.exceptions import DomainError

    with pytest.raises(DomainError):
        agent_routing_set(agent=trio[0], ramp_share=Decimal("0.1"), actor=boss)


def test_agents_outside_their_working_hours_are_skipped(squad: Team, trio: list[User], boss: User) -> None:
    # given: agent 0 works weekdays 09-17 Berlin; it is Monday 20:00 there
    office = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    for weekday in range(5):
        WeeklyInterval.objects.create(calendar=office, weekday=weekday, start=time(9), end=time(17))
    agent_routing_set(agent=trio[0], ramp_share=Decimal("1"), calendar_id=office.pk, actor=boss)
    team_routing_set(team=squad, strategy="round_robin", auto_assign=True, actor=boss)
    monday_evening = datetime(2025, 6, 2, 18, 0, tzinfo=UTC)
    ticket, later = new_ticket(), new_ticket()
    for pending in (ticket, later):
        services.ticket_update(ticket_id=pending.pk, actor=boss, changes={"team": squad})
    # when
    decision = ticket_route(ticket_id=ticket.pk, now=monday_evening)
    # then
    assert decision is not None
    assert decision.user_id == trio[1].pk
    assert decision.skipped == {trio[0].pk: "outside working hours"}
    # and on Tuesday morning (09:30 Berlin) nobody is skipped
    morning = ticket_route(ticket_id=later.pk, now=monday_evening + timedelta(hours=13, minutes=30))
    assert morning is not None
    assert morning.skipped == {}


def test_skill_based_routes_by_category_skill_and_tier(squad: Team, trio: list[User], boss: User) -> None:
    sso = Skill.objects.create(name="SSO", slug="sso")
    auth = CategoryFactory(name="Authentication", slug="auth")
    child = CategoryFactory(name="SAML", slug="saml", parent=auth)
    category_skill_set(category=auth, skill=sso, actor=boss)
    trio[1].skills.add(sso)
    trio[2].skills.add(sso)
    trio[2].support_tier = SupportTier.L2
    trio[2].save()
    team_routing_set(team=squad, strategy="skill_based", auto_assign=True, actor=boss)

    l1 = new_ticket(squad, category=child)
    l2 = new_ticket(squad, category=child, support_tier="l2")

    assert (l1.assignee_id, l2.assignee_id) == (trio[1].pk, trio[2].pk)


def test_sticky_routes_to_the_account_owner(squad: Team, trio: list[User], boss: User) -> None:
    owner = AgentFactory(email="owner@route.test")  # not even in the team
    organization = Organization.objects.create(name="Initech", account_owner=owner)
    team_routing_set(team=squad, strategy="sticky_owner", auto_assign=True, actor=boss)

    ticket = services.ticket_create(
        requester=CustomerFactory(organization=organization), subject="Help", team=squad
    )
    owner.availability = Availability.AWAY
    owner.save()
    fallback = services.ticket_create(
        requester=CustomerFactory(organization=organization), subject="Help", team=squad
    )

    assert ticket.assignee_id == owner.pk
    assert fallback.assignee_id in {user.pk for user in trio}


def test_waiting_tickets_are_routed_when_someone_becomes_available(
    squad: Team, trio: list[User], boss: User
) -> None:
    for user in trio:
        user.availability = Availability.AWAY
        user.save()
    team_routing_set(team=squad, strategy="round_robin", auto_assign=True, actor=boss)
    first, second = new_ticket(squad), new_ticket(squad)
    assert (first.assignee_id, second.assignee_id) == (None, None)
    trio[1].availability = Availability.ACTIVE
    trio[1].save()

    assert tickets_route_waiting(now=datetime.now(tz=UTC)) == 2

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.assignee_id, second.assignee_id) == (trio[1].pk, trio[1].pk)


def test_only_managers_change_routing(squad: Team, trio: list[User]) -> None:
    from helpdesk.exceptions import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        team_routing_set(team=squad, strategy="round_robin", auto_assign=True, actor=trio[0])


@pytest.mark.django_db(transaction=True)
def test_concurrent_round_robin_routes_never_pick_the_same_agent_twice() -> None:
    # given
    boss = UserFactory(role=Role.MANAGER)
    agents = [AgentFactory(email=f"rr{n}@route.test") for n in range(2)]
    team = TeamFactory(name="Race", slug="race")
    team.members.add(*agents)
    team_routing_set(team=team, strategy="round_robin", auto_assign=False, actor=boss)
    tickets = [new_ticket(team) for _ in range(2)]
    first_routed, release = threading.Event(), threading.Event()
    results: dict[str, int | None] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                decision = ticket_route(ticket_id=tickets[0].pk)
                results["first"] = decision.user_id if decision else None
                first_routed.set()
                release.wait(10)  # hold the team's routing lock
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            first_routed.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            decision = ticket_route(ticket_id=tickets[1].pk)
            results["second"] = decision.user_id if decision else None
        except BaseException as error:  # pragma: no cover
            errors.append(error)
        finally:
            connection.close()

    # when: the second route starts while the first still holds the lock
    one = threading.Thread(target=first)
    one.start()
    assert first_routed.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    still_waiting = two.is_alive()
    release.set()
    one.join(10)
    two.join(10)
    # then
    assert errors == []
    assert still_waiting
    assert {results["first"], results["second"]} == {agents[0].pk, agents[1].pk}
