"""Writing automation rules: create, edit, order, switch on and off, delete. Managers and admins only.

Conditions and actions are validated (tickets/automation/conditions.py and actions.py) and stored
in their normalised form; every row they name must exist. New rules start switched off, so they
can be dry-run against the latest tickets first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import STAFF_ROLES, Team, User, WebhookEventType
from helpdesk.webhooks import selectors as webhook_selectors
from tickets.automation import actions as action_spec
from tickets.automation import conditions
from tickets.automation.models import AutomationRule, RuleKind, RuleTrigger
from tickets.models import CannedResponse, Category, ProductArea, Tag

RULE_MANAGERS = ("manager", "admin")


def _check_manager(actor: User) -> None:
    if actor.role not in RULE_MANAGERS:
        raise PermissionDeniedError("Only managers and admins manage automation rules.")


WEBHOOK_EVENT_OF = {
    "rule": WebhookEventType.AUTOMATION_RULE_FIRED,
    "macro": WebhookEventType.AUTOMATION_MACRO_APPLIED,
}


def _webhooks_check(actions: Sequence[action_spec.Action], *, source: str, actor: User | None) -> list[str]:
    """Return errors for webhook actions: each must name an active webhook that accepts the call
    (automation.rule_fired for rules, automation.macro_applied for macros), added by someone who
    may see webhooks (managers and admins)."""
    named = {
        index: action.endpoint
        for index, action in enumerate(actions)
        if isinstance(action, action_spec.Webhook)
    }
    if not named:
        return []
    if actor is not None and not webhook_selectors.webhooks_can_read(actor):
        return [f"actions[{index}].endpoint: Only managers and admins add webhook calls." for index in named]
    problems = webhook_selectors.automation_endpoint_problems(set(named.values()), WEBHOOK_EVENT_OF[source])
    return [
        f"actions[{index}].endpoint: {problems[endpoint]}"
        for index, endpoint in named.items()
        if endpoint in problems
    ]


def references_check(
    actions: Sequence[action_spec.Action], *, source: str = "rule", actor: User | None = None
) -> dict[str, list[str]]:
    """Return errors for rows the actions name that do not exist (or may not be used).

    `source` is "rule" or "macro" (which webhook event type a webhook action sends); `actor`,
    when given, must be allowed to name webhooks.
    """
    refs = action_spec.references(actions)
    errors: list[str] = []

    def missing(model: Any, ids: frozenset[int], what: str, **filters: Any) -> None:
        found = set(model.objects.filter(pk__in=ids, **filters).values_list("pk", flat=True))
        errors.extend(
            f"{what} #{pk} does not exist{' or is retired' if filters else ''}." for pk in sorted(ids - found)
        )

    missing(Category, refs.categories, "Category", is_active=True)
    missing(ProductArea, refs.product_areas, "Product area", is_active=True)
    missing(Team, refs.teams, "Team")
    missing(User, refs.users, "Active agent", is_active=True, role__in=STAFF_ROLES)
    missing(CannedResponse, refs.canned_responses, "Canned response", is_active=True)
    if refs.tags:
        known = set(Tag.objects.filter(name__in=refs.tags, is_active=True).values_list("name", flat=True))
        errors.extend(f"Tag '{name}' does not exist or is retired." for name in sorted(refs.tags - known))
    errors.extend(_webhooks_check(actions, source=source, actor=actor))
    return {"actions": errors} if errors else {}


def rule_validate(
    *, kind: str, triggers: Sequence[str], conditions_json: Any, actions_json: Any
) -> tuple[list[str], dict[str, Any], list[dict[str, Any]]]:
    """Return (triggers, conditions, actions) normalised; raises DomainError naming every problem."""
    errors: dict[str, list[str]] = {}
    if kind not in RuleKind.values:
        errors["kind"] = [f"'{kind}' is not a rule kind."]
    wanted = list(dict.fromkeys(triggers))
    if kind == RuleKind.EVENT:
        unknown = [name for name in wanted if name not in RuleTrigger.values]
        if unknown or not wanted:
            errors["triggers"] = [f"Pick one or more of: {', '.join(RuleTrigger.values)}."]
    else:
        wanted = []
    group: conditions.Group | None = None
    parsed_actions: tuple[action_spec.Action, ...] = ()
    try:
        group = conditions.parse(conditions_json)
    except conditions.RuleFormatError as error:
        errors["conditions"] = [
            f"{path}: {message}" for path, messages in error.errors.items() for message in messages
        ]
    try:
        parsed_actions = action_spec.parse(actions_json)
    except conditions.RuleFormatError as error:
        errors["actions"] = [
            f"{path}: {message}" for path, messages in error.errors.items() for message in messages
        ]
    if group is not None and kind == RuleKind.TIME and not conditions.required_time_conditions(group):
        errors.setdefault("conditions", []).append(
            'A time rule needs a time condition in its top-level "all" list, such as '
            '{"field": "hours_since_updated", "operator": "gt", "value": 24}.'
        )
    if "actions" not in errors:
        for key, messages in references_check(parsed_actions).items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise DomainError("Invalid rule.", field_errors=errors)
    assert group is not None
    return wanted, conditions.to_json(group), action_spec.to_json(parsed_actions)


def _check_name(name: str, *, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise DomainError("Name required.", field_errors={"name": ["Give the rule a name."]})
    clash = AutomationRule.objects.filter(name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise DomainError("Name taken.", field_errors={"name": [f"A rule named '{name}' exists."]})
    return name


@transaction.atomic
def rule_create(
    *,
    actor: User,
    name: str,
    kind: str,
    conditions_json: Any,
    actions_json: Any,
    triggers: Sequence[str] = (),
    description: str = "",
    stop_processing: bool = False,
    is_active: bool = False,
) -> AutomationRule:
    """Add a rule at the end of the order (switched off unless `is_active`)."""
    _check_manager(actor)
    name = _check_name(name)
    wanted, cleaned_conditions, cleaned_actions = rule_validate(
        kind=kind, triggers=triggers, conditions_json=conditions_json, actions_json=actions_json
    )
    last = AutomationRule.objects.select_for_update().aggregate(last=Max("position"))["last"] or 0
    now = timezone.now()
    return AutomationRule.objects.create(
        name=name,
        description=description,
        kind=kind,
        triggers=wanted,
        conditions=cleaned_conditions,
        actions=cleaned_actions,
        stop_processing=stop_processing,
        is_active=is_active,
        position=last + 1,
        created_by=actor,
        updated_by=actor,
        created_at=now,
        updated_at=now,
    )


@transaction.atomic
def rule_update(*, rule_id: int, actor: User, changes: Mapping[str, Any]) -> AutomationRule:
    """Change a rule's name, description, kind, triggers, conditions, actions or stop flag."""
    _check_manager(actor)
    rule = AutomationRule.objects.select_for_update().get(pk=rule_id)
    allowed = {
        "name",
        "description",
        "kind",
        "triggers",
        "conditions",
        "actions",
        "stop_processing",
        "is_active",
    }
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise DomainError(
            "Unknown fields.", field_errors={name: ["This field cannot be changed."] for name in unknown}
        )
    if "name" in changes:
        rule.name = _check_name(changes["name"], exclude=rule.pk)
    rule.triggers, rule.conditions, rule.actions = rule_validate(
        kind=changes.get("kind", rule.kind),
        triggers=changes.get("triggers", rule.triggers),
        conditions_json=changes.get("conditions", rule.conditions),
        actions_json=changes.get("actions", rule.actions),
    )
    for field in ("description", "kind", "stop_processing", "is_active"):
        if field in changes:
            setattr(rule, field, changes[field])
    rule.updated_by, rule.updated_at = actor, timezone.now()
    rule.save()
    return rule


