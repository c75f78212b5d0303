"""Creating tickets and changing their fields, status, assignment and tier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.exceptions import DomainError, InvalidTransition, PermissionDeniedError
from helpdesk.inserts import insert_rows
from helpdesk.models import SUPPORT_TIER_ORDER, Organization, SupportTier, Team, User
from sla import services as sla_services
from tickets import events, transitions
from tickets.automation.hooks import runs_event_rules
from tickets.models import (
    Category,
    Channel,
    MessageVisibility,
    Priority,
    ProductArea,
    Severity,
    Tag,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tickets.rendering import BodyFormat, render_body, render_markdown
from tickets.services import alerts

EDITABLE_FIELDS = (
    "subject",
    "description",
    "priority",
    "severity",
    "category",
    "product_area",
    "team",
    "assignee",
    "support_tier",
    "tags",
    "status",
)
_FK_FIELDS = ("category", "product_area", "team")


def lock_ticket(ticket_id: int) -> Ticket:
    """Return the ticket row locked for update; raises Ticket.DoesNotExist."""
    return Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)


def _check_assignee(assignee: User | None) -> None:
    if assignee is not None and (not assignee.is_active or not assignee.is_agent):
        raise DomainError(
            "Invalid assignee.", field_errors={"assignee": ["Tickets can only be assigned to active agents."]}
        )


def _check_taxonomy(category: Category | None, product_area: ProductArea | None, tags: Sequence[Tag]) -> None:
    errors: dict[str, list[str]] = {}
    if category is not None and not category.is_active:
        errors["category"] = [f"Category '{category}' is retired."]
    if product_area is not None and not product_area.is_active:
        errors["product_area"] = [f"Product area '{product_area}' is retired."]
    retired = sorted(tag.name for tag in tags if not tag.is_active)
    if retired:
        errors["tags"] = [f"Tag '{name}' is retired." for name in retired]
    if errors:
        raise DomainError("Invalid taxonomy.", field_errors=errors)


def _check_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        raise DomainError("Subject required.", field_errors={"subject": ["A ticket needs a subject."]})
    limit = Ticket._meta.get_field("subject").max_length or 250
    if len(subject) > limit:
        raise DomainError(
            "Subject too long.", field_errors={"subject": [f"A subject has at most {limit} characters."]}
        )
    return subject


def _check_choices(values: Mapping[str, Any]) -> None:
    # The database column only bounds the length; an unknown priority would break SLA policy lookups.
    choices = {
        "priority": Priority.values,
        "severity": Severity.values,
        "channel": Channel.values,
        "support_tier": SupportTier.values,
    }
    errors = {
        field: [f"'{values[field]}' is not a valid {field.replace('_', ' ')}."]
        for field, allowed in choices.items()
        if field in values and values[field] not in allowed
    }
    if errors:
        raise DomainError("Invalid choice.", field_errors=errors)


@transaction.atomic
@runs_event_rules  # automation: event rules run after the write, in its transaction
def ticket_create(
    *,
    requester: User,
    subject: str,
    description: str = "",
    actor: User | None = None,
    organization: Organization | None = None,
    priority: str = Priority.P3,
    severity: str = Severity.SEV4,
    category: Category | None = None,
    product_area: ProductArea | None = None,
    tags: Sequence[Tag] = (),
    channel: str = Channel.PORTAL,
    team: Team | None = None,
    assignee: User | None = None,
    support_tier: str | None = None,
    external_id: str = "",
    source: str = "",
    created_at: datetime | None = None,
    description_format: str = BodyFormat.MARKDOWN,
) -> Ticket:
    """Open a ticket and record its CREATED event (and the assignment, when one is given).

    `created_at` backdates the ticket and its events, for imports. Raises DomainError on
    invalid input and Conflict-free DomainError when (source, external_id) is already taken.
    `description_format` "text" keeps a plain-text description (an e-mail's) from being read
    as Markdown.
    """
    subject = _check_subject(subject)
    _check_choices(
        {"priority": priority, "severity": severity, "channel": channel}
        | ({"support_tier": support_tier} if support_tier else {})
    )
    _check_assignee(assignee)
    _check_taxonomy(category, product_area, tags)
    at = created_at or timezone.now()
    ticket = Ticket(
        subject=subject,
        description=description,
        description_html=render_body(description, description_format),
        requester=requester,
        organization=organization if organization is not None else requester.organization,
        priority=priority,
        severity=severity,
        category=category,
        product_area=product_area,
        channel=channel,
        team=team,
        assignee=assignee,
        support_tier=support_tier or (team.default_tier if team else "l1"),
        status=TicketStatus.ASSIGNED if assignee else TicketStatus.NEW,
        external_id=external_id,
        source=source,
        created_at=at,
        updated_at=at,
    )
    try:
        if external_id:
            with transaction.atomic():  # only an import can collide, on (source, external_id)
                insert_rows([ticket])
        else:
            insert_rows([ticket])
    except IntegrityError as error:
        raise DomainError(
            "Duplicate external id.",
            field_errors={
                "external_id": [f"A ticket from '{source}' with external id '{external_id}' exists."]
            },
        ) from error
    if tags:
        through = Ticket.tags.through
        through.objects.bulk_create([through(ticket_id=ticket.pk, tag_id=tag.pk) for tag in {*tags}])
    created_event = events.created(
        ticket,
        actor=actor or requester,
        at=at,
        data={
            "status": ticket.status,
            "priority": ticket.priority,
            "severity": ticket.severity,
            "channel": ticket.channel,
            "requester": requester.pk,
            "organization": ticket.organization_id,
            "team": ticket.team_id,
            "assignee": ticket.assignee_id,
            "category": ticket.category_id,
            "product_area": ticket.product_area_id,
            "support_tier": ticket.support_tier,
            "tags": sorted(tag.name for tag in tags),
            **({"external_id": external_id, "source": source} if external_id else {}),
        },
    )
    sla_services.clocks_replan(
        ticket_id=ticket.pk,
        now=timezone.now(),
        new_ticket=ticket,
        new_ticket_events=[(created_event.kind, created_event.occurred_at, created_event.data)],
    )
    return ticket


def _apply_status(
    ticket: Ticket, target: str, *, actor: User | None, at: datetime, reason: str = "", enforce: bool = True
) -> TicketEvent | None:
    current = ticket.status
    if current == target:
        return None
    if target not in TicketStatus.values:
        raise DomainError("Unknown status.", field_errors={"status": [f"'{target}' is not a status."]})
    if enforce and not transitions.is_allowed(current, target):
        raise InvalidTransition(current, target, transitions.allowed_targets(current))
    if enforce and target == TicketStatus.ASSIGNED and ticket.assignee_id is None:
        # "Assigned" with nobody assigned would sit in no one's queue; assign someone instead.
        raise DomainError(
            "No assignee.", field_errors={"status": ["Assign the ticket to someone to make it assigned."]}
        )
    reopened = transitions.is_reopen(current, target)
    ticket.status = target
    if target == TicketStatus.RESOLVED:
        ticket.resolved_at = at
    elif target == TicketStatus.CLOSED:
        ticket.closed_at = at
    if reopened:
        ticket.resolved_at = None
        ticket.reopened_count += 1
    return events.status_changed(
        ticket, actor=actor, at=at, old=current, new=target, reason=reason, reopened=reopened
    )


def _apply_assignee(
    ticket: Ticket, assignee: User | None, *, actor: User | None, at: datetime
) -> list[TicketEvent]:
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return []
    _check_assignee(assignee)
    old = ticket.assignee_id
    ticket.assignee = assignee
    recorded = [events.assigned(ticket, actor=actor, at=at, old=old, new=assignee.pk if assignee else None)]
    alerts.notify_assigned(ticket, assignee_id=assignee.pk if assignee else None, actor=actor, at=at)
    # Assignment drives the early lifecycle: taking a new ticket makes it assigned, dropping
    # the assignee of an assigned ticket sends it back to triage.
    if assignee and ticket.status in (TicketStatus.NEW, TicketStatus.TRIAGED):
        recorded.append(_apply_status(ticket, TicketStatus.ASSIGNED, actor=actor, at=at))  # type: ignore[arg-type]
    elif assignee is None and ticket.status == TicketStatus.ASSIGNED:
        recorded.append(_apply_status(ticket, TicketStatus.TRIAGED, actor=actor, at=at))  # type: ignore[arg-type]
    return recorded


def _apply_changes(
    ticket: Ticket, changes: Mapping[str, Any], *, actor: User | None, at: datetime
) -> list[TicketEvent]:
    """Apply field changes to a locked ticket, returning the events; the caller saves."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise DomainError(
            "Unknown fields.", field_errors={name: ["This field cannot be changed."] for name in unknown}
        )
    _check_choices(changes)
    _check_taxonomy(changes.get("category"), changes.get("product_area"), changes.get("tags", ()))
    recorded: list[TicketEvent] = []
    for field in ("subject", "description", "priority", "severity", "support_tier"):
        if field not in changes:
            continue
        new = _check_subject(changes[field]) if field == "subject" else changes[field]
        old = getattr(ticket, field)
        if new == old:
            continue
        setattr(ticket, field, new)
        if field == "description":
            ticket.description_html = render_markdown(new)
            # The text itself lives on the ticket; the event records that it changed, not a copy.
            recorded.append(events.field_changed(ticket, actor=actor, at=at, field=field, old=None, new=None))
        else:
            recorded.append(events.field_changed(ticket, actor=actor, at=at, field=field, old=old, new=new))
    for field in _FK_FIELDS:
        if field not in changes:
            continue
        new_obj = changes[field]
        old_id = getattr(ticket, f"{field}_id")
        new_id = new_obj.pk if new_obj is not None else None
        if old_id == new_id:
            continue
        setattr(ticket, field, new_obj)
        recorded.append(events.field_changed(ticket, actor=actor, at=at, field=field, old=old_id, new=new_id))
    if "tags" in changes:
        old_names = sorted(ticket.tags.values_list("name", flat=True))
        new_names = sorted({tag.name for tag in changes["tags"]})
        if old_names != new_names:
            ticket.tags.set(changes["tags"])
            recorded.append(
                events.field_changed(ticket, actor=actor, at=at, field="tags", old=old_names, new=new_names)
            )
    if "assignee" in changes:
        recorded.extend(_apply_assignee(ticket, changes["assignee"], actor=actor, at=at))
    if "status" in changes:
        event = _apply_status(ticket, changes["status"], actor=actor, at=at)
        if event:
            recorded.append(event)
    return recorded


