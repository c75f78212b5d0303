"""Plan ticket histories as timed steps, mirroring the status rules the services apply.

Planning is pure Python over already-created people and taxonomy; `helpdesk.demo` replays the
steps through the services in global time order.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from helpdesk.demo.catalogue import (
    AGENT_QUESTIONS,
    AGENT_REPLY_MINUTES,
    ASSIGN_MINUTES,
    CUSTOMER_REPLIES,
    FIRST_REPLY_MINUTES,
    FOLLOW_UPS,
    HISTORY_DAYS,
    HOUR_WEIGHTS,
    INTERNAL_NOTES,
    OUTAGE,
    PRIORITIES,
    SCENARIOS,
    TRIAGE_MINUTES,
    WEEKDAY_WEIGHTS,
    WORK_MINUTES,
    Scenario,
)
from helpdesk.models import Organization, SupportTier, Team, User
from tickets.models import Category, Channel, MessageVisibility, ProductArea, Tag
from tickets.models import TicketStatus as S

# How often the first reply solves a ticket that needs no escalation (less often the likelier a
# scenario escalates): the metrics' first-contact resolution, one agent reply and no reopen.
FIRST_CONTACT_SHARE = 0.65


@dataclass
class Step:
    at: datetime
    kind: str
    args: dict[str, Any]


@dataclass
class Plan:
    """One ticket's planned history; `ticket_id` is filled in when the CREATED step runs."""

    created_at: datetime
    create: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    closed_at: datetime | None = None
    is_duplicate: bool = False
    ticket_id: int | None = None


@dataclass
class People:
    organizations: list[Organization]
    customers: list[User]
    customer_weights: list[float]
    teams: dict[str, Team]
    agents: dict[str, list[User]]  # team name -> members who work tickets (lead included)
    manager: User
    categories: dict[tuple[str, str], Category]
    product_areas: dict[str, ProductArea]
    tags: dict[str, Tag]


