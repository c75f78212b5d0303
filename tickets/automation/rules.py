"""Running automation rules: event rules after a write, time rules every minute.

- Event rules run in the writing transaction (see tickets.automation.hooks), in (position, id)
  order, each at most once per write. After a rule changed the ticket the next rules see the
  change. A rule with `stop_processing` that fired ends the run for that ticket. Changes made
  by rules never trigger event rules again (no loops).
- Time rules are swept every minute (`rules_run_time`). Each time rule must wait on at least one
  time field ("hours since updated > 24", "SLA percent > 75") in its top-level `all` list; the
  sweep reads only tickets past those bounds, not already handled in their current period. A
  RuleFiring row, unique per (rule, ticket, period start), is inserted in the same transaction
  as the actions, so a rule fires once per qualifying period whatever the number of workers.
- Every firing writes a RULE_FIRED ticket event (rule id and name, trigger, what each action
  did). A rule whose action is refused (a forbidden status move, a retired tag) is rolled back
  alone, and its RULE_FIRED event says why.
"""

from __future__ import annotations

import logging
import time as monotonic
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest

from helpdesk.exceptions import DomainError
from sla.models import ClockState, SlaClock
from tickets import events
from tickets.automation import actions as action_spec
from tickets.automation import conditions
from tickets.automation.executor import Outcome, Performer, perform
from tickets.automation.hooks import rules_running
from tickets.automation.models import AutomationRule, RuleFiring, RuleKind
from tickets.automation.selectors import pending_since_subquery, rule_list_active, snapshots_for
from tickets.automation.snapshot import ANCHOR_OF, TicketSnapshot
from tickets.models import AuthorKind, MessageVisibility, Ticket, TicketEvent, TicketEventKind, TicketStatus

logger = logging.getLogger(__name__)

# Events that are automation's own record, never a reason to run rules.
_OWN_KINDS = frozenset({TicketEventKind.RULE_FIRED, TicketEventKind.MACRO_APPLIED, TicketEventKind.ROUTED})
_EVENT_FIELDS = {
    TicketEventKind.STATUS_CHANGED: "status",
    TicketEventKind.ASSIGNED: "assignee",
    TicketEventKind.MESSAGE_ADDED: "message",
    TicketEventKind.ESCALATED: "escalation",
    TicketEventKind.DE_ESCALATED: "escalation",
}


@dataclass(frozen=True)
class ParsedRule:
    rule: AutomationRule
    conditions: conditions.Group
    actions: tuple[action_spec.Action, ...]


_parsed: dict[int, tuple[datetime, ParsedRule]] = {}


def parsed(rule: AutomationRule) -> ParsedRule:
    """Return the rule's parsed conditions and actions (cached per process until it is edited)."""
    cached = _parsed.get(rule.pk)
    if cached is not None and cached[0] == rule.updated_at:
        return ParsedRule(rule, cached[1].conditions, cached[1].actions)
    result = ParsedRule(rule, conditions.parse(rule.conditions), action_spec.parse(rule.actions))
    _parsed[rule.pk] = (rule.updated_at, result)
    return result


# --- what happened ---------------------------------------------------------------------------------