def _save(ticket: Ticket, at: datetime) -> None:
    """Store a changed ticket and re-plan its SLA clocks from the events just written."""
    ticket.updated_at = max(at, ticket.updated_at) if ticket.updated_at else at
    ticket.save()
    sla_services.clocks_replan(ticket_id=ticket.pk, now=timezone.now())


@transaction.atomic
@runs_event_rules  # automation: event rules run after the write, in its transaction
def ticket_update(
    *, ticket_id: int, actor: User | None, changes: Mapping[str, Any], at: datetime | None = None
) -> Ticket:
    """Change any editable fields of a ticket, one event per change, all or nothing.

    Raises InvalidTransition for a forbidden status move and DomainError on invalid values.
    """
    if actor is not None and actor.is_customer:
        raise PermissionDeniedError("Customers cannot edit ticket fields.")
    at = at or timezone.now()
    ticket = lock_ticket(ticket_id)
    if ticket.status == TicketStatus.CLOSED and set(changes) - {"tags"}:
        raise DomainError(
            "Ticket is closed.", field_errors={"status": ["A closed ticket can only be re-tagged."]}
        )
    if _apply_changes(ticket, changes, actor=actor, at=at):
        _save(ticket, at)
    return ticket


@transaction.atomic
@runs_event_rules  # automation: event rules run after the write, in its transaction
def ticket_change_status(
    *, ticket_id: int, to: str, actor: User | None, at: datetime | None = None, reason: str = ""
) -> Ticket:
    """Move a ticket to `to` and record it; moving out of resolved is a reopen.

    Raises InvalidTransition if the workflow forbids the move, PermissionDeniedError when a
    customer tries anything but closing or reopening.
    """
    at = at or timezone.now()
    ticket = lock_ticket(ticket_id)
    if actor is not None and actor.is_customer and not transitions.customer_may_move(ticket.status, to):
        raise PermissionDeniedError("Customers may only close or reopen their tickets.")
    if _apply_status(ticket, to, actor=actor, at=at, reason=reason):
        _save(ticket, at)
    return ticket