def _arrival_times(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """Return `count` sorted creation times over the history window, shaped like real arrivals."""
    start = (now - timedelta(days=HISTORY_DAYS)).replace(minute=0)
    hours = [start + timedelta(hours=h) for h in range(HISTORY_DAYS * 24)]
    # Volume grows ~25% over the window, as a growing customer base would.
    weights = [
        WEEKDAY_WEIGHTS[h.weekday()] * HOUR_WEIGHTS[h.hour] * (1 + 0.25 * i / len(hours))
        for i, h in enumerate(hours)
    ]
    picked = rng.choices(hours, weights=weights, k=count)
    times = [min(h + timedelta(seconds=rng.randrange(3600)), now - timedelta(minutes=1)) for h in picked]
    return sorted(times)


def _minutes(rng: random.Random, median: float, sigma: float = 0.8) -> timedelta:
    return timedelta(minutes=max(1.0, median * math.exp(rng.gauss(0, sigma))))


def _working_time(at: datetime, rng: random.Random) -> datetime:
    """Move `at` into staffed hours (weekdays 06:00-22:00 UTC, follow-the-sun) when outside them."""
    while at.weekday() >= 5 or not 6 <= at.hour < 22:
        at = (at + timedelta(days=1) if at.hour >= 22 else at).replace(hour=6, minute=0)
        if at.weekday() >= 5:
            at += timedelta(days=7 - at.weekday())
        at += timedelta(minutes=rng.randrange(90))
    return at


class _Planner:
    """Plan one ticket's history while mirroring the status rules the services will apply."""

    def __init__(self, rng: random.Random, people: People, plan: Plan, scenario: Scenario) -> None:
        self.rng, self.people, self.plan, self.scenario = rng, people, plan, scenario
        self.t = plan.created_at
        self.p = PRIORITIES.index(plan.create["priority"])
        self.requester: User = plan.create["requester"]
        self.status = S.NEW
        self.team_name = ""
        self.assignee: User | None = None
        self.tier_index = 0
        self.tags: list[Tag] = list(plan.create.get("tags", ()))

    def add(self, kind: str, **args: Any) -> None:
        self.plan.steps.append(Step(self.t, kind, args))

    def wait(self, median: float, *, agent: bool = True, sigma: float = 0.8) -> None:
        self.t += _minutes(self.rng, median, sigma)
        if agent and self.p >= 2:  # P1/P2 are worked around the clock
            self.t = _working_time(self.t, self.rng)

    def say(self, author: User | None, body: str, visibility: str = MessageVisibility.PUBLIC) -> None:
        self.add("message", author=author, body=body, visibility=visibility)

    def move(self, actor: User | None, to: str, reason: str = "") -> None:
        self.add("status", actor=actor, to=to, reason=reason)
        self.status = to
        if to == S.CLOSED:
            self.plan.closed_at = self.t

    def assign(self, actor: User | None, team_name: str) -> None:
        choices = [a for a in self.people.agents[team_name] if a != self.assignee] or self.people.agents[
            team_name
        ]
        self.assignee = self.rng.choice(choices)
        self.add("assign", actor=actor, assignee=self.assignee)
        if self.status in (S.NEW, S.TRIAGED):
            self.status = S.ASSIGNED

    def lead(self) -> User:
        return self.people.teams[self.team_name].lead or self.people.agents[self.team_name][0]

    def customer_reply(self) -> None:
        self.wait(180, agent=False, sigma=1.1)
        self.say(self.requester, self.rng.choice(CUSTOMER_REPLIES))
        if self.status == S.PENDING:
            self.status = S.IN_PROGRESS
        elif self.status == S.RESOLVED:
            self.status = S.IN_PROGRESS if self.assignee else S.TRIAGED

    def run(self) -> None:
        rng, p, create = self.rng, self.p, self.plan.create
        self.add("create")
        if create["channel"] == Channel.EMAIL:
            self.t += timedelta(seconds=2)
            self.say(None, "We received your request and will get back to you soon.")
            self.plan.steps[-1].args["is_automatic"] = True
        if create.get("team") is not None:  # opened by an agent on the phone: already routed
            self.team_name, self.assignee = create["team"].name, create["assignee"]
            self.tier_index = 0 if self.team_name in ("Frontline", "Billing") else 1
            self.status = S.ASSIGNED
        else:
            self.triage()
        self.wait(FIRST_REPLY_MINUTES[p])
        if rng.random() < FIRST_CONTACT_SHARE * (1 - self.scenario.escalate):
            # Solved on first contact: the agent knows the answer, and the first reply is it.
            self.resolve(wait=False)
            return
        first_question = rng.random() < 0.55
        self.say(self.assignee, rng.choice(AGENT_QUESTIONS) if first_question else "Thanks, looking into it.")
        self.move(self.assignee, S.IN_PROGRESS)
        # Fell through the cracks: the aging backlog every queue has. Rare, or over 90 days of
        # history it would make most of the open queue months overdue.
        if rng.random() < 0.004:
            return
        if first_question and not self.waiting_on_customer():
            return
        for _ in range(rng.choices((0, 1, 2, 3, 4), weights=(30, 30, 20, 12, 8))[0]):
            if not self.work_round():
                return
        if rng.random() < self.scenario.escalate:
            self.escalate()
        if "feature-request" in self.scenario.tags and rng.random() < 0.4:
            # Parked until the product team decides; many wait weeks.
            self.wait(AGENT_REPLY_MINUTES[self.p])
            self.say(self.assignee, "I shared this with the product team; I'll update you on their decision.")
            self.move(self.assignee, S.ON_HOLD, reason="product_decision")
            self.wait(30 * 24 * 60, sigma=0.8)
            self.move(self.assignee, S.IN_PROGRESS)
        self.resolve()

    def triage(self) -> None:
        rng, create, scenario = self.rng, self.plan.create, self.scenario
        self.wait(TRIAGE_MINUTES[self.p])
        self.team_name = scenario.team
        team = self.people.teams[self.team_name]
        triager = self.people.teams["Frontline"].lead or self.people.agents["Frontline"][0]
        changes: dict[str, Any] = {"team": team, "support_tier": team.default_tier, "status": S.TRIAGED}
        self.tier_index = 0 if team.default_tier == SupportTier.L1 else 1
        if create.get("category") is None:
            changes["category"] = self.people.categories[scenario.category]
        if scenario.tags and rng.random() < 0.8:
            self.tags = [self.people.tags[name] for name in scenario.tags]
            changes["tags"] = self.tags
        if rng.random() < 0.08 and 1 <= self.p <= 3:  # the customer's priority was off by one
            changes["priority"] = PRIORITIES[self.p + rng.choice((-1, 1))]
        self.add("update", actor=triager, changes=changes)
        self.status = S.TRIAGED
        self.wait(ASSIGN_MINUTES[self.p])
        self.assign(self.lead(), self.team_name)

    def waiting_on_customer(self) -> bool:
        """Set pending and let the customer answer; return False when they never do."""
        self.t += timedelta(seconds=30)
        self.move(self.assignee, S.PENDING)
        if self.rng.random() < 0.1:
            self.wait(3 * 24 * 60, sigma=0.2)
            self.say(self.assignee, FOLLOW_UPS[0])
            self.wait(4 * 24 * 60, sigma=0.2)
            self.move(None, S.CLOSED, reason="no_customer_response")
            return False
        self.customer_reply()
        self.wait(AGENT_REPLY_MINUTES[self.p])
        self.say(self.assignee, "Thanks, that helps. Checking now.")
        return True

    def work_round(self) -> bool:
        rng = self.rng
        action = rng.choices(("ask", "customer", "note", "hold", "reassign"), weights=(35, 25, 25, 10, 5))[0]
        if action == "ask":
            self.wait(AGENT_REPLY_MINUTES[self.p])
            self.say(self.assignee, rng.choice(AGENT_QUESTIONS))
            return self.waiting_on_customer()
        if action == "customer":
            self.customer_reply()
            self.wait(AGENT_REPLY_MINUTES[self.p])
            self.say(self.assignee, "Thanks for the details, we are on it.")
        elif action == "note":
            self.wait(WORK_MINUTES[self.p] / 3)
            self.say(self.assignee, rng.choice(INTERNAL_NOTES), MessageVisibility.INTERNAL)
        elif action == "hold":
            self.wait(AGENT_REPLY_MINUTES[self.p])
            self.say(self.assignee, "We are waiting on our payment/hosting provider and will update you.")
            self.move(self.assignee, S.ON_HOLD, reason="third_party")
            self.wait(3 * 24 * 60, sigma=0.9)
            self.move(self.assignee, S.IN_PROGRESS)
        else:  # shift change or workload balancing
            self.wait(WORK_MINUTES[self.p] / 2)
            self.assign(self.lead(), self.team_name)
        return True

    def escalate(self) -> None:
        rng, scenario = self.rng, self.scenario
        to_engineering = rng.random() < scenario.engineering
        if self.tier_index == 0:  # L1 hands to the L2 specialists, who may need engineering (L3)
            steps = 2 if to_engineering else 1
        elif self.tier_index == 1 and to_engineering:
            steps = 1
        else:
            return
        for _ in range(steps):
            self.wait(WORK_MINUTES[self.p] / 2)
            self.tier_index += 1
            to_team = "Specialists" if self.tier_index == 1 else "Engineering escalations"
            handoff = {
                "issue_summary": f"{self.plan.create['subject']} ({self.requester.email}).",
                "troubleshooting_done": "Reproduced; checked logs, configuration and recent changes.",
                "environment": f"{scenario.product_area}, production.",
                "why_escalating": "Needs deeper technical access than this tier has.",
                "customer_expectation": "An update today and a fix or workaround.",
                "next_steps": "Confirm root cause and advise.",
            }
            self.add("escalate", actor=self.assignee, handoff=handoff,
                     to_team=self.people.teams[to_team], up=True)  # fmt: skip
            self.status, self.team_name = S.ESCALATED, to_team
            self.wait(ASSIGN_MINUTES[self.p] * 2)
            self.assign(self.lead(), to_team)
            self.wait(AGENT_REPLY_MINUTES[self.p])
            if to_team == "Engineering escalations":
                self.move(self.assignee, S.ENGINEERING)
                self.say(self.assignee, "Root cause found; fix in review.", MessageVisibility.INTERNAL)
                # Fixes ship with a release: days to weeks unless it is an outage.
                self.wait(WORK_MINUTES[self.p] * 5, sigma=1.0)
            else:
                self.move(self.assignee, S.IN_PROGRESS)
                self.say(self.assignee, "I'm a specialist on this area and have taken over your ticket.")
                self.wait(WORK_MINUTES[self.p])
        if self.status == S.ENGINEERING and rng.random() < 0.5:
            self.move(self.assignee, S.IN_PROGRESS)
            handoff = {"issue_summary": "Fix deployed; confirm with the customer.", "next_steps": "Verify."}
            self.add("escalate", actor=self.assignee, handoff=handoff,
                     to_team=self.people.teams["Specialists"], up=False)  # fmt: skip
            self.team_name, self.tier_index = "Specialists", 1
            self.wait(ASSIGN_MINUTES[self.p])
            self.assign(self.lead(), "Specialists")

    def resolve(self, *, wait: bool = True) -> None:
        rng = self.rng
        if wait:
            self.wait(WORK_MINUTES[self.p])
        self.say(self.assignee, self.scenario.solution)
        self.move(self.assignee, S.RESOLVED)
        if rng.random() < 0.06:
            self.tags = [*self.tags, self.people.tags["no-survey"]]
            self.add("update", actor=self.assignee, changes={"tags": self.tags})
        if rng.random() < 0.08:  # the fix did not hold: the customer's reply reopens the ticket
            self.customer_reply()
            self.wait(AGENT_REPLY_MINUTES[self.p])
            self.say(self.assignee, "Sorry about that - I found a second cause and fixed it too.")
            self.move(self.assignee, S.RESOLVED)
        if rng.random() < 0.25:
            self.wait(600, agent=False)
            self.move(self.requester, S.CLOSED)
        else:
            self.t += timedelta(days=4, minutes=rng.randrange(60))
            self.move(None, S.CLOSED, reason="auto_close_after_resolution")


def _new_plan(rng: random.Random, people: People, scenario: Scenario, at: datetime, **over: Any) -> Plan:
    priority = rng.choices(PRIORITIES, weights=scenario.priorities)[0]
    requester = over.pop("requester", None) or rng.choices(people.customers, people.customer_weights)[0]
    channel = (
        over.pop("channel", None)
        or rng.choices(
            (Channel.PORTAL, Channel.EMAIL, Channel.API, Channel.PHONE, Channel.CHAT),
            weights=(45, 35, 5, 5, 10),
        )[0]
    )
    create: dict[str, Any] = {
        "requester": requester,
        "subject": rng.choice(scenario.subjects),
        "description": scenario.detail,
        "priority": priority,
        "severity": ("sev1", "sev2", "sev3", "sev4", "sev5")[PRIORITIES.index(priority)],
        "category": people.categories[scenario.category] if rng.random() < 0.6 else None,
        "product_area": people.product_areas[scenario.product_area],
        "channel": channel,
        "tags": [people.tags[name] for name in scenario.tags if name in ("feature-request", "outage")],
    }
    if channel == Channel.PHONE:
        agent = rng.choice(people.agents[scenario.team])
        create.update(actor=agent, team=people.teams[scenario.team], assignee=agent)
        create["category"] = people.categories[scenario.category]
    create.update(over)
    return Plan(created_at=at, create=create)


def plan_tickets(rng: random.Random, people: People, count: int, now: datetime) -> list[Plan]:
    duplicates = count // 50
    incidents = max(1, count // 250) if count >= 20 else 0
    reports = 4
    singles = count - duplicates - incidents * reports
    plans: list[Plan] = []
    for at in _arrival_times(rng, singles, now):
        scenario = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
        plan = _new_plan(rng, people, scenario, at)
        _Planner(rng, people, plan, scenario).run()
        plans.append(plan)
    frontline = people.agents["Frontline"]
    for start in rng.sample(_arrival_times(rng, incidents * 20, now - timedelta(days=3)), k=incidents):
        first: Plan | None = None
        for number in range(reports):
            at = start + timedelta(minutes=number * rng.randrange(5, 30))
            plan = _new_plan(rng, people, OUTAGE, at, channel=Channel.EMAIL)
            _Planner(rng, people, plan, OUTAGE).run()
            if first is None:
                first = plan
            else:  # later reports become children of the first one, the incident's parent ticket
                plan.steps.insert(2, Step(at + timedelta(minutes=1), "link", {
                    "actor": rng.choice(frontline), "other": first, "kind": "parent_of"}))  # fmt: skip
            plans.append(plan)
    originals = [p for p in plans if p.create["channel"] != Channel.PHONE]
    for original in rng.sample(originals, k=min(duplicates, len(originals))):
        # The customer writes again about the same problem before anyone answered the first one.
        at = original.created_at + _minutes(rng, 40, 0.5)
        if at >= now:
            at = original.created_at + (now - original.created_at) / 2
        merge_at = at + _minutes(rng, 60, 0.5)
        plan = _new_plan(rng, people, SCENARIOS[0], at, requester=original.create["requester"],
                         subject=f"Re: {original.create['subject']}", description="Any update? Sending again.",
                         priority=original.create["priority"], channel=Channel.EMAIL, category=None)  # fmt: skip
        plan.is_duplicate = True
        plan.steps = [Step(at, "create", {})]
        if original.closed_at is None or original.closed_at > merge_at:
            plan.steps.append(Step(merge_at, "merge", {"actor": rng.choice(frontline), "other": original}))
        plans.append(plan)
    # Related tickets: the same problem at the same organization within two weeks.
    by_category: dict[Any, list[Plan]] = {}
    for plan in sorted(plans, key=lambda p: p.created_at):
        key = (plan.create["requester"].organization_id, plan.create.get("category"))
        earlier = [p for p in by_category.get(key, []) if plan.created_at - p.created_at < timedelta(days=14)]
        if earlier and key[0] and key[1] and not plan.is_duplicate and rng.random() < 0.3:
            when = plan.created_at + timedelta(minutes=5)
            plan.steps.insert(1, Step(when, "link", {"actor": rng.choice(frontline),
                                                     "other": earlier[-1], "kind": "related"}))  # fmt: skip
        by_category.setdefault(key, []).append(plan)
    for plan in plans:
        plan.steps = [step for step in plan.steps if step.at <= now]
    return sorted(plans, key=lambda p: p.created_at)
