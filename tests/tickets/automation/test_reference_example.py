"""The reference's auto-categorisation example works as a rule, end to end."""

from __future__ import annotations

from helpdesk.models import Team, User
from tests.tickets.automation.conftest import PASSWORD_ARTICLE_URL, reference_rule_json
from tickets import services
from tickets.models import Category, MessageVisibility, TicketEvent, TicketEventKind, TicketStatus
from tickets.services.automation import rule_create


def _rule(manager: User, category: Category, team: Team) -> None:
    spec = reference_rule_json(category, team)
    rule_create(
        actor=manager,
        name="Authentication triage",
        kind="event",
        triggers=["created"],
        conditions_json=spec["conditions"],
        actions_json=spec["actions"],
        is_active=True,
    )


def test_cant_access_ticket_is_categorised_routed_and_gets_the_article(
    customer: User, rules_manager: User, authentication: Category, auth_team: Team
) -> None:
    # given
    _rule(rules_manager, authentication, auth_team)
    # when
    ticket = services.ticket_create(requester=customer, subject="Can't access my account")
    # then
    assert ticket.category_id == authentication.pk
    assert ticket.team_id == auth_team.pk
    note = ticket.messages.get()
    assert note.visibility == MessageVisibility.INTERNAL
    assert note.author_id is None
    assert note.body == f"Suggested article: [Password Reset Guide]({PASSWORD_ARTICLE_URL})"
    fired = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.RULE_FIRED)
    assert fired.data["rule_name"] == "Authentication triage"
    assert fired.data["trigger"] == "created"
    assert [action["type"] for action in fired.data["actions"]] == ["set", "route", "suggest_article"]


def test_typographic_apostrophe_and_case_still_match(
    customer: User, rules_manager: User, authentication: Category, auth_team: Team
) -> None:
    _rule(rules_manager, authentication, auth_team)

    ticket = services.ticket_create(requester=customer, subject="I CAN’T ACCESS the dashboard")

    assert ticket.category_id == authentication.pk


def test_unrelated_subject_is_left_alone(
    customer: User, rules_manager: User, authentication: Category, auth_team: Team
) -> None:
    _rule(rules_manager, authentication, auth_team)

    ticket = services.ticket_create(requester=customer, subject="Logins report is slow")

    assert ticket.category_id is None
    assert ticket.team_id is None
    assert ticket.status == TicketStatus.NEW
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.RULE_FIRED).exists()