@transaction.atomic
@runs_event_rules  # automation: event rules run after the write, in its transaction
def ticket_reopen(*, ticket_id: int, actor: User | None, at: datetime | None = None) -> Ticket:
    """Reopen a resolved ticket into work (in progress when assigned, triaged otherwise).

    Raises DomainError when the ticket is not resolved.
    """
    at = at or timezone.now()
    ticket = lock_ticket(ticket_id)
    if ticket.status != TicketStatus.RESOLVED:
        raise DomainError(
            "Ticket not resolved.", field_errors={"status": ["Only a resolved ticket can be reopened."]}
        )
    target = transitions.reopen_target(has_assignee=ticket.assignee_id is not None)
    if _apply_status(ticket, target, actor=actor, at=at):
        _save(ticket, at)
    return ticket


@transaction.atomic
def ticket_assign(
    *, ticket_id: int, assignee: User | None, actor: User | None, at: datetime | None = None
) -> Ticket:
    """Give the ticket to `assignee` (or nobody) and record it."""
    return ticket_update(ticket_id=ticket_id, actor=actor, changes={"assignee": assignee}, at=at)


HANDOFF_FIELDS = (
    "issue_summary",
    "troubleshooting_done",
    "environment",
    "why_escalating",
    "customer_expectation",
    "next_steps",
)


