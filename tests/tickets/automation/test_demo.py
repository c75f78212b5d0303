"""The demo seed ships the reference's rule, switched on, and it works on a new ticket."""

from __future__ import annotations

import pytest

from helpdesk import demo
from helpdesk.models import User
from tickets import services
from tickets.models import AutomationRule, Macro, MessageVisibility, TeamRouting


@pytest.mark.django_db
def test_the_demo_reference_rule_routes_a_cant_access_ticket() -> None:
    # given
    demo.demo_seed(tickets=20, seed=3)
    customer = User.objects.get(email="customer@acme.example")
    # when
    ticket = services.ticket_create(requester=customer, subject="Can't access my account")
    # then
    assert ticket.category is not None
    assert ticket.category.name == "Authentication"
    assert ticket.team is not None
    assert ticket.team.name == "Authentication"
    note = ticket.messages.get(visibility=MessageVisibility.INTERNAL)
    assert note.body == "Suggested article: [Password Reset Guide](/help/articles/reset-your-password/)"
    assert list(AutomationRule.objects.values_list("name", "is_active")) == [
        ("Authentication keywords", True),
        ("High priority untouched for 2 hours", False),
    ]
    assert TeamRouting.objects.count() == 3
    assert Macro.objects.filter(owner__isnull=True).count() == 1
