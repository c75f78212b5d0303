"""factory_boy factories for the domain; writes that matter go through services in tests."""

from __future__ import annotations

import factory

from helpdesk.models import CustomerTier, Organization, Role, SupportTier, Team, User
from tickets.models import Category, Priority, Tag, Ticket, TicketStatus


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    tier = CustomerTier.BUSINESS


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.CUSTOMER
    password = factory.PostGenerationMethodCall("set_password", "pass-1234-word")

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER
    organization = factory.SubFactory(OrganizationFactory)


class AgentFactory(UserFactory):
    role = Role.AGENT
    support_tier = SupportTier.L1


class AdminFactory(UserFactory):
    role = Role.ADMIN


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A bare ticket row for read tests; use tickets.services.ticket_create to test writes."""

    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Ticket {n}")
    description = "Something is wrong."
    requester = factory.SubFactory(CustomerFactory)
    organization = factory.LazyAttribute(lambda o: o.requester.organization)
    priority = Priority.P3
    status = TicketStatus.NEW