def triggers_of(kinds_and_data: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    """Return what a write did to one ticket, most specific first: created, or customer_replied and
    updated, or updated; [] when it recorded only automation's own events. Pure."""
    kinds = [kind for kind, _ in kinds_and_data if kind not in _OWN_KINDS]
    if not kinds:
        return []
    if TicketEventKind.CREATED in kinds:
        return ["created"]
    replied = any(
        kind == TicketEventKind.MESSAGE_ADDED
        and data.get("author_kind") == AuthorKind.CUSTOMER
        and data.get("visibility") == MessageVisibility.PUBLIC
        for kind, data in kinds_and_data
    )
    return ["customer_replied", "updated"] if replied else ["updated"]


def changed_fields_of(kinds_and_data: Sequence[tuple[str, dict[str, Any]]]) -> tuple[str, ...]:
    """Return the names of the fields a write changed ("status", "tags", "message"…). Pure."""
    names: list[str] = []
    for kind, data in kinds_and_data:
        name = data.get("field") if kind == TicketEventKind.FIELD_CHANGED else _EVENT_FIELDS.get(kind)
        if name and name not in names:
            names.append(str(name))
    return tuple(names)


# --- firing -----------------------------------------------------------------------------------------


def _fire(
    rule: ParsedRule,
    ticket_id: int,
    *,
    trigger: str,
    now: datetime,
    cause: dict[str, Any],
    firing_key: str,
) -> bool:
    """Perform the rule's actions in a savepoint and record RULE_FIRED; return whether it changed the ticket.

    `cause` says what set the rule off (sent with webhook calls); `firing_key` names this firing
    (rule, ticket and the triggering event or time period), so its webhook calls are enqueued once.
    """
    performer = Performer(
        actor=None,
        source=f"rule:{rule.rule.pk}",
        label=rule.rule.name,
        at=now,
        trigger=cause,
        firing_key=firing_key,
    )
    outcomes: list[Outcome] = []
    data: dict[str, Any] = {"rule_id": rule.rule.pk, "rule_name": rule.rule.name, "trigger": trigger}
    error = ""
    try:
        with transaction.atomic():
            for position, action in enumerate(rule.actions):
                outcomes.append(perform(action, ticket_id=ticket_id, performer=performer, position=position))
            ticket = Ticket.objects.get(pk=ticket_id)
            events.rule_fired(ticket, at=now, data={**data, "actions": [o.as_json() for o in outcomes]})
        return any(outcome.changed for outcome in outcomes)
    except DomainError as refused:
        error = "; ".join(m for ms in refused.field_errors.values() for m in ms) or refused.message
    except Exception:  # a rule must never take the ticket write down with it
        logger.exception("automation.rule_failed", extra={"rule_id": rule.rule.pk, "ticket_id": ticket_id})
        error = "internal error"
    logger.info("automation.rule_refused", extra={"rule_id": rule.rule.pk, "ticket_id": ticket_id})
    ticket = Ticket.objects.get(pk=ticket_id)
    events.rule_fired(
        ticket,
        at=now,
        data={**data, "actions": [o.as_json() for o in outcomes], "error": error, "rolled_back": True},
    )
    return False


def _run_for_ticket(
    ticket_id: int,
    rules: Sequence[ParsedRule],
    *,
    triggers: Sequence[str],
    now: datetime,
    message_id: int | None,
    changed_fields: tuple[str, ...],
    event_ids: Sequence[int],
) -> bool:
    wanted = set(triggers)
    applicable = [rule for rule in rules if wanted & set(rule.rule.triggers)]
    if not applicable:
        return False
    fields = conditions.fields_used(rule.conditions for rule in applicable)
    main = triggers[0]

    def snapshot() -> TicketSnapshot:
        return snapshots_for(
            [ticket_id],
            now=now,
            trigger=main,
            fields=fields,
            message_ids={ticket_id: message_id} if message_id else None,
            changed_fields={ticket_id: changed_fields},
        )[ticket_id]

    current = snapshot()
    changed = False
    for rule in applicable:
        if not conditions.matches(rule.conditions, current):
            continue
        trigger = next(name for name in triggers if name in rule.rule.triggers)
        # The write's first event names it: the same write can never fire a rule twice on a ticket.
        written = f"ticket_event:{min(event_ids)}" if event_ids else f"at:{now.isoformat()}"
        fired = _fire(
            rule,
            ticket_id,
            trigger=trigger,
            now=now,
            cause={"event": trigger, "ticket_event_ids": sorted(event_ids)},
            firing_key=f"rule:{rule.rule.pk}:ticket:{ticket_id}:{written}",
        )
        if fired:
            changed = True
            current = snapshot()
        if rule.rule.stop_processing:
            break
    return changed


def rules_run_after_write(recorded: Sequence[TicketEvent], *, now: datetime) -> set[int]:
    """Run the event rules for every ticket a write recorded events for; route new tickets.

    Called by tickets.automation.hooks inside the write's transaction. Returns the ids of the
    tickets rules or routing changed.
    """
    from tickets.services.routing import ticket_route

    by_ticket: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    event_ids: dict[int, list[int]] = {}
    messages: dict[int, int] = {}
    created_in_team: set[int] = set()
    for event in recorded:
        by_ticket.setdefault(event.ticket_id, []).append((event.kind, event.data or {}))
        if event.kind not in _OWN_KINDS and event.pk is not None:
            event_ids.setdefault(event.ticket_id, []).append(event.pk)
        if event.kind == TicketEventKind.MESSAGE_ADDED and event.data.get("message_id"):
            messages[event.ticket_id] = event.data["message_id"]
        if event.kind == TicketEventKind.CREATED and event.data.get("team"):
            created_in_team.add(event.ticket_id)
    rules: list[ParsedRule] | None = None
    changed: set[int] = set()
    with rules_running():
        for ticket_id, happened in by_ticket.items():
            triggers = triggers_of(happened)
            if not triggers:
                continue
            if rules is None:
                rules = [parsed(rule) for rule in rule_list_active(RuleKind.EVENT)]
            if rules and _run_for_ticket(
                ticket_id,
                rules,
                triggers=triggers,
                now=now,
                message_id=messages.get(ticket_id),
                changed_fields=changed_fields_of(happened),
                event_ids=event_ids.get(ticket_id, []),
            ):
                changed.add(ticket_id)
            # A new ticket in a team (given on creation, or by a rule) is routed by the team's strategy.
            if triggers[0] == "created" and (ticket_id in created_in_team or ticket_id in changed):
                decision = ticket_route(ticket_id=ticket_id, now=now, only_if_auto=True)
                if decision is not None:
                    changed.add(ticket_id)
    return changed


# --- time rules -------------------------------------------------------------------------------------

_INSTANT_COLUMNS = {
    "created": "created_at",
    "updated": "updated_at",
    "customer": "last_customer_message_at",
    "agent": "last_agent_message_at",
}
_SQL_FILTERABLE = {
    "ticket.status": "status",
    "ticket.priority": "priority",
    "ticket.severity": "severity",
    "ticket.channel": "channel",
    "ticket.support_tier": "support_tier",
    "ticket.team": "team_id",
    "ticket.assignee": "assignee_id",
    "organization.id": "organization_id",
}


def _sla_clocks() -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(
        ticket_id=OuterRef("pk"), state__in=(ClockState.RUNNING, ClockState.PAUSED)
    )


def _sla_at_least(percent: float, now: datetime) -> Q:
    # Business time never runs faster than real time, so elapsed-at-last-replan plus the real time
    # since is an upper bound of the business time used: a cheap, safe pre-filter. The exact
    # percentage is checked on the snapshot.
    bound = RawSQL(
        "elapsed_seconds + GREATEST(0, EXTRACT(EPOCH FROM (%s - computed_at))) >= %s * target_seconds",
        (now, percent / 100),
        output_field=BooleanField(),
    )
    return Q(Exists(_sla_clocks().filter(Q(breached_at__isnull=False) | Q(bound))))


def _candidates(rule: ParsedRule, now: datetime) -> QuerySet[Ticket]:
    """Tickets past the rule's time bounds and simple filters, not handled in their current period."""
    queryset = Ticket.objects.exclude(status=TicketStatus.CLOSED)
    anchors: list[Any] = []
    used = {ANCHOR_OF[c.field] for c in conditions.walk(rule.conditions) if c.field in ANCHOR_OF}
    if "pending" in used:
        queryset = queryset.annotate(pending_since=pending_since_subquery())
    if "sla" in used:
        queryset = queryset.annotate(
            sla_started=Subquery(
                _sla_clocks()
                .order_by()
                .values("ticket_id")
                .annotate(latest=Max("started_at"))
                .values("latest")[:1]
            )
        )
    for key in sorted(used):
        anchors.append(
            F({"pending": "pending_since", "sla": "sla_started"}.get(key, _INSTANT_COLUMNS.get(key, "")))
        )
    for condition in conditions.required_time_conditions(rule.conditions):
        lookup = "lt" if condition.operator == "gt" else "lte"
        if condition.field == "sla.percent_elapsed":
            queryset = queryset.filter(_sla_at_least(float(condition.value), now))
            continue
        key = ANCHOR_OF[condition.field]
        before = now - timedelta(hours=float(condition.value))
        if key == "pending":
            queryset = queryset.filter(status=TicketStatus.PENDING, **{f"pending_since__{lookup}": before})
        else:
            queryset = queryset.filter(**{f"{_INSTANT_COLUMNS[key]}__{lookup}": before})
    for condition in rule.conditions.all:
        column = _SQL_FILTERABLE.get(condition.field) if isinstance(condition, conditions.Condition) else None
        if column is None or condition.operator not in ("is", "in", "is_not", "not_in"):
            continue
        values = condition.value if condition.operator in ("in", "not_in") else (condition.value,)
        match = (
            Q(**{f"{column}__isnull": True}) if values == (None,) else Q(**{f"{column}__in": list(values)})
        )
        queryset = queryset.filter(match if condition.operator in ("is", "in") else ~match)
    anchor = anchors[0] if len(anchors) == 1 else Greatest(*anchors)
    queryset = queryset.annotate(period_anchor=anchor)
    # Handled in this period: the rule fired since the period began. (Comparing with when it fired,
    # not only with the period it fired in, means the rule's own change — a note moving
    # updated_at — does not start a new period: "idle > 0 h → add a note" cannot loop.)
    done = RuleFiring.objects.filter(
        rule_id=rule.rule.pk, ticket_id=OuterRef("pk"), fired_at__gte=OuterRef("period_anchor")
    )
    return queryset.filter(~Exists(done))


def period_start(snapshot: TicketSnapshot, fields: Collection[str]) -> datetime | None:
    """Return when the ticket's current period began for a rule reading `fields`: the latest of
    the instants its time fields count from (None when none is set). Pure."""
    instants = [snapshot.instants.get(ANCHOR_OF[name]) for name in fields if name in ANCHOR_OF]
    present = [instant for instant in instants if instant is not None]
    return max(present) if present else None


def _claim(rule_id: int, ticket_id: int, start: datetime, now: datetime) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RuleFiring._meta.db_table} (rule_id, ticket_id, period_start, fired_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (rule_id, ticket_id, period_start) DO NOTHING RETURNING id",
            [rule_id, ticket_id, start, now],
        )
        return cursor.fetchone() is not None


