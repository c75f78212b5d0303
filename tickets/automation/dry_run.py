"""Trying a rule on the latest tickets before switching it on. Reads only: it writes nothing.

The rule (saved or a draft from the editor) is matched against snapshots of the latest 100
tickets as they are now — for an event rule under each trigger it listens to, for a time rule
as the minute sweep would see them — and each match lists what the rule would do, in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.models import Team, User, WebhookEventType
from helpdesk.webhooks import selectors as webhook_selectors
from tickets.automation import actions as action_spec
from tickets.automation import conditions
from tickets.automation.models import RuleKind
from tickets.automation.selectors import DRY_RUN_TICKETS, dry_run_ticket_ids, snapshots_for
from tickets.models import CannedResponse, Category, ProductArea, Ticket


@dataclass(frozen=True)
class DryRunRow:
    ticket_id: int
    subject: str
    status: str
    matched_triggers: tuple[str, ...]  # empty: the rule would not fire

    @property
    def matched(self) -> bool:
        return bool(self.matched_triggers)


@dataclass(frozen=True)
class DryRunResult:
    rows: Sequence[DryRunRow]
    actions: Sequence[str]  # what a firing does, in words

    @property
    def matched(self) -> list[DryRunRow]:
        return [row for row in self.rows if row.matched]


def action_names(actions: Sequence[action_spec.Action]) -> dict[tuple[str, Any], str]:
    """Return display names for every row the actions name (one query per kind of row used)."""
    refs = action_spec.references(actions)
    names: dict[tuple[str, Any], str] = {}
    if refs.categories:
        for category in Category.objects.select_related("parent").filter(pk__in=refs.categories):
            names[("category", category.pk)] = category.path
    if refs.product_areas:
        names.update(
            (("product_area", pk), name)
            for pk, name in ProductArea.objects.filter(pk__in=refs.product_areas).values_list("pk", "name")
        )
    if refs.teams:
        names.update(
            (("team", pk), name)
            for pk, name in Team.objects.filter(pk__in=refs.teams).values_list("pk", "name")
        )
    if refs.users:
        names.update((("assignee", user.pk), str(user)) for user in User.objects.filter(pk__in=refs.users))
    if refs.webhooks:
        names.update(
            (("webhook", pk), f"“{subscription.name}”")
            for pk, subscription in webhook_selectors.subscriptions_get(refs.webhooks).items()
        )
    if refs.canned_responses:
        names.update(
            (("canned_response", pk), title)
            for pk, title in CannedResponse.objects.filter(pk__in=refs.canned_responses).values_list(
                "pk", "title"
            )
        )
    return names


def rule_dry_run(
    *,
    kind: str,
    triggers: Sequence[str],
    conditions_json: Any,
    actions_json: Any,
    now: datetime,
    limit: int = DRY_RUN_TICKETS,
) -> DryRunResult:
    """Return which of the latest `limit` tickets the rule matches and what it would do.

    Raises conditions.RuleFormatError when the draft is not valid. Writes nothing.
    """
    group = conditions.parse(conditions_json)
    actions = action_spec.parse(actions_json)
    ids = dry_run_ticket_ids(limit)
    fields = conditions.fields_used([group])
    tried = ["time"] if kind == RuleKind.TIME else list(triggers) or ["created"]
    matched: dict[int, list[str]] = {pk: [] for pk in ids}
    for trigger in tried:
        for pk, snapshot in snapshots_for(ids, now=now, trigger=trigger, fields=fields).items():
            if conditions.matches(group, snapshot):
                matched[pk].append(trigger)
    info = {
        pk: (subject, status)
        for pk, subject, status in Ticket.objects.filter(pk__in=ids).values_list("pk", "subject", "status")
    }
    rows = [DryRunRow(pk, info[pk][0], info[pk][1], tuple(matched[pk])) for pk in ids if pk in info]
    names = action_names(actions)
    return DryRunResult(rows=rows, actions=[_what_would_happen(action, names) for action in actions])


def _what_would_happen(action: action_spec.Action, names: dict[tuple[str, Any], str]) -> str:
    """Describe the action; for a webhook call, what would be sent where (a dry run sends nothing)."""
    described = action_spec.describe(action, names)
    if not isinstance(action, action_spec.Webhook):
        return described
    event_type = WebhookEventType.AUTOMATION_RULE_FIRED
    subscription = webhook_selectors.subscriptions_get([action.endpoint]).get(action.endpoint)
    problem = webhook_selectors.automation_endpoint_problem(subscription, event_type)
    if subscription is None or problem:
        return f"{described}: would not be sent. {problem}"
    return (
        f"{described}: would POST a signed {event_type} (the rule, the ticket, what set it off) "
        f"to {subscription.url}; nothing is sent in a dry run"
    )