@transaction.atomic
def rule_set_active(*, rule_id: int, is_active: bool, actor: User) -> AutomationRule:
    """Switch a rule on or off."""
    _check_manager(actor)
    rule = AutomationRule.objects.select_for_update().get(pk=rule_id)
    rule.is_active, rule.updated_by, rule.updated_at = is_active, actor, timezone.now()
    rule.save(update_fields=["is_active", "updated_by", "updated_at"])
    return rule


@transaction.atomic
def rule_move(*, rule_id: int, direction: str, actor: User) -> None:
    """Move a rule one place up or down in the run order (positions are renumbered 1…n)."""
    _check_manager(actor)
    if direction not in ("up", "down"):
        raise DomainError("Unknown direction.", field_errors={"direction": ["Move up or down."]})
    rules = list(AutomationRule.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, rule in enumerate(rules) if rule.pk == rule_id), None)
    if index is None:
        raise AutomationRule.DoesNotExist(f"No rule {rule_id}.")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for position, rule in enumerate(rules, start=1):
        if rule.position != position:
            AutomationRule.objects.filter(pk=rule.pk).update(position=position)


@transaction.atomic
def rule_delete(*, rule_id: int, actor: User) -> None:
    """Delete a rule; its past firings stay in the tickets' event logs (by id and name)."""
    _check_manager(actor)
    AutomationRule.objects.filter(pk=rule_id).delete()
