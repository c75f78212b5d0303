"""Performing actions of rules and macros, each through the tickets services.

Every change goes through the same service an agent's click would call (ticket_update,
ticket_escalate, message_create, ticket_route…), so each writes its own events and re-plans the
SLA clocks. The caller holds the transaction (and a savepoint per rule, so a refused action
takes back only its own rule's changes). Rules act as the system (actor None, system-authored
notes and automatic replies); macros act as the agent who applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from helpdesk import selectors as helpdesk_selectors
from helpdesk import services as helpdesk_services
from helpdesk.exceptions import DomainError
from helpdesk.models import STAFF_ROLES, NotificationKind, Team, User
from tickets.automation import actions as spec
from tickets.automation.placeholders import render
from tickets.automation.selectors import placeholder_values
from tickets.models import CannedResponse, Category, MessageVisibility, ProductArea, Tag, Ticket


@dataclass(frozen=True)
class Performer:
    """Who acts and on whose behalf: a rule (actor None) or a macro (the agent)."""

    actor: User | None
    source: str  # "rule:12" or "macro:3": names the cause of notifications
    label: str  # the rule's or macro's name, for handoff notes
    at: datetime
    # What set the rule off ({"event": "created", "ticket_event_ids": [...]}, {"event": "time",
    # "period_start": …}), sent with webhook calls; and the key naming this firing, so a webhook
    # action enqueued twice for it (a re-run, a retried write) is sent once.
    trigger: Mapping[str, Any] = field(default_factory=dict)
    firing_key: str = ""


@dataclass(frozen=True)
class Outcome:
    type: str
    result: str
    changed: bool
    failed: bool = False  # the action could not be done; the rest of the rule or macro still was

    def as_json(self) -> dict[str, Any]:
        if self.failed:
            return {"type": self.type, "result": self.result, "failed": True}
        return {"type": self.type, "result": self.result}


def webhook_sender() -> Callable[..., Any]:
    """Return helpdesk's one-off webhook call: `webhook_automation_call(*, subscription_id, source,
    source_id, name, ticket_id, trigger, actor, dedupe_key, now)`.

    It enqueues one signed POST in the caller's transaction (sent by the delivery task after
    commit), once per `dedupe_key`, and raises WebhookEndpointUnavailable when the webhook is
    gone, off or does not accept automation calls. Imported on use: helpdesk.webhooks reads
    tickets' selectors.
    """
    from helpdesk.webhooks.services import webhook_automation_call

    return webhook_automation_call


def _load(ticket_id: int) -> Ticket:
    return Ticket.objects.select_related("requester", "organization", "team", "assignee").get(pk=ticket_id)


def _row(model: type[Any], pk: int | None, what: str) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise DomainError(
            f"{what} #{pk} no longer exists.", field_errors={"actions": [f"{what} #{pk} is gone."]}
        )
    return found


def _agent(pk: int | None) -> User | None:
    user = _row(User, pk, "User")
    if user is not None and (not user.is_active or user.role not in STAFF_ROLES):
        raise DomainError(
            "Not an active agent.", field_errors={"actions": [f"User #{pk} is not an active agent."]}
        )
    return user


def _tags(names: tuple[str, ...]) -> list[Tag]:
    found = list(Tag.objects.filter(name__in=names))
    missing = sorted(set(names) - {tag.name for tag in found})
    if missing:
        raise DomainError(
            "Unknown tags.", field_errors={"actions": [f"Tag '{name}' does not exist." for name in missing]}
        )
    return found


def _text(template: str, ticket_id: int, performer: Performer) -> str:
    return render(template, placeholder_values(_load(ticket_id), agent=performer.actor))


def _message(ticket_id: int, performer: Performer, body: str, *, public: bool) -> str:
    from tickets import services

    message = services.message_create(
        ticket_id=ticket_id,
        author=performer.actor,
        body=body,
        visibility=MessageVisibility.PUBLIC if public else MessageVisibility.INTERNAL,
        is_automatic=public and performer.actor is None,
        at=performer.at,
    )
    return f"message {message.pk}"


def _set(action: spec.SetField, ticket_id: int, performer: Performer) -> Outcome:
    from tickets import services

    value: Any = action.value
    if action.field == "category":
        value = _row(Category, action.value, "Category")
    elif action.field == "product_area":
        value = _row(ProductArea, action.value, "Product area")
    elif action.field == "team":
        value = _row(Team, action.value, "Team")
    elif action.field == "assignee":
        value = _agent(action.value)
    column = action.field if action.field in spec.CHOICE_FIELDS else f"{action.field}_id"
    before = Ticket.objects.filter(pk=ticket_id).values_list(column, flat=True).first()
    ticket = services.ticket_update(
        ticket_id=ticket_id, actor=performer.actor, changes={action.field: value}, at=performer.at
    )
    changed = getattr(ticket, column) != before
    return Outcome(
        "set", f"{action.field} → {action.value}" if changed else f"{action.field} unchanged", changed
    )


def _retag(action: spec.AddTags | spec.RemoveTags, ticket_id: int, performer: Performer) -> Outcome:
    from tickets import services

    kind = "add_tags" if isinstance(action, spec.AddTags) else "remove_tags"
    named = _tags(action.tags) if isinstance(action, spec.AddTags) else []
    current = list(services.lock_ticket(ticket_id).tags.all())
    if isinstance(action, spec.AddTags):
        wanted = [*current, *(tag for tag in named if tag.pk not in {t.pk for t in current})]
    else:
        wanted = [tag for tag in current if tag.name not in action.tags]
    if {tag.pk for tag in wanted} == {tag.pk for tag in current}:
        return Outcome(kind, "unchanged", False)
    services.ticket_update(
        ticket_id=ticket_id, actor=performer.actor, changes={"tags": wanted}, at=performer.at
    )
    return Outcome(kind, ", ".join(sorted(tag.name for tag in wanted)) or "no tags", True)


def _notify(action: spec.Notify, ticket_id: int, performer: Performer) -> Outcome:
    ticket = _load(ticket_id)
    recipients: set[int | None] = set()
    if "assignee" in action.to:
        recipients.add(ticket.assignee_id)
    if ticket.team is not None and "team_lead" in action.to:
        recipients.add(ticket.team.lead_id)
    if ticket.team is not None and "team" in action.to:
        recipients.update(ticket.team.members.filter(is_active=True).values_list("pk", flat=True))
    if "managers" in action.to:
        recipients.update(helpdesk_selectors.manager_ids())
    recipients.discard(None)
    if performer.actor is not None:
        recipients.discard(performer.actor.pk)
    if not recipients:
        return Outcome("notify", "nobody to notify", False)
    title = render(action.message, placeholder_values(ticket, agent=performer.actor))
    helpdesk_services.notifications_create(
        recipient_ids=sorted(pk for pk in recipients if pk is not None),
        kind=NotificationKind.AUTOMATION,
        source=f"automation.{performer.source}:{ticket_id}:{performer.at.isoformat()}",
        title=f"#{ticket_id}: {title}",
        ticket_id=ticket_id,
        now=performer.at,
    )
    return Outcome("notify", f"{len(recipients)} notified", False)


def _webhook(action: spec.Webhook, ticket_id: int, performer: Performer, position: int) -> Outcome:
    """Enqueue the webhook call; a webhook that is gone or off is a failed action, not a refusal:
    it does not undo what the rule or macro did to the ticket."""
    from helpdesk.webhooks.services import WebhookEndpointUnavailable

    kind, _, source_id = performer.source.partition(":")
    firing = performer.firing_key or f"{performer.source}:ticket:{ticket_id}:at:{performer.at.isoformat()}"
    try:
        delivery = webhook_sender()(
            subscription_id=action.endpoint,
            source=kind,
            source_id=int(source_id),
            name=performer.label,
            ticket_id=ticket_id,
            trigger=performer.trigger,
            actor=performer.actor,
            dedupe_key=f"{firing}:action:{position}",
            now=performer.at,
        )
    except WebhookEndpointUnavailable as unavailable:
        return Outcome("webhook", f"not sent: {unavailable.message}", False, failed=True)
    if delivery is None:
        return Outcome("webhook", f"webhook #{action.endpoint}: already queued for this firing", False)
    return Outcome("webhook", f"webhook #{action.endpoint}: delivery {delivery.uuid} queued", False)


def perform(action: spec.Action, *, ticket_id: int, performer: Performer, position: int = 0) -> Outcome:
    """Carry out one action on the ticket; raises DomainError when the ticket refuses it.

    `position` is the action's index in its rule or macro (it tells two webhook calls apart).
    """
    from tickets import services
    from tickets.services.routing import ticket_route

    if isinstance(action, spec.SetField):
        return _set(action, ticket_id, performer)
    if isinstance(action, spec.AddTags | spec.RemoveTags):
        return _retag(action, ticket_id, performer)
    if isinstance(action, spec.Route):
        team = _row(Team, action.team, "Team")
        decision = ticket_route(ticket_id=ticket_id, team=team, actor=performer.actor, now=performer.at)
        if decision is None:
            return Outcome(
                "route", "moved; the team assigns manually" if team else "no routing", team is not None
            )
        who = f"assigned to user {decision.user_id}" if decision.user_id else "left unassigned"
        return Outcome("route", f"{who}: {decision.reason}", True)
    if isinstance(action, spec.Assign):
        ticket = services.ticket_assign(
            ticket_id=ticket_id, assignee=_agent(action.user), actor=performer.actor, at=performer.at
        )
        return Outcome("assign", f"assignee → {ticket.assignee_id}", True)
    if isinstance(action, spec.Escalate):
        summary = _text(action.summary, ticket_id, performer) if action.summary else ""
        ticket = services.ticket_escalate(
            ticket_id=ticket_id,
            actor=performer.actor,
            handoff={
                "issue_summary": summary or f"Escalated by “{performer.label}”.",
                "why_escalating": f"Automation: “{performer.label}”.",
            },
            to_tier=action.to_tier,
            to_team=_row(Team, action.team, "Team"),
            at=performer.at,
        )
        return Outcome("escalate", f"tier {ticket.support_tier}, team {ticket.team_id}", True)
    if isinstance(action, spec.Notify):
        return _notify(action, ticket_id, performer)
    if isinstance(action, spec.AddNote):
        return Outcome(
            "add_note",
            _message(ticket_id, performer, _text(action.body, ticket_id, performer), public=False),
            True,
        )
    if isinstance(action, spec.Reply):
        body = action.body
        if action.canned_response is not None:
            canned = CannedResponse.objects.filter(pk=action.canned_response, is_active=True).first()
            if canned is None:
                raise DomainError(
                    "Canned response gone.",
                    field_errors={
                        "actions": [f"Canned response #{action.canned_response} is not available."]
                    },
                )
            body = canned.body
        return Outcome(
            "reply", _message(ticket_id, performer, _text(body, ticket_id, performer), public=True), True
        )
    if isinstance(action, spec.SuggestArticle):
        body = f"Suggested article: [{action.title}]({action.url})"
        return Outcome("suggest_article", _message(ticket_id, performer, body, public=False), True)
    return _webhook(action, ticket_id, performer, position)
