"""Macros: a named reply with {{ placeholders }} plus actions, applied by an agent in one step.

Applying one is all or nothing: the reply (or note) and every action commit together, or, when
the ticket refuses an action, nothing is written and the agent sees why. The actions are the
rules' vocabulary (tickets/automation/actions.py) performed as the agent; a MACRO_APPLIED event
records what each did. Personal macros belong to their owner; shared macros (for everyone or
one team) are written by team leads, managers and admins.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import Team, User
from tickets import events
from tickets.automation import actions as action_spec
from tickets.automation import conditions
from tickets.automation.executor import Performer, perform
from tickets.automation.hooks import runs_event_rules
from tickets.automation.models import Macro
from tickets.automation.placeholders import render, unknown_placeholders
from tickets.automation.selectors import macro_list_manageable_by, macro_list_visible_to, placeholder_values
from tickets.models import MessageVisibility, Ticket
from tickets.services.automation import references_check
from tickets.services.core import lock_ticket
from tickets.services.messages import message_create

SHARING_ROLES = ("team_lead", "manager", "admin")


def _clean(
    *, actor: User, name: str, body: str, visibility: str, actions_json: Any
) -> tuple[str, list[dict[str, Any]]]:
    errors: dict[str, list[str]] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = ["Give the macro a name."]
    unknown = unknown_placeholders(body)
    if unknown:
        errors["body"] = [f"Unknown placeholder {{{{ {unknown[0]} }}}}."]
    if visibility not in MessageVisibility.values:
        errors["visibility"] = [f"'{visibility}' is not a visibility."]
    parsed: tuple[action_spec.Action, ...] = ()
    try:
        parsed = action_spec.parse(actions_json, allow_empty=True)
    except conditions.RuleFormatError as error:
        errors["actions"] = [
            f"{path}: {message}" for path, messages in error.errors.items() for message in messages
        ]
    else:
        for key, messages in references_check(parsed, source="macro", actor=actor).items():
            errors.setdefault(key, []).extend(messages)
    if not body.strip() and not parsed and "actions" not in errors:
        errors["body"] = ["Give a reply text, actions, or both."]
    if errors:
        raise DomainError("Invalid macro.", field_errors=errors)
    return name, action_spec.to_json(parsed)


def _check_sharing(actor: User, *, shared: bool, team: Team | None) -> None:
    if not actor.is_agent:
        raise PermissionDeniedError("Only agents use macros.")
    if (shared or team is not None) and actor.role not in SHARING_ROLES:
        raise PermissionDeniedError("Only team leads, managers and admins share macros.")


@transaction.atomic
def macro_create(
    *,
    actor: User,
    name: str,
    body: str = "",
    visibility: str = MessageVisibility.PUBLIC,
    actions_json: Any = (),
    shared: bool = False,
    team: Team | None = None,
) -> Macro:
    """Create a macro: personal (owned by `actor`) unless `shared`, then for everyone or `team`."""
    _check_sharing(actor, shared=shared, team=team)
    name, cleaned = _clean(
        actor=actor, name=name, body=body, visibility=visibility, actions_json=list(actions_json)
    )
    now = timezone.now()
    return Macro.objects.create(
        name=name,
        body=body,
        visibility=visibility,
        actions=cleaned,
        owner=None if shared else actor,
        team=team if shared else None,
        created_at=now,
        updated_at=now,
    )


@transaction.atomic
def macro_update(*, macro_id: int, actor: User, changes: Mapping[str, Any]) -> Macro:
    """Change a macro the actor may manage: name, body, visibility, actions, team, is_active."""
    macro = macro_list_manageable_by(actor).select_for_update(of=("self",)).get(pk=macro_id)
    allowed = {"name", "body", "visibility", "actions", "team", "is_active"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise DomainError(
            "Unknown fields.", field_errors={name: ["This field cannot be changed."] for name in unknown}
        )
    name, cleaned = _clean(
        actor=actor,
        name=changes.get("name", macro.name),
        body=changes.get("body", macro.body),
        visibility=changes.get("visibility", macro.visibility),
        actions_json=changes.get("actions", macro.actions),
    )
    macro.name, macro.actions = name, cleaned
    macro.body = changes.get("body", macro.body)
    macro.visibility = changes.get("visibility", macro.visibility)
    macro.is_active = changes.get("is_active", macro.is_active)
    if macro.is_shared and "team" in changes:
        macro.team = changes["team"]
    macro.updated_at = timezone.now()
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, macro_id: int, actor: User) -> None:
    """Delete a macro the actor may manage."""
    macro_list_manageable_by(actor).get(pk=macro_id).delete()


@transaction.atomic
@runs_event_rules  # automation: event rules run after the write, in its transaction
def macro_apply(
    *, macro_id: int, ticket_id: int, actor: User, body: str | None = None, at: datetime | None = None
) -> Ticket:
    """Post the macro's text (placeholders filled, or `body` as the agent edited it) and perform its actions.

    All or nothing: raises DomainError (nothing written) when the ticket refuses an action,
    Macro.DoesNotExist when the actor may not use the macro.
    """
    if not actor.is_agent:
        raise PermissionDeniedError("Only agents apply macros.")
    macro = macro_list_visible_to(actor).get(pk=macro_id)
    at = at or timezone.now()
    lock_ticket(ticket_id)
    ticket = Ticket.objects.select_related("requester", "organization", "team", "assignee").get(pk=ticket_id)
    text = render(macro.body if body is None else body, placeholder_values(ticket, agent=actor))
    message_id = None
    if text.strip():
        message = message_create(
            ticket_id=ticket_id, author=actor, body=text, visibility=macro.visibility, at=at
        )
        message_id = message.pk
    performer = Performer(
        actor=actor,
        source=f"macro:{macro.pk}",
        label=macro.name,
        at=at,
        trigger={"event": "macro_applied", "message_id": message_id},
        firing_key=f"macro:{macro.pk}:ticket:{ticket_id}:at:{at.isoformat()}",
    )
    outcomes = [
        perform(action, ticket_id=ticket_id, performer=performer, position=position)
        for position, action in enumerate(action_spec.parse(macro.actions, allow_empty=True))
    ]
    ticket = Ticket.objects.get(pk=ticket_id)
    events.macro_applied(
        ticket,
        actor=actor,
        at=at,
        data={
            "macro_id": macro.pk,
            "macro_name": macro.name,
            "message_id": message_id,
            "actions": [outcome.as_json() for outcome in outcomes],
        },
    )
    return ticket
