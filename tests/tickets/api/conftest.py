"""Tickets made through the services, so API tests start from realistic rows and events."""

from __future__ import annotations

import pytest

from helpdesk.models import Organization, User
from tests.factories import TagFactory
from tickets import services
from tickets.models import Tag, Ticket


@pytest.fixture
def sharing_organization(organization: Organization) -> Organization:
    organization.members_see_each_other = True
    organization.save(update_fields=["members_see_each_other"])
    return organization


@pytest.fixture
def billing_tag(db: None) -> Tag:
    return TagFactory(name="billing")


@pytest.fixture
def retired_tag(db: None) -> Tag:
    return TagFactory(name="legacy", is_active=False)


@pytest.fixture
def ticket(customer: User) -> Ticket:
    """A new ticket opened by `customer` of Acme."""
    return services.ticket_create(requester=customer, subject="Printer on fire", description="Help")


@pytest.fixture
def outsider_ticket(outsider: User) -> Ticket:
    return services.ticket_create(requester=outsider, subject="Globex issue")
