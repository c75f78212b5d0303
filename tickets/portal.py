"""The customer portal's rules and reads: what customers see, in their words, and what they may do.

Priority comes from two plain questions (who is affected, how badly) through the reference's
severity decision matrix; statuses are shown in customer words; the reply promise is the running
first-response / next-reply SLA clock. Writes go through tickets.services only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from helpdesk.exceptions import DomainError
from helpdesk.models import User
from sla.models import ClockState, SlaMetric
from sla.selectors import ticket_sla_overview
from tickets import selectors, services
from tickets.automation.hooks import one_write
from tickets.models import OPEN_STATUSES, Category, Priority, Severity, Ticket, TicketStatus
from tickets.services import UploadedFile

# Tickets filed here carry source=PORTAL_SOURCE and the form's one-time token as external_id: the
# (source, external_id) unique constraint turns a double submit into one ticket, even when both
# requests arrive at once.
PORTAL_SOURCE = "portal-form"
DEFAULT_REOPEN_DAYS = 7


class Impact(StrEnum):
    """Who is affected: the columns of the reference's severity decision matrix."""

    ONE_USER = "one_user"
    MULTIPLE_USERS = "multiple_users"
    ALL_USERS = "all_users"


class Urgency(StrEnum):
    """How badly work is blocked: the rows of the reference's severity decision matrix."""

    COMPLETE_BLOCK = "complete_block"
    MAJOR_IMPAIRMENT = "major_impairment"
    MINOR_IMPAIRMENT = "minor_impairment"


IMPACT_CHOICES: tuple[tuple[str, str, str], ...] = (
    (Impact.ONE_USER, "Just me", "Only you (or one person) is affected."),
    (Impact.MULTIPLE_USERS, "Several people", "A team or a group of colleagues is affected."),
    (Impact.ALL_USERS, "Everyone", "All users of your organization are affected."),
)
URGENCY_CHOICES: tuple[tuple[str, str, str], ...] = (
    (Urgency.COMPLETE_BLOCK, "I can't work", "Something essential is down or unusable; no workaround."),
    (
        Urgency.MAJOR_IMPAIRMENT,
        "It's getting in the way",
        "An important feature is broken or slow; work is hard but possible.",
    ),
    (
        Urgency.MINOR_IMPAIRMENT,
        "It's a minor issue or a question",
        "Cosmetic problems, how-to questions and suggestions.",
    ),
)

# Reference "Severity Decision Matrix": rows = urgency, columns = users affected. SEVn maps to Pn,
# matching the reference's priority table (P1 complete outage … P5 request).
SEVERITY_MATRIX: dict[tuple[Urgency, Impact], Severity] = {
    (Urgency.COMPLETE_BLOCK, Impact.ONE_USER): Severity.SEV3,
    (Urgency.COMPLETE_BLOCK, Impact.MULTIPLE_USERS): Severity.SEV2,
    (Urgency.COMPLETE_BLOCK, Impact.ALL_USERS): Severity.SEV1,
    (Urgency.MAJOR_IMPAIRMENT, Impact.ONE_USER): Severity.SEV4,
    (Urgency.MAJOR_IMPAIRMENT, Impact.MULTIPLE_USERS): Severity.SEV3,
    (Urgency.MAJOR_IMPAIRMENT, Impact.ALL_USERS): Severity.SEV2,
    (Urgency.MINOR_IMPAIRMENT, Impact.ONE_USER): Severity.SEV5,
    (Urgency.MINOR_IMPAIRMENT, Impact.MULTIPLE_USERS): Severity.SEV4,
    (Urgency.MINOR_IMPAIRMENT, Impact.ALL_USERS): Severity.SEV3,
}
_PRIORITY_OF_SEVERITY: dict[Severity, Priority] = {
    Severity.SEV1: Priority.P1,
    Severity.SEV2: Priority.P2,
    Severity.SEV3: Priority.P3,
    Severity.SEV4: Priority.P4,
    Severity.SEV5: Priority.P5,
}


