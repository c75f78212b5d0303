"""Tables of routing and automation: rules and their firings, team and agent routing, macros.

Imported at the end of tickets/models.py, so these are models of the `tickets` app. References
to other tickets models are by string, so this module never imports tickets.models (which
imports it).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class RuleKind(models.TextChoices):
    EVENT = "event", "When a ticket changes"
    TIME = "time", "On time (checked every minute)"


class RuleTrigger(models.TextChoices):
    """What happened to the ticket, for event rules."""

    CREATED = "created", "Ticket created"
    UPDATED = "updated", "Ticket updated"
    CUSTOMER_REPLIED = "customer_replied", "Customer replied"


class AutomationRule(models.Model):
    """An ordered if-this-then-that rule. `conditions` and `actions` are validated JSON.

    The formats live in tickets/automation/conditions.py and actions.py (pure); this row only
    stores them. Rules run in (position, id) order; `stop_processing` ends the run for the
    ticket after this rule fired.
    """

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=RuleKind.choices, default=RuleKind.EVENT)
    triggers = ArrayField(
        models.CharField(max_length=20, choices=RuleTrigger.choices), default=list, blank=True
    )
    conditions = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=False)
    stop_processing = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="automation_rule_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    """A time rule fired for a ticket in one qualifying period; unique, so it fires once per period.

    `period_start` is the latest of the instants the rule's time conditions count from (created,
    updated, pending since, …): when one of them moves past `fired_at`, a new period begins (the
    rule's own change, made at `fired_at`, does not start one).
    """

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "period_start"], name="rule_firing_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on #{self.ticket_id} ({self.period_start:%Y-%m-%d %H:%M})"


class RoutingStrategy(models.TextChoices):
    MANUAL = "manual", "Manual (no automatic assignment)"
    ROUND_ROBIN = "round_robin", "Round-robin"
    LOAD_BALANCED = "load_balanced", "Load-balanced (fewest open tickets)"
    SKILL_BASED = "skill_based", "Skill-based (category → skill → tier)"
    STICKY_OWNER = "sticky_owner", "Sticky to the organization's owner"


class TeamRouting(models.Model):
    """How a team's tickets are assigned. The row is locked while routing, so routes serialize."""

    team = models.OneToOneField("helpdesk.Team", on_delete=models.CASCADE, related_name="routing")
    strategy = models.CharField(
        max_length=16, choices=RoutingStrategy.choices, default=RoutingStrategy.MANUAL
    )
    auto_assign = models.BooleanField(
        default=True,
        help_text="Assign new tickets, and tickets waiting unassigned, without a rule asking for it.",
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.team_id}: {self.strategy}"


class AgentRouting(models.Model):
    """An agent's routing settings beyond User.max_open_tickets and User.availability."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_settings"
    )
    ramp_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text="Share of the normal maximum load, for new hires ramping up (0.25–1.00).",
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Working hours; empty means the team's calendar (or always, when it has none).",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ramp_share__gte=Decimal("0.25"), ramp_share__lte=Decimal("1.00")),
                name="agent_routing_ramp_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.ramp_share}"


class CategorySkill(models.Model):
    """The skill a category's tickets need, for skill-based routing (a top category covers its children)."""

    category = models.OneToOneField(
        "tickets.Category", on_delete=models.CASCADE, related_name="routing_skill"
    )
    skill = models.ForeignKey("helpdesk.Skill", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.category_id} → {self.skill_id}"


class Macro(models.Model):
    """A named reply with placeholders plus actions, applied by an agent in one click.

    Personal when `owner` is set; shared with every agent when it is empty, or with one team's
    members when `team` is set.
    """

    name = models.CharField(max_length=120)
    body = models.TextField(blank=True, help_text="Markdown with {{ placeholders }}; may be empty.")
    visibility = models.CharField(
        max_length=8,
        choices=[("public", "Public reply"), ("internal", "Internal note")],
        default="public",
    )
    actions = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
    )
    team = models.ForeignKey(
        "helpdesk.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None