@transaction.atomic
@runs_event_rules  # automation: event rules run after the write, in its transaction
def ticket_escalate(
    *,
    ticket_id: int,
    actor: User | None,
    handoff: Mapping[str, str],
    to_tier: str | None = None,
    to_team: Team | None = None,
    up: bool = True,
    at: datetime | None = None,
) -> Ticket:
    """Hand a ticket to another tier or team with a structured handoff note.

    Escalating (up=True) raises the tier by one unless `to_tier` says otherwise and sets the
    status to escalated; de-escalating lowers it. The handoff is kept as an internal note.
    Raises DomainError when nothing would change or the handoff lacks a summary.
    """
    if actor is not None and actor.is_customer:
        raise PermissionDeniedError("Customers cannot escalate tickets.")
    ticket = lock_ticket(ticket_id)
    moved_team = to_team is not None and to_team.pk != ticket.team_id
    at = at or timezone.now()
    ticket_escalate_locked(
        ticket, actor=actor, handoff=handoff, to_tier=to_tier, to_team=to_team, up=up, at=at
    )
    if up and moved_team and to_team is not None:
        alerts.notify_escalated_to_team(ticket, team=to_team, actor=actor, at=at)
    return ticket


def ticket_escalate_locked(
    ticket: Ticket,
    *,
    actor: User | None,
    handoff: Mapping[str, str],
    to_tier: str | None = None,
    to_team: Team | None = None,
    up: bool = True,
    at: datetime | None = None,
    also: Mapping[str, Any] | None = None,
) -> None:
    """ticket_escalate on a ticket the caller has already locked, inside the caller's transaction.

    For the SLA escalator, which locks a whole batch of tickets at once. `also` holds more field
    changes to record and save with the escalation (a raised priority).
    """
    from tickets.services.messages import insert_message

    at = at or timezone.now()
    if not (handoff.get("issue_summary") or "").strip():
        raise DomainError(
            "Handoff incomplete.", field_errors={"issue_summary": ["Summarise the issue for the next tier."]}
        )
    if not ticket.is_open:
        raise DomainError(
            "Ticket not open.", field_errors={"status": ["Only open tickets can be escalated."]}
        )
    index = SUPPORT_TIER_ORDER.index(ticket.support_tier) if ticket.support_tier in SUPPORT_TIER_ORDER else 0
    if to_tier is None:
        step = 1 if up else -1
        to_tier = SUPPORT_TIER_ORDER[min(max(index + step, 0), len(SUPPORT_TIER_ORDER) - 1)]
    if to_tier == ticket.support_tier and (to_team is None or to_team.pk == ticket.team_id):
        raise DomainError(
            "Nothing to change.", field_errors={"to_tier": ["The ticket is already at that tier and team."]}
        )
    old_tier, old_team = ticket.support_tier, ticket.team_id
    changes: dict[str, Any] = {**(also or {}), "support_tier": to_tier}
    if to_team is not None:
        changes["team"] = to_team
    _apply_changes(ticket, changes, actor=actor, at=at)
    if (
        up
        and ticket.status != TicketStatus.ESCALATED
        and transitions.is_allowed(ticket.status, TicketStatus.ESCALATED)
    ):
        _apply_status(ticket, TicketStatus.ESCALATED, actor=actor, at=at)
    elif not up and ticket.status == TicketStatus.ESCALATED:
        _apply_status(
            ticket,
            TicketStatus.IN_PROGRESS if ticket.assignee_id else TicketStatus.TRIAGED,
            actor=actor,
            at=at,
        )
    clean_handoff = {key: (handoff.get(key) or "").strip() for key in HANDOFF_FIELDS}
    events.escalated(
        ticket,
        actor=actor,
        at=at,
        up=up,
        data={
            "from_tier": old_tier,
            "to_tier": to_tier,
            "from_team": old_team,
            "to_team": ticket.team_id,
            "handoff": clean_handoff,
        },
    )
    titles = {
        "issue_summary": "Issue summary",
        "troubleshooting_done": "Troubleshooting completed",
        "environment": "Environment",
        "why_escalating": "Why escalating" if up else "Why de-escalating",
        "customer_expectation": "Customer expectation",
        "next_steps": "Suggested next steps",
    }
    heading = "Escalation summary" if up else "De-escalation summary"
    body = f"## {heading}\n\n" + "\n\n".join(
        f"### {titles[key]}\n{value}" for key, value in clean_handoff.items() if value
    )
    # The handoff note is written on the ticket already locked here; one save and one re-plan follow.
    insert_message(ticket, author=actor, body=body, visibility=MessageVisibility.INTERNAL, at=at)
    _save(ticket, at)


def ticket_note_locked(
    ticket: Ticket, *, body: str, at: datetime, also: Mapping[str, Any] | None = None
) -> None:
    """Write a system internal note, and any field changes in `also`, on a ticket the caller locked; save it."""
    from tickets.services.messages import insert_message

    if also:
        _apply_changes(ticket, also, actor=None, at=at)
    insert_message(ticket, author=None, body=body, visibility=MessageVisibility.INTERNAL, at=at)
    _save(ticket, at)