def severity_for(*, impact: str, urgency: str) -> Severity:
    """Return the severity of a ticket from the customer's impact and urgency answers.

    Raises ValueError for an answer that is not one of the offered choices.
    """
    return SEVERITY_MATRIX[(Urgency(urgency), Impact(impact))]


def priority_for(*, impact: str, urgency: str) -> Priority:
    """Return the priority a portal ticket gets from the customer's impact and urgency answers."""
    return _PRIORITY_OF_SEVERITY[severity_for(impact=impact, urgency=urgency)]


@dataclass(frozen=True)
class CustomerStatus:
    label: str
    tone: str  # a CSS modifier: new, working, waiting, done


_CUSTOMER_STATUS: dict[str, CustomerStatus] = {
    TicketStatus.NEW: CustomerStatus("Received", "new"),
    TicketStatus.TRIAGED: CustomerStatus("We're working on it", "working"),
    TicketStatus.ASSIGNED: CustomerStatus("We're working on it", "working"),
    TicketStatus.IN_PROGRESS: CustomerStatus("We're working on it", "working"),
    TicketStatus.ESCALATED: CustomerStatus("We're working on it", "working"),
    TicketStatus.ENGINEERING: CustomerStatus("With our engineers", "working"),
    TicketStatus.PENDING: CustomerStatus("Waiting for your reply", "waiting"),
    TicketStatus.ON_HOLD: CustomerStatus("Waiting on a third party", "working"),
    TicketStatus.RESOLVED: CustomerStatus("Solved", "done"),
    TicketStatus.CLOSED: CustomerStatus("Closed", "done"),
}


def customer_status(status: str) -> CustomerStatus:
    """Return how a status reads to a customer (no internal routing words like "triaged")."""
    return _CUSTOMER_STATUS.get(status, CustomerStatus("We're working on it", "working"))


def reopen_days() -> int:
    """Return how many days after resolution a customer may still reopen (PORTAL_REOPEN_DAYS)."""
    return int(getattr(settings, "PORTAL_REOPEN_DAYS", DEFAULT_REOPEN_DAYS))


def reopen_deadline(ticket: Ticket) -> datetime | None:
    """Return until when a resolved ticket may be reopened, or None when it is not resolved."""
    if ticket.status != TicketStatus.RESOLVED or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=reopen_days())


def may_reopen(ticket: Ticket, *, now: datetime) -> bool:
    """Return whether the customer may reopen the ticket: resolved, and within the window."""
    deadline = reopen_deadline(ticket)
    return deadline is not None and now <= deadline


def may_close(ticket: Ticket) -> bool:
    """Return whether the customer may close the ticket (any open or resolved ticket)."""
    return ticket.status in OPEN_STATUSES or ticket.status == TicketStatus.RESOLVED


def may_reply(ticket: Ticket, *, now: datetime) -> bool:
    """Return whether the customer may reply; a reply to a resolved ticket reopens it, so the
    reopen window applies."""
    if ticket.status == TicketStatus.RESOLVED:
        return may_reopen(ticket, now=now)
    return ticket.status != TicketStatus.CLOSED


def organization_tab_available(user: User) -> bool:
    """Return whether the user sees their organization's tickets (it shares them among members)."""
    organization = user.organization
    return organization is not None and organization.members_see_each_other


def portal_ticket_list(user: User, *, scope: str) -> QuerySet[Ticket]:
    """Return the tickets of one portal tab, most recently updated first.

    `scope` "mine": tickets the user requested; "organization": colleagues' tickets the user
    may see (none unless the organization shares).
    """
    tickets = (
        selectors.ticket_list_visible_to(user)
        .select_related(None)
        .prefetch_related(None)
        .only("id", "subject", "status", "updated_at", "requester_id")
        .order_by("-updated_at", "-id")
    )
    if scope == "organization":
        if not organization_tab_available(user):
            return tickets.none()
        return tickets.exclude(requester_id=user.pk)
    return tickets.filter(requester_id=user.pk)


