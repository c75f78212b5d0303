"""Every write to accounts, organizations, teams and API credentials."""

from __future__ import annotations

import hashlib
import secrets
import time
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify

from helpdesk.exceptions import DomainError
from helpdesk.inserts import insert_rows
from helpdesk.models import (
    ApiToken,
    IdempotencyKey,
    Notification,
    Organization,
    OrganizationDomain,
    Role,
    Skill,
    Team,
    User,
)

TOKEN_PREFIX = "hd_"  # noqa: S105 - a public prefix, not a secret


def hash_token(plaintext: str) -> str:
    """Return the stored form of an API token (tokens are random, so a fast hash suffices)."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _normalize_domains(domains: Iterable[str]) -> list[str]:
    cleaned = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        if not domain or "." not in domain or " " in domain or "@" in domain:
            raise DomainError(
                "Invalid email domain.", field_errors={"domains": [f"'{raw}' is not a domain."]}
            )
        cleaned.append(domain)
    return sorted(set(cleaned))


def _set_domains(organization: Organization, domains: Sequence[str]) -> None:
    taken = (
        OrganizationDomain.objects.filter(domain__in=domains)
        .exclude(organization=organization)
        .values_list("domain", flat=True)
    )
    if taken:
        raise DomainError(
            "Domain already belongs to another organization.",
            field_errors={
                "domains": [f"'{d}' already belongs to another organization." for d in sorted(taken)]
            },
        )
    OrganizationDomain.objects.filter(organization=organization).exclude(domain__in=domains).delete()
    existing = set(organization.domains.values_list("domain", flat=True))
    OrganizationDomain.objects.bulk_create(
        [OrganizationDomain(organization=organization, domain=d) for d in domains if d not in existing]
    )


ORGANIZATION_FIELDS = (
    "calendar",
    "name",
    "tier",
    "segment",
    "is_vip",
    "notes",
    "members_see_each_other",
    "account_owner",
)


@transaction.atomic
def organization_create(*, name: str, domains: Sequence[str] = (), **fields: Any) -> Organization:
    """Create an organization with its email domains.

    Raises DomainError when the name or a domain is already taken.
    """
    if Organization.objects.filter(name__iexact=name.strip()).exists():
        raise DomainError("Name taken.", field_errors={"name": ["An organization with this name exists."]})
    organization = Organization.objects.create(
        name=name.strip(), **{k: v for k, v in fields.items() if k in ORGANIZATION_FIELDS}
    )
    _set_domains(organization, _normalize_domains(domains))
    return organization


@transaction.atomic
def organization_update(
    *, organization_id: int, domains: Sequence[str] | None = None, actor: User | None = None, **fields: Any
) -> Organization:
    """Change an organization's fields and, when given, replace its email domains."""
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        clash = Organization.objects.filter(name__iexact=fields["name"]).exclude(pk=organization_id)
        if clash.exists():
            raise DomainError(
                "Name taken.", field_errors={"name": ["An organization with this name exists."]}
            )
    previous_tier, previous_calendar = organization.tier, organization.calendar_id
    for key, value in fields.items():
        if key in ORGANIZATION_FIELDS:
            setattr(organization, key, value)
    organization.save()
    if domains is not None:
        _set_domains(organization, _normalize_domains(domains))
    if organization.tier != previous_tier or organization.calendar_id != previous_calendar:
        # The customer's promises changed: their open tickets are re-matched in the background.
        from sla import services as sla_services

        sla_services.reapply_job_create(actor=actor, organization=organization)
    return organization


def organization_for_email(email: str) -> Organization | None:
    """Return the organization whose registered domain matches the email's domain, if any."""
    domain = email.rsplit("@", 1)[-1].lower()
    link = OrganizationDomain.objects.select_related("organization").filter(domain=domain).first()
    return link.organization if link else None


def _validate_time_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise DomainError(
            "Unknown time zone.", field_errors={"time_zone": [f"'{name}' is not an IANA time zone."]}
        ) from error


def _validate_email(email: str) -> None:
    # The model's EmailField is not validated on save; an address that is not one would join an
    # organization by a garbage "domain" and receive no mail.
    try:
        validate_email(email)
    except ValidationError as error:
        raise DomainError(
            "Invalid email.", field_errors={"email": [f"'{email}' is not an email address."]}
        ) from error


