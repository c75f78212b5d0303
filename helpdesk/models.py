"""Accounts, organizations, teams and API credentials."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    TEAM_LEAD = "team_lead", "Team lead"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


STAFF_ROLES = frozenset({Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})


class SupportTier(models.TextChoices):
    L1 = "l1", "L1"
    L2 = "l2", "L2"
    L3 = "l3", "L3"


SUPPORT_TIER_ORDER = [SupportTier.L1, SupportTier.L2, SupportTier.L3]


class Availability(models.TextChoices):
    ACTIVE = "active", "Active"
    AWAY = "away", "Away"


class CustomerTier(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    BUSINESS = "business", "Business"
    PROFESSIONAL = "professional", "Professional"
    STARTER = "starter", "Starter"
    FREE = "free", "Free"


class Segment(models.TextChoices):
    HIGH_TOUCH = "high_touch", "High-touch"
    BLENDED = "blended", "Blended"
    SCALED = "scaled", "Scaled"


class Organization(models.Model):
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=16, choices=CustomerTier.choices, default=CustomerTier.FREE)
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.SCALED)
    is_vip = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    members_see_each_other = models.BooleanField(
        default=False, help_text="Members see every ticket of the organization, not only their own."
    )
    account_owner = models.ForeignKey(
        "helpdesk.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_organizations"
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Business hours for this customer's SLA clocks (overrides the team's).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organization_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class OrganizationDomain(models.Model):
    """An email domain whose new customers join the organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)  # stored lower-case by the service

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class Skill(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["role"] = Role.ADMIN
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser):
    email = models.EmailField(max_length=254, unique=True)  # stored lower-case
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    support_tier = models.CharField(max_length=2, choices=SupportTier.choices, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="agents")
    time_zone = models.CharField(max_length=64, default="UTC")
    max_open_tickets = models.PositiveIntegerField(default=25)
    availability = models.CharField(max_length=8, choices=Availability.choices, default=Availability.ACTIVE)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_agent(self) -> bool:
        """Agents, leads, managers and admins all work tickets."""
        return self.role in STAFF_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        # Django's admin site is for admins only; managers use the product's own screens.
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object | None = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Any, obj: object | None = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    lead = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams")
    default_tier = models.CharField(max_length=2, choices=SupportTier.choices, default=SupportTier.L1)
    members = models.ManyToManyField(User, blank=True, related_name="teams")
    is_escalation_team = models.BooleanField(default=False)
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Business hours for SLA clocks of this team's tickets.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A per-user API credential. Only a SHA-256 of the secret is stored; it is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token in lists.")
    token_hash = models.CharField(max_length=64, unique=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides API_RATE_LIMIT_PER_MINUTE for this token."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyKey(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed on retries."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    MENTIONED = "mentioned", "Mentioned"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breach"
    SLA_SEVERE_BREACH = "sla_severe_breach", "Severe SLA breach"
    ESCALATED = "escalated", "Escalated to your team"
    SURVEY_FOLLOW_UP = "survey_follow_up", "Low satisfaction score to follow up"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook disabled after failures"
    AUTOMATION = "automation", "From an automation rule"


class Notification(models.Model):
    """An in-app alert for one person; emailed once by a sweeping task (claimed by `emailed_at`)."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What caused it, as "<app>.<model>:<id>", unique per recipient so a retried cause alerts once.
    source = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_due = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "recipient", "kind"], name="notification_once_per_cause"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_due=True, emailed_at__isnull=True),
                name="notification_email_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class SavedView(models.Model):
    """A queue view an agent kept: filters, visible columns and sort.

    Private to its owner while `team` is empty; shared read-only with the team's members otherwise.
    `filters`, `columns` and `sort` are validated by tickets.queues before they are stored.
    """

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_views",
        help_text="Shared with this team's members; empty keeps the view private.",
    )
    filters = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(default=list, blank=True)
    sort = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "owner", name="saved_view_name_unique_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.team_id is not None


# Webhook tables live in their own module and belong to this app (migrations, admin).
from helpdesk.webhooks.models import (  # noqa: E402, F401
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEventType,
    WebhookFeedCursor,
    WebhookSource,
    WebhookSubscription,
)
