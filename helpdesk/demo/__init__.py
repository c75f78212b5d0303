"""Build a demo helpdesk through the services: people, taxonomy and 90 days of ticket history.

Every row is written by the same services the UI and API use, with historical timestamps, so the
event log (and the SLA clocks and metrics computed from it) looks like a helpdesk worked live.
Ticket histories are planned first as timed steps, then replayed in one global time order, so
ids follow time and every ticket's events ascend, including merges and links between tickets.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from helpdesk import services as accounts
from helpdesk.demo.automation import demo_automation_seed
from helpdesk.demo.catalogue import (
    CATEGORIES,
    DEMO_LOGINS,
    DEMO_MARKER_EMAIL,
    FIRST_NAMES,
    HISTORY_DAYS,
    INDEPENDENT_CUSTOMERS,
    LAST_NAMES,
    ORGANIZATIONS,
    PRODUCT_AREAS,
    TAGS,
    TEAMS,
    TIER_ACTIVITY,
    TIME_ZONES,
)
from helpdesk.demo.planner import People, Plan, plan_tickets
from helpdesk.models import Availability, CustomerTier, Organization, Role, Skill, SupportTier, Team, User
from kb.demo import demo_articles_publish, demo_self_service_history
from kb.models import Article
from metrics import services as metrics_services
from metrics.demo import demo_metrics_build
from metrics.voc import last_completed_week_start
from sla import services as sla_services
from tickets import services
from tickets.models import (
    OPEN_STATUSES,
    Category,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketMessage,
    TicketStatus,
)

__all__ = ["DEMO_LOGINS", "DEMO_MARKER_EMAIL", "database_is_empty", "demo_data_exists", "demo_seed"]


@dataclass
class SeedReport:
    created: bool
    message: str
    counts: dict[str, int] = field(default_factory=dict)
    priorities: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def demo_data_exists() -> bool:
    """Return whether demo data were seeded already (the demo admin is the marker)."""
    return User.objects.filter(email=DEMO_MARKER_EMAIL).exists()


def database_is_empty() -> bool:
    """Return whether there is nothing a demo seed could clash with or be mixed into."""
    return not (User.objects.exists() or Ticket.objects.exists() or Team.objects.exists())


def demo_seed(*, tickets: int = 1000, seed: int = 0, now: datetime | None = None) -> SeedReport:
    """Create the demo helpdesk and `tickets` tickets with realistic histories, all or nothing.

    Idempotent: when demo data exist nothing is written. The same `seed` gives the same data
    relative to `now` (defaults to the current minute).
    """
    if demo_data_exists():
        return SeedReport(created=False, message="Demo data already present; nothing to do.")
    started = time.monotonic()
    now = now or timezone.now().replace(second=0, microsecond=0)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    with transaction.atomic():
        people = _create_people(rng, now)
        plans = plan_tickets(rng, people, tickets, now)
        # One SLA re-plan per ticket from its complete event log, not one per replayed step.
        with sla_services.replans_deferred():
            _replay(plans)
        # A help centre to search: the demo articles, published by the support manager, linked to
        # the ticket categories they answer, with a month of searches, clicks and votes.
        demo_articles_publish(
            people.manager,
            ticket_categories={child: category for (_, child), category in people.categories.items()},
        )
        demo_self_service_history(rng=rng, customers=people.customers, now=now)
        # Routing and automation: seeded after the history, so no rule fires on it (issue 7).
        demo_automation_seed(people)
        # Answered surveys, then the metric facts and rollups the dashboards read.
        demo_metrics_build(rng=rng, since=now - timedelta(days=HISTORY_DAYS + 1), now=now)
        # The voice-of-customer page's first report: the last full week of the history, with the
        # surveys answered above (its wins and CSAT).
        metrics_services.weekly_report_compute(week_start=last_completed_week_start(now), now=now)
    counts = {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "tickets": Ticket.objects.count(),
        "open tickets": Ticket.objects.filter(status__in=OPEN_STATUSES).count(),
        "messages": TicketMessage.objects.count(),
        "events": TicketEvent.objects.count(),
        "merged": Ticket.objects.filter(merged_into__isnull=False).count(),
        "links": TicketLink.objects.count(),
        "articles": Article.objects.filter(state="published").count(),
    }
    priorities = dict(sorted(Counter(Ticket.objects.values_list("priority", flat=True)).items()))
    return SeedReport(True, "Demo data created.", counts, priorities, time.monotonic() - started)


# -- people and taxonomy ------------------------------------------------------------------------


def _full_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _create_people(rng: random.Random, now: datetime) -> People:
    passwords = {email: password for email, password, _ in DEMO_LOGINS}

    def staff(email: str, name: str, role: str, **fields: Any) -> User:
        user = accounts.user_create(
            email=email, password=passwords.get(email), role=role, full_name=name, **fields
        )
        if email in passwords:
            validate_password(passwords[email], user)
        return user

    joined = now - timedelta(days=HISTORY_DAYS + 60)
    staff(DEMO_MARKER_EMAIL, "Ada Admin", Role.ADMIN, date_joined=joined)
    manager = staff("manager@demo.helpdesk", "Morgan Manager", Role.MANAGER, time_zone="Europe/Berlin")
    skills = {}
    for _, _, _, _, names in TEAMS:
        for name in names:
            # No service writes skills yet; they are plain reference rows with no history to record.
            skills[name], _ = Skill.objects.get_or_create(name=name, slug=name.lower().replace(" ", "-"))
    teams: dict[str, Team] = {}
    agents: dict[str, list[User]] = {}
    for name, tier, escalation, size, skill_names in TEAMS:
        slug = name.split()[0].lower()
        lead_email = "lead@demo.helpdesk" if name == "Frontline" else f"lead.{slug}@demo.helpdesk"
        team_skills = [skills[s] for s in skill_names]
        lead = staff(lead_email, _full_name(rng), Role.TEAM_LEAD, support_tier=tier,
                     time_zone=rng.choice(TIME_ZONES), skills=team_skills)  # fmt: skip
        members = []
        for number in range(1, size + 1):
            email = (
                "agent@demo.helpdesk"
                if name == "Frontline" and number == 1
                else (f"{slug}.{number}@demo.helpdesk")
            )
            members.append(staff(
                email, "Alex Agent" if email == "agent@demo.helpdesk" else _full_name(rng), Role.AGENT,
                support_tier=tier, time_zone=rng.choice(TIME_ZONES),
                skills=rng.sample(team_skills, k=max(1, len(team_skills) - 1)),
                availability=Availability.AWAY if number == size and size > 4 else Availability.ACTIVE,
                max_open_tickets=40 if tier == SupportTier.L1 else 20,
            ))  # fmt: skip
        teams[name] = accounts.team_create(
            name=name, lead=lead, members=members, default_tier=tier, is_escalation_team=escalation
        )
        agents[name] = [lead, *members]
    organizations, customers, weights = [], [], []
    for index, (name, tier, segment, vip, shares, domains, size) in enumerate(ORGANIZATIONS):
        organization = accounts.organization_create(
            name=name, domains=domains, tier=tier, segment=segment, is_vip=vip, members_see_each_other=shares,
            account_owner=manager if tier == CustomerTier.ENTERPRISE else None,
            notes="Strategic account: renewal this quarter." if vip else "",
        )  # fmt: skip
        organizations.append(organization)
        for number in range(size):
            if index == 0 and number == 0:
                email, full_name = "customer@acme.example", "Casey Customer"
            else:
                full_name = _full_name(rng)
                email = f"{full_name.lower().replace(' ', '.')}.{number}@{domains[number % len(domains)]}"
            # The domain places each customer in the organization, as a self-registration would.
            customer = accounts.user_create(email=email, password=passwords.get(email), full_name=full_name,
                                            time_zone=rng.choice(TIME_ZONES), date_joined=joined)  # fmt: skip
            customers.append(customer)
            weights.append(TIER_ACTIVITY[tier] * (1.5 if number == 0 else 1.0))
    for number in range(INDEPENDENT_CUSTOMERS):
        full_name = _full_name(rng)
        email = f"{full_name.lower().replace(' ', '.')}.{number}@mail.example"
        customers.append(accounts.user_create(email=email, full_name=full_name, date_joined=joined))
        weights.append(TIER_ACTIVITY["free"])
    categories: dict[tuple[str, str], Category] = {}
    for top, children in CATEGORIES.items():
        parent = services.category_create(name=top)
        for child in children:
            categories[(top, child)] = services.category_create(name=child, parent=parent)
    services.category_create(name="Classic editor", parent=categories[("Product", "Bug")].parent,
                             is_active=False)  # fmt: skip
    tags = {name: services.tag_create(name=name, description=text) for name, text in TAGS}
    services.tag_create(name="legacy-plan", description="Retired with the 2023 price list.", is_active=False)
    areas = {name: services.product_area_create(name=name) for name in (*PRODUCT_AREAS, "Reporting")}
    return People(organizations, customers, weights, teams, agents, manager, categories, areas, tags)


# -- replay -------------------------------------------------------------------------------------


def _replay(plans: Sequence[Plan]) -> None:
    """Run every planned step through the services in global time order."""
    timeline = sorted(
        ((step.at, number, order, step, plan) for number, plan in enumerate(plans)
         for order, step in enumerate(plan.steps)),
        key=lambda entry: entry[:3],
    )  # fmt: skip
    for at, _, _, step, plan in timeline:
        args = step.args
        if step.kind == "create":
            ticket = services.ticket_create(**plan.create, created_at=at)
            plan.ticket_id = ticket.pk
            continue
        ticket_id = plan.ticket_id
        assert ticket_id is not None
        if step.kind == "message":
            services.message_create(
                ticket_id=ticket_id, channel=plan.create["channel"], at=at, send_email=False, **args
            )
        elif step.kind == "status":
            services.ticket_change_status(ticket_id=ticket_id, at=at, **args)
        elif step.kind == "assign":
            services.ticket_assign(ticket_id=ticket_id, at=at, **args)
        elif step.kind == "update":
            services.ticket_update(ticket_id=ticket_id, at=at, **args)
        elif step.kind == "escalate":
            services.ticket_escalate(ticket_id=ticket_id, at=at, **args)
        elif step.kind == "merge":
            services.ticket_merge(duplicate_id=ticket_id, original_id=args["other"].ticket_id,
                                  actor=args["actor"], at=at)  # fmt: skip
        elif step.kind == "link":
            services.ticket_link(from_id=args["other"].ticket_id, to_id=ticket_id, kind=args["kind"],
                                 actor=args["actor"], at=at)  # fmt: skip
        else:
            raise ValueError(f"unknown step {step.kind}")


def demo_statuses() -> dict[str, int]:
    """Return how many demo tickets are in each status (for the command's summary)."""
    found = Counter(Ticket.objects.values_list("status", flat=True))
    return {status.value: found[status.value] for status in TicketStatus if found[status.value]}