def portal_categories(user: User) -> QuerySet[Category]:
    """Return the top-level categories a customer may file under."""
    return selectors.category_list_visible_to(user).filter(parent__isnull=True).order_by("name")


@dataclass(frozen=True)
class ResponsePromise:
    """When we aim to reply: the running reply clock's target and due instant."""

    target: timedelta
    business_hours: bool
    due_at: datetime

    @property
    def target_words(self) -> str:
        return describe_target(self.target, business_hours=self.business_hours)


def describe_target(target: timedelta, *, business_hours: bool) -> str:
    """Return a target as a customer reads it: '15 minutes', '4 business hours', '1 hour'."""
    minutes = int(target.total_seconds() // 60)
    qualifier = "business " if business_hours else ""
    if minutes < 60 or minutes % 60:
        return f"{minutes} {qualifier}minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} {qualifier}hour{'s' if hours != 1 else ''}"


_REPLY_METRICS = (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_REPLY)


def response_promise(ticket: Ticket, *, now: datetime) -> ResponsePromise | None:
    """Return the reply we owe the customer, or None when no reply clock is running.

    The target is the ticket's pinned SLA policy cell for its priority and the organization's
    tier; the due instant accounts for business hours and pauses so far. A ticket waiting on
    the customer promises nothing: the next move is theirs.
    """
    if ticket.status == TicketStatus.PENDING or ticket.status not in OPEN_STATUSES:
        return None
    overview = ticket_sla_overview(ticket=ticket, is_agent=False, now=now, latest_periods_only=True)
    running = [
        clock
        for clock in overview.clocks
        if clock.clock.metric in _REPLY_METRICS and clock.state == ClockState.RUNNING and clock.due_at
    ]
    if not running:
        return None
    soonest = min(running, key=lambda clock: clock.due_at)  # type: ignore[arg-type, return-value]
    calendar = soonest.clock.calendar
    return ResponsePromise(
        target=soonest.target,
        business_hours=calendar is not None and not calendar.is_24_7,
        due_at=soonest.due_at,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class PortalSubmission:
    subject: str
    description: str
    impact: str
    urgency: str
    category: Category | None
    attachments: list[UploadedFile]
    token: str


ATTACHMENTS_NOTE = "Files attached to the request."


def portal_ticket_file(*, requester: User, submission: PortalSubmission) -> tuple[Ticket, bool]:
    """File a customer's ticket (and its attachments) once per form token; return (ticket, created).

    A second submit of the same form returns the ticket the first one created. Attachments go
    on a first public message, in the same transaction: a refused file takes back the ticket.
    Raises DomainError with field errors on invalid input.
    """
    existing = _ticket_of_token(requester, submission.token)
    if existing is not None:
        return existing, False
    try:
        # One write for automation: the attachments' message is part of filing, not a reply.
        with transaction.atomic(), one_write():
            ticket = services.ticket_create(
                requester=requester,
                subject=submission.subject,
                description=submission.description,
                priority=priority_for(impact=submission.impact, urgency=submission.urgency),
                severity=severity_for(impact=submission.impact, urgency=submission.urgency),
                category=submission.category,
                channel="portal",
                source=PORTAL_SOURCE,
                external_id=submission.token,
            )
            if submission.attachments:
                services.message_create(
                    ticket_id=ticket.pk,
                    author=requester,
                    body=ATTACHMENTS_NOTE,
                    attachments=submission.attachments,
                )
    except DomainError as error:
        if "external_id" not in error.field_errors:
            raise
        # A concurrent submit of the same form won the insert: answer with its ticket.
        existing = _ticket_of_token(requester, submission.token)
        if existing is None:
            raise DomainError(
                "Form already used.", field_errors={"__all__": ["This form was already sent. Please reload."]}
            ) from error
        return existing, False
    return ticket, True


def _ticket_of_token(requester: User, token: str) -> Ticket | None:
    return (
        selectors.ticket_list_visible_to(requester)
        .filter(requester_id=requester.pk, source=PORTAL_SOURCE, external_id=token)
        .first()
    )
