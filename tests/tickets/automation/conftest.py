"""Fixtures for routing and automation: the reference's Authentication taxonomy and team."""

from __future__ import annotations

import pytest

from helpdesk.models import Role, Team, User
from tests.factories import AgentFactory, CategoryFactory, TagFactory, TeamFactory, UserFactory
from tickets.models import Category, Tag

PASSWORD_ARTICLE_URL = "/help/articles/reset-your-password/"


@pytest.fixture
def authentication(db: None) -> Category:
    return CategoryFactory(name="Authentication", slug="authentication")


@pytest.fixture
def auth_agent(db: None) -> User:
    return AgentFactory(email="auth.agent@helpdesk.test", full_name="Ana Auth")


@pytest.fixture
def auth_team(auth_agent: User) -> Team:
    team = TeamFactory(name="Authentication", slug="authentication")
    team.members.add(auth_agent)
    return team


@pytest.fixture
def vip_tag(db: None) -> Tag:
    return TagFactory(name="vip")


@pytest.fixture
def rules_manager(db: None) -> User:
    return UserFactory(email="rules.manager@helpdesk.test", role=Role.MANAGER, full_name="Mona Manager")


def reference_rule_json(category: Category, team: Team) -> dict[str, object]:
    """The reference's auto-categorisation example, as a rule."""
    return {
        "conditions": {
            "all": [
                {
                    "field": "ticket.subject",
                    "operator": "contains_any",
                    "value": ["password", "login", "can't access"],
                }
            ]
        },
        "actions": [
            {"type": "set", "field": "category", "value": category.pk},
            {"type": "route", "team": team.pk},
            {"type": "suggest_article", "title": "Password Reset Guide", "url": PASSWORD_ARTICLE_URL},
        ],
    }
