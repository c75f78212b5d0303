"""Demo routing and automation: the reference's example rules, team routing and a shared macro.

Seeded after the ticket history is replayed, so no rule fires on history; written through the
same services the rules and routing screens use.
"""

from __future__ import annotations

from django.urls import reverse

from helpdesk.demo.planner import People
from tickets.services import automation, macros, routing

PASSWORD_ARTICLE_SLUG = "reset-your-password"  # noqa: S105 - an article slug, not a secret


def demo_automation_seed(people: People) -> None:
    """Create the demo's rules (the reference's auto-categorisation on, its escalation example
    off, ready for a dry run), team routing strategies and one shared macro."""
    manager = people.manager
    authentication = people.categories[("Authentication", "SSO")].parent
    assert authentication is not None
    auth_team = people.teams["Authentication"]
    automation.rule_create(
        actor=manager,
        name="Authentication keywords",
        description="Reference example: auto-categorise, route and suggest the password-reset article.",
        kind="event",
        triggers=["created"],
        conditions_json={
            "all": [
                {
                    "field": "ticket.subject",
                    "operator": "contains_any",
                    "value": ["password", "login", "can't access"],
                }
            ]
        },
        actions_json=[
            {"type": "set", "field": "category", "value": authentication.pk},
            {"type": "route", "team": auth_team.pk},
            {
                "type": "suggest_article",
                "title": "Password Reset Guide",
                "url": reverse("kb:article", args=[PASSWORD_ARTICLE_SLUG]),
            },
        ],
        is_active=True,
    )
    automation.rule_create(
        actor=manager,
        name="High priority untouched for 2 hours",
        description="Reference example: alert before the SLA breach. Switched off: dry-run it first.",
        kind="time",
        conditions_json={
            "all": [
                {"field": "hours_since_created", "operator": "gt", "value": 2},
                {"field": "ticket.priority", "operator": "in", "value": ["p1", "p2"]},
                {"field": "ticket.status", "operator": "in", "value": ["new", "triaged"]},
            ]
        },
        actions_json=[
            {"type": "add_note", "body": "Approaching SLA breach"},
            {
                "type": "notify",
                "to": ["team_lead", "managers"],
                "message": "High priority ticket untouched for 2 hours",
            },
        ],
        is_active=False,
    )
    routing.team_routing_set(
        team=people.teams["Frontline"], strategy="round_robin", auto_assign=False, actor=manager
    )
    routing.team_routing_set(team=auth_team, strategy="load_balanced", auto_assign=True, actor=manager)
    routing.team_routing_set(
        team=people.teams["Specialists"], strategy="skill_based", auto_assign=False, actor=manager
    )
    macros.macro_create(
        actor=manager,
        name="Password reset steps",
        body=(
            "Hi {{ requester.first_name }},\n\nYou can reset your password from the sign-in page "
            "(Forgot password). The link we email you works for 15 minutes.\n\n{{ agent.first_name }}"
        ),
        actions_json=[{"type": "set", "field": "status", "value": "pending"}],
        shared=True,
    )