USER_FIELDS = (
    "full_name",
    "role",
    "organization",
    "support_tier",
    "time_zone",
    "max_open_tickets",
    "availability",
    "is_active",
)


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None = None,
    role: str = Role.CUSTOMER,
    organization: Organization | None = None,
    skills: Sequence[Skill] = (),
    **fields: Any,
) -> User:
    """Create a user. A customer with no organization joins the one owning their email domain.

    Raises DomainError when the email is taken or the time zone is unknown.
    """
    email = email.strip().lower()
    _validate_email(email)
    if User.objects.filter(email=email).exists():
        raise DomainError("Email taken.", field_errors={"email": ["A user with this email exists."]})
    if "time_zone" in fields:
        _validate_time_zone(fields["time_zone"])
    if organization is None and role == Role.CUSTOMER:
        organization = organization_for_email(email)
    user = User(
        email=email,
        role=role,
        organization=organization,
        **{k: v for k, v in fields.items() if k in USER_FIELDS},
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # a concurrent create of the same email
        raise DomainError(
            "Email taken.", field_errors={"email": ["A user with this email exists."]}
        ) from error
    if skills:
        user.skills.set(skills)
    return user


@transaction.atomic
def user_update(
    *, user_id: int, skills: Sequence[Skill] | None = None, password: str | None = None, **fields: Any
) -> User:
    """Change a user's profile, role or agent settings."""
    user = User.objects.select_for_update().get(pk=user_id)
    if "time_zone" in fields:
        _validate_time_zone(fields["time_zone"])
    if "email" in fields:
        email = fields["email"].strip().lower()
        _validate_email(email)
        if User.objects.filter(email=email).exclude(pk=user_id).exists():
            raise DomainError("Email taken.", field_errors={"email": ["A user with this email exists."]})
        user.email = email
    for key, value in fields.items():
        if key in USER_FIELDS:
            setattr(user, key, value)
    if password:
        user.set_password(password)
    user.save()
    if skills is not None:
        user.skills.set(skills)
    return user


def customer_get_or_create(*, email: str, full_name: str = "") -> User:
    """Return the user with this email, creating a customer (joined by domain) when absent."""
    email = email.strip().lower()
    existing = User.objects.filter(email=email).first()
    if existing:
        return existing
    try:
        return user_create(email=email, full_name=full_name)
    except DomainError:
        # Lost a race to a concurrent create of the same address; anything else is a real error.
        raced = User.objects.filter(email=email).first()
        if raced is None:
            raise
        return raced


@transaction.atomic
def team_create(
    *,
    name: str,
    lead: User | None = None,
    members: Sequence[User] = (),
    default_tier: str = "l1",
    is_escalation_team: bool = False,
) -> Team:
    """Create a team; its lead is always a member."""
    slug = slugify(name)
    if not slug:
        raise DomainError(
            "Invalid name.", field_errors={"name": ["Give the team a name with letters or digits."]}
        )
    if Team.objects.filter(slug=slug).exists() or Team.objects.filter(name__iexact=name).exists():
        raise DomainError("Name taken.", field_errors={"name": ["A team with this name exists."]})
    team = Team.objects.create(
        name=name.strip(),
        slug=slug,
        lead=lead,
        default_tier=default_tier,
        is_escalation_team=is_escalation_team,
    )
    team.members.set({*members, *([lead] if lead else [])})
    return team


@transaction.atomic
def team_update(*, team_id: int, members: Sequence[User] | None = None, **fields: Any) -> Team:
    """Change a team's name, lead, default tier or members."""
    team = Team.objects.select_for_update().get(pk=team_id)
    if "name" in fields:
        slug = slugify(fields["name"])
        if not slug:
            raise DomainError(
                "Invalid name.", field_errors={"name": ["Give the team a name with letters or digits."]}
            )
        if Team.objects.filter(slug=slug).exclude(pk=team_id).exists():
            raise DomainError("Name taken.", field_errors={"name": ["A team with this name exists."]})
        team.name, team.slug = fields["name"].strip(), slug
    for key in ("lead", "default_tier", "is_escalation_team"):
        if key in fields:
            setattr(team, key, fields[key])
    team.save()
    if members is not None:
        team.members.set({*members, *([team.lead] if team.lead else [])})
    elif team.lead:
        team.members.add(team.lead)
    return team


@transaction.atomic
def api_token_create(
    *, user: User, name: str, rate_limit_per_minute: int | None = None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create an API token and return it with its plaintext, which is never stored or shown again."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API token",
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(plaintext),
        rate_limit_per_minute=rate_limit_per_minute,
        expires_at=expires_at,
    )
    return token, plaintext


def api_token_revoke(*, token_id: int, now: datetime | None = None) -> None:
    """Revoke a token; revoking twice keeps the first revocation time."""
    ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def api_token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record use of a token, at most once a minute so authentication stays a read on the hot path."""
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def idempotency_keys_purge(*, now: datetime, ttl: timedelta) -> int:
    """Delete idempotency records older than `ttl`; return how many went."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - ttl).delete()
    return deleted


@dataclass(frozen=True)
class Alert:
    """One cause to notify people of, for notifications_create_many."""

    recipient_ids: Sequence[int | None]
    kind: str
    source: str
    title: str
    ticket_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def notifications_create_many(alerts: Iterable[Alert], *, now: datetime | None = None) -> None:
    """Alert each recipient of each cause once per (source, kind), with one INSERT for all.

    Idempotent: a retried cause (the same `source`) creates nothing twice. Email goes out later,
    from notifications_email_due, so a mail outage never blocks the write that caused the alert.
    """
    at = now or timezone.now()
    insert_rows(
        [
            Notification(
                recipient_id=pk,
                kind=alert.kind,
                source=alert.source,
                title=alert.title[:200],
                ticket_id=alert.ticket_id,
                data=alert.data,
                created_at=at,
            )
            for alert in alerts
            for pk in sorted({pk for pk in alert.recipient_ids if pk is not None})
        ],
        ignore_conflicts=True,
    )


def notifications_create(
    *,
    recipient_ids: Iterable[int | None],
    kind: str,
    source: str,
    title: str,
    ticket_id: int | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Alert each recipient once per (source, kind); see notifications_create_many."""
    notifications_create_many(
        [Alert(list(recipient_ids), kind, source, title, ticket_id, data or {})], now=now
    )


def notification_mark_read(
    *, recipient: User, notification_ids: Sequence[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the recipient's notifications read (all unread ones when no ids are given); return how many."""
    queryset = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_ids is not None:
        queryset = queryset.filter(pk__in=notification_ids)
    return queryset.update(read_at=now or timezone.now())


def notifications_email_due(
    *, now: datetime, batch_size: int = 2000, time_budget_seconds: float = 40.0
) -> int:
    """Email notifications not yet emailed; return how many were sent.

    Each row is locked (SKIP LOCKED, so parallel workers share the queue), sent and marked in its
    own transaction: a send that raises leaves that row for the next run and the others done.
    Stops after `batch_size` rows or `time_budget_seconds`, inside the task's time limit.
    """
    sent = 0
    deadline = time.monotonic() + time_budget_seconds
    for _ in range(batch_size):
        if time.monotonic() > deadline:
            break
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(email_due=True, emailed_at__isnull=True)
                .order_by("created_at")
                .first()
            )
            if row is None:
                break
            if row.recipient.is_active and row.recipient.email:
                ticket = f" (ticket #{row.ticket_id})" if row.ticket_id else ""
                where = (
                    settings.SITE_URL + reverse("tickets:detail", args=[row.ticket_id])
                    if row.ticket_id
                    else settings.SITE_URL + reverse("helpdesk:notifications")
                )
                send_mail(
                    subject=f"[Helpdesk] {row.title}",
                    message=f"{row.title}{ticket}\n\nSee the details: {where}",
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=[row.recipient.email],
                )
                sent += 1
            Notification.objects.filter(pk=row.pk).update(emailed_at=now)
    return sent


# --- Customer self-service accounts ---------------------------------------------------------------
#
# Sign-up creates an *inactive* customer; the emailed verification link activates it. "Pending
# verification" is read from the row itself (inactive and never signed in), so no extra column is
# needed. Links are signed with TimestampSigner; a link binds the state it was issued for
# (date_joined for verification, last_login and the password hash for sign-in links), so a link
# stops working once that state changes: verifying or signing in once uses it up.


VERIFY_SALT = "helpdesk.accounts.verify"
SIGN_IN_LINK_SALT = "helpdesk.accounts.sign-in-link"
VERIFY_MAX_AGE = timedelta(days=3)
SIGN_IN_LINK_MAX_AGE = timedelta(minutes=15)


class AccountTokenError(DomainError):
    """A verification or sign-in link that is malformed, expired, used or not for this user."""

    code = "invalid_token"


def _is_pending_verification(user: User) -> bool:
    return not user.is_active and user.last_login is None


def _sign_in_state(user: User) -> str:
    last_login = user.last_login.isoformat() if user.last_login else ""
    return salted_hmac(SIGN_IN_LINK_SALT, f"{user.pk}:{last_login}:{user.password}").hexdigest()[:32]


def _send_account_mail(*, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    body = render_to_string(template, context)
    transaction.on_commit(
        partial(
            send_mail,
            subject=f"[Helpdesk] {subject}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[to],
        )
    )


def account_verification_token_make(*, user: User) -> str:
    """Return a signed token that activates this pending customer for VERIFY_MAX_AGE."""
    return TimestampSigner(salt=VERIFY_SALT).sign_object(
        {"u": user.pk, "j": user.date_joined.timestamp()}, compress=True
    )


def sign_in_link_token_make(*, user: User) -> str:
    """Return a signed token that signs this user in once within SIGN_IN_LINK_MAX_AGE."""
    return TimestampSigner(salt=SIGN_IN_LINK_SALT).sign_object(
        {"u": user.pk, "s": _sign_in_state(user)}, compress=True
    )


def _unsign(token: str, *, salt: str, max_age: timedelta) -> dict[str, Any]:
    try:
        payload = TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
    except SignatureExpired as error:
        raise AccountTokenError("This link has expired.") from error
    except BadSignature as error:
        raise AccountTokenError("This link is not valid.") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise AccountTokenError("This link is not valid.")
    return payload


@transaction.atomic
def account_signup(*, email: str, full_name: str, password: str, base_url: str) -> User | None:
    """Register a customer pending verification and email them the verification link.

    Never reveals whether the address was known: for an existing account nothing is created and
    the owner is emailed instead (a fresh verification link while still pending, otherwise a
    "you already have an account" note). Returns the new user, or None when the email was taken.
    Mail goes out on commit.
    """
    email = email.strip().lower()
    existing = User.objects.filter(email=email).first()
    if existing is None:
        try:
            user = user_create(email=email, full_name=full_name.strip(), password=password, is_active=False)
        except DomainError:
            existing = User.objects.filter(email=email).first()
            if existing is None:
                raise
        else:
            account_verification_send(user=user, base_url=base_url)
            return user
    if _is_pending_verification(existing):
        account_verification_send(user=existing, base_url=base_url)
    elif existing.is_active:
        _send_account_mail(
            to=existing.email,
            subject="You already have an account",
            template="helpdesk/accounts/email/already_registered.txt",
            context={
                "user": existing,
                "login_url": base_url + reverse("helpdesk:login"),
                "reset_url": base_url + reverse("helpdesk:password-reset"),
            },
        )
    # A deactivated account gets no mail: it cannot sign in, and staff decide whether it returns.
    return None


def account_verification_send(*, user: User, base_url: str) -> None:
    """Email the user a link that activates their pending account (on commit)."""
    token = account_verification_token_make(user=user)
    _send_account_mail(
        to=user.email,
        subject="Confirm your email address",
        template="helpdesk/accounts/email/verify.txt",
        context={
            "user": user,
            "url": base_url + reverse("helpdesk:verify", kwargs={"token": token}),
            "days": VERIFY_MAX_AGE.days,
        },
    )


@transaction.atomic
def account_verify(*, token: str) -> User:
    """Activate the pending customer the token was issued to and return them.

    Raises AccountTokenError when the token is malformed, older than VERIFY_MAX_AGE, or its
    account is no longer pending verification (already verified, or changed since).
    """
    payload = _unsign(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    user = User.objects.select_for_update().filter(pk=payload["u"]).first()
    if (
        user is None
        or user.role != Role.CUSTOMER
        or user.date_joined.timestamp() != payload.get("j")
        or not _is_pending_verification(user)
    ):
        raise AccountTokenError("This link has already been used or is no longer valid.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


def sign_in_link_send(*, email: str, base_url: str) -> bool:
    """Email a one-time sign-in link to an active customer with this address (on commit).

    Returns whether a link was sent; callers must not show the difference (it would reveal
    which addresses have accounts). Agents and inactive users get nothing.
    """
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None or not user.is_active or user.role != Role.CUSTOMER:
        return False
    token = sign_in_link_token_make(user=user)
    _send_account_mail(
        to=user.email,
        subject="Your sign-in link",
        template="helpdesk/accounts/email/sign_in_link.txt",
        context={
            "user": user,
            "url": base_url + reverse("helpdesk:sign-in-link-redeem", kwargs={"token": token}),
            "minutes": int(SIGN_IN_LINK_MAX_AGE.total_seconds() // 60),
        },
    )
    return True


@transaction.atomic
def sign_in_link_redeem(*, token: str, now: datetime | None = None) -> User:
    """Use up a sign-in link and return the user to sign in.

    Marks the sign-in (last_login) here, under a row lock, so a second use of the same link - even
    a concurrent one - fails. Raises AccountTokenError when the token is malformed, expired, used,
    or its user is no longer an active customer.
    """
    payload = _unsign(token, salt=SIGN_IN_LINK_SALT, max_age=SIGN_IN_LINK_MAX_AGE)
    user = User.objects.select_for_update().filter(pk=payload["u"]).first()
    if (
        user is None
        or not user.is_active
        or user.role != Role.CUSTOMER
        or not constant_time_compare(_sign_in_state(user), str(payload.get("s", "")))
    ):
        raise AccountTokenError("This link has already been used or is no longer valid.")
    user.last_login = now or timezone.now()
    user.save(update_fields=["last_login"])
    return user