def _fire_time_rule(rule: ParsedRule, ticket_id: int, fields: frozenset[str], now: datetime) -> bool:
    """Re-check the rule on the locked ticket, claim the period and fire; return whether it fired."""
    from tickets.services.core import lock_ticket

    with transaction.atomic(), rules_running():
        lock_ticket(ticket_id)
        snapshot = snapshots_for([ticket_id], now=now, trigger="time", fields=fields)[ticket_id]
        start = period_start(snapshot, fields)
        if start is None or not conditions.matches(rule.conditions, snapshot):
            return False
        handled = RuleFiring.objects.filter(rule_id=rule.rule.pk, ticket_id=ticket_id, fired_at__gte=start)
        if handled.exists() or not _claim(rule.rule.pk, ticket_id, start, now):
            return False
        _fire(
            rule,
            ticket_id,
            trigger="time",
            now=now,
            cause={"event": "time", "period_start": start.isoformat()},
            firing_key=f"rule:{rule.rule.pk}:ticket:{ticket_id}:period:{start.isoformat()}",
        )
        return True


def rules_run_time(*, now: datetime, batch_size: int = 200, time_budget_seconds: float = 40.0) -> int:
    """Fire the active time rules on every ticket they match now, once per period; return how many fired.

    Called every minute by tickets.run_time_rules. Tickets are read in id order in batches; the
    snapshot check runs without locks, then each match is locked, re-checked and claimed.
    Stops after `time_budget_seconds` (the next sweep carries on).
    """
    deadline = monotonic.monotonic() + time_budget_seconds
    fired = 0
    stopped: set[int] = set()  # tickets a firing stop_processing rule closed for this sweep
    for rule in (parsed(row) for row in rule_list_active(RuleKind.TIME)):
        if not conditions.required_time_conditions(rule.conditions):
            continue
        fields = conditions.fields_used([rule.conditions])
        after = 0
        while monotonic.monotonic() < deadline:
            ids = list(
                _candidates(rule, now)
                .filter(pk__gt=after)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            after = ids[-1]
            snapshots = snapshots_for(ids, now=now, trigger="time", fields=fields)
            for ticket_id in ids:
                if ticket_id in stopped or not conditions.matches(rule.conditions, snapshots[ticket_id]):
                    continue
                if _fire_time_rule(rule, ticket_id, fields, now):
                    fired += 1
                    if rule.rule.stop_processing:
                        stopped.add(ticket_id)
        if monotonic.monotonic() >= deadline:
            logger.warning("automation.time_budget_exhausted", extra={"rule_id": rule.rule.pk})
            break
    return fired
