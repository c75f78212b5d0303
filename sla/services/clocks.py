"""Re-planning a ticket's SLA clocks from its event log after every change."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk.inserts import insert_rows, select_rows, update_rows
from sla import calendars as pure_calendars
from sla import clock as pure_clock
from sla.derive import ClockRules, DerivedClock, TicketFact, derive_clocks
from sla.models import ClockState, SlaClock, SlaEvent, SlaEventKind, SlaPolicyVersion, TicketSla
from sla.services.calendars import calendars_load, default_calendar_id
from sla.services.policies import latest_version, match_facts, policy_match, ticket_tier, version_get
from tickets import selectors as ticket_selectors
from tickets.models import Ticket

_TRACKED_FIELDS = [
    "warned_level",
    "policy_version_id",
    "target_seconds",
    "calendar_id",
    "started_at",
    "elapsed_seconds",
    "computed_at",
    "ended_at",
    "state",
    "pause_reason",
    "due_at",
    "next_check_at",
    "breached_at",
    "severely_breached_at",
]
_STATE_OF = {
    pure_clock.ClockState.RUNNING: ClockState.RUNNING,
    pure_clock.ClockState.PAUSED: ClockState.PAUSED,
}


_UNREAD: Any = object()


def ticket_sla_apply(
    *,
    ticket: Ticket,
    now: datetime,
    force: bool = False,
    is_new: bool = False,
    events_out: list[SlaEvent] | None = None,
    current: TicketSla | None = _UNREAD,
) -> TicketSla | None:
    """Pin the matching policy's version on the ticket; return None when no policy matches.

    Re-evaluated when the ticket's tier, organization or priority changed since the last match,
    or with force=True (an admin re-applying). The same policy keeps its pinned version unless forced.
    `is_new` says the ticket was created in this transaction, so nothing is pinned yet; `current`
    is the pin when the caller has already read it (None: there is none). The APPLIED event is
    appended to `events_out` for the caller to write, or written here.
    """
    if is_new:
        current = None
    elif current is _UNREAD:
        current = TicketSla.objects.filter(ticket=ticket).only("policy_version_id", "matched_on").first()
    if current is not None:
        current.policy_version = version_get(current.policy_version_id)
    facts = match_facts(ticket)
    if current is not None and current.matched_on == facts and not force:
        return current
    policy = policy_match(ticket)
    if policy is None:
        return current
    keep = current is not None and current.policy_version.policy_id == policy.pk and not force
    version = current.policy_version if keep and current is not None else latest_version(policy)
    if current is not None and current.policy_version_id == version.pk:
        current.matched_on = facts
        current.save(update_fields=["matched_on"])
        return current
    if current is None:
        ticket_sla = TicketSla.objects.create(
            ticket=ticket, policy_version=version, applied_at=now, matched_on=facts
        )
    else:
        ticket_sla = current
        ticket_sla.policy_version, ticket_sla.applied_at, ticket_sla.matched_on = version, now, facts
        ticket_sla.save(update_fields=["policy_version", "applied_at", "matched_on"])
    applied = SlaEvent(
        ticket=ticket,
        kind=SlaEventKind.APPLIED,
        at=now,
        data={"policy": policy.pk, "version": version.number, "name": policy.name},
    )
    if events_out is None:
        applied.save()
    else:
        events_out.append(applied)
    return ticket_sla


def _target_for(snapshot: dict[str, Any], priority: str, tier: str, metric: str) -> dict[str, Any] | None:
    cell = snapshot.get("targets", {}).get(priority, {}).get(tier, {}).get(metric)
    if not cell or cell.get("minutes") is None:
        return None
    return cell


def _calendar_id(cell: dict[str, Any], ticket: Ticket) -> int | None:
    if not cell.get("business_hours", True):
        return None
    if cell.get("calendar"):
        return int(cell["calendar"])
    if ticket.organization_id and ticket.organization and ticket.organization.calendar_id:
        return ticket.organization.calendar_id
    if ticket.team_id and ticket.team and ticket.team.calendar_id:
        return ticket.team.calendar_id
    return default_calendar_id()


def _next_check(
    derived: DerivedClock,
    calendar: Any,
    target: timedelta,
    spent: timedelta,
    levels: list[int],
    warned: int,
    now: datetime,
) -> datetime | None:
    for level in levels:
        if level <= warned:
            continue
        goal = target * level / 100
        if goal <= spent:
            return now  # crossed but not yet alerted: the sweeper takes it at once
        return pure_clock.next_threshold_at(
            derived.events, calendar, target=target, now=now, thresholds=[level / 100]
        ).at  # type: ignore[union-attr]
    return None


@dataclass(frozen=True)
class PlannedClock:
    """What a clock row should hold, computed from the event log; `fields` are SlaClock columns."""

    derived: DerivedClock
    calendar: pure_calendars.BusinessCalendar
    target: timedelta
    fields: dict[str, Any]


def clocks_plan(
    *,
    ticket: Ticket,
    version: SlaPolicyVersion,
    now: datetime,
    event_rows: Sequence[tuple[str, datetime, dict[str, Any]]] | None = None,
    latest_periods_only: bool = False,
) -> list[PlannedClock]:
    """Return the clocks the ticket's event log implies under `version`, as of `now`. Reads only.

    `event_rows` is the whole log when the caller already has it (a ticket just created).
    `latest_periods_only` plans just the last period of each metric (a long conversation has
    dozens of finished next-reply periods that a display can take as stored).
    """
    snapshot = version.snapshot
    rows = ticket_selectors.ticket_event_rows(ticket.pk) if event_rows is None else event_rows
    facts = [TicketFact(kind, at, data) for kind, at, data in rows]
    rules = ClockRules(
        frozenset(snapshot.get("pause_statuses", [])), bool(snapshot.get("automatic_reply_counts"))
    )
    tier = ticket_tier(ticket)
    cells = []
    derived_clocks = derive_clocks(facts, rules)
    if latest_periods_only:
        last = {}
        for derived in derived_clocks:
            last[derived.metric] = max(last.get(derived.metric, 0), derived.period)
        derived_clocks = [derived for derived in derived_clocks if derived.period == last[derived.metric]]
    for derived in derived_clocks:
        cell = _target_for(snapshot, derived.priority, tier, derived.metric)
        if cell is not None:
            cells.append((derived, cell, _calendar_id(cell, ticket)))
    calendars = calendars_load({calendar_id for _, _, calendar_id in cells})
    planned = []
    for derived, cell, calendar_id in cells:
        calendar = calendars[calendar_id]
        target = timedelta(minutes=int(cell["minutes"]))
        last = derived.events[-1]
        ended = last.kind in (pure_clock.ClockEventKind.FULFILLED, pure_clock.ClockEventKind.STOPPED)
        reached = pure_clock.target_reached_at(derived.events, calendar, target=target, now=now)
        if ended:
            is_fulfilled = last.kind == pure_clock.ClockEventKind.FULFILLED
            state = ClockState.FULFILLED if is_fulfilled else ClockState.STOPPED
            due = reached
        else:
            state = _STATE_OF.get(pure_clock.clock_state(derived.events, now=now), ClockState.RUNNING)
            due = pure_clock.due_at(derived.events, calendar, target=target, now=now)
        planned.append(
            PlannedClock(
                derived,
                calendar,
                target,
                {
                    "policy_version": version,
                    "target_seconds": int(target.total_seconds()),
                    "calendar_id": calendar_id,
                    "started_at": derived.events[0].at,
                    "ended_at": last.at if ended else None,
                    "state": state,
                    "pause_reason": last.reason if state == ClockState.PAUSED else "",
                    "elapsed_seconds": pure_clock.elapsed(derived.events, calendar, now=now).total_seconds(),
                    "computed_at": now,
                    "due_at": due,
                    "breached_at": reached,
                    "severely_breached_at": None
                    if reached is None
                    else pure_clock.target_reached_at(derived.events, calendar, target=target * 2, now=now),
                },
            )
        )
    return planned


def _levels_crossed_before(
    row: SlaClock, plan: PlannedClock, levels: list[int], now: datetime
) -> list[SlaEvent]:
    """Record, without alerting, the levels a clock had already crossed when it first appeared here.

    That happens for imported histories: the warnings belong to the past, so nobody is paged
    now, but the log and the clock's warned level tell the truth.
    """
    recorded = []
    for level in levels:
        reached = pure_clock.target_reached_at(
            plan.derived.events, plan.calendar, target=plan.target * level / 100, now=now
        )
        if reached is None:
            break
        row.warned_level = level
        recorded.append(
            SlaEvent(
                clock=row,
                ticket_id=row.ticket_id,
                kind=alert_kind_for(level),
                level=level,
                at=reached,
                data={"metric": row.metric, "period": row.period, "silent": True},
            )
        )
    return recorded


_deferred: ContextVar[set[int] | None] = ContextVar("sla_replans_deferred", default=None)


@contextmanager
def replans_deferred() -> Iterator[set[int]]:
    """Re-plan each touched ticket once, on leaving the block, instead of after every write.

    For replaying long histories (imports, demo data): re-planning is a function of the event
    log and `now`, so one re-plan at the end gives the same clocks as one per step. Nested
    blocks defer to the outermost. Use inside the transaction that writes the history.
    """
    if _deferred.get() is not None:
        yield _deferred.get() or set()
        return
    pending: set[int] = set()
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)
    if pending:
        clocks_replan_many(ticket_ids=sorted(pending), now=timezone.now())


@dataclass
class _Writes:
    """What re-planning one or more tickets will write, gathered so each table gets one statement."""

    created: list[SlaClock] = field(default_factory=list)
    updated: list[SlaClock] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    lifecycle: list[SlaEvent] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)  # whose sla_due_at moved

    def flush(self) -> None:
        update_rows(self.tickets, ["sla_due_at"])
        insert_rows(self.created)
        # Every updated row carries all its current values, so one statement can write the union
        # of the columns that changed anywhere; unchanged finished clocks are not in it at all.
        update_rows(self.updated, sorted(self.changed))
        for event in self.lifecycle:
            if event.clock is not None:
                event.clock_id = event.clock.pk  # new clocks got their ids from the insert above
        insert_rows(self.lifecycle, ignore_conflicts=True)


def _replan_ticket(
    writes: _Writes,
    *,
    ticket: Ticket,
    pin: TicketSla | None,
    existing: dict[tuple[str, int], SlaClock],
    event_rows: Sequence[tuple[str, datetime, dict[str, Any]]],
    now: datetime,
    is_new: bool,
) -> list[SlaClock]:
    """Re-plan one ticket's clocks into `writes` from what the caller read; return its clocks."""
    ticket_id = ticket.pk
    lifecycle = writes.lifecycle
    ticket_sla = ticket_sla_apply(ticket=ticket, now=now, is_new=is_new, events_out=lifecycle, current=pin)
    if ticket_sla is None:
        if ticket.sla_due_at is not None:
            ticket.sla_due_at = None
            writes.tickets.append(ticket)
        return []
    version: SlaPolicyVersion = ticket_sla.policy_version
    levels = sorted(version.snapshot.get("warning_levels", [100]))
    result: list[SlaClock] = []
    for plan in clocks_plan(ticket=ticket, version=version, now=now, event_rows=event_rows):
        derived = plan.derived
        row = existing.pop((derived.metric, derived.period), None)
        before = None if row is None else {name: getattr(row, name) for name in _TRACKED_FIELDS}
        if row is None:
            row = SlaClock(ticket_id=ticket_id, metric=derived.metric, period=derived.period, created_at=now)
        for name, value in plan.fields.items():
            setattr(row, name, value)
        if before is None:
            lifecycle.extend(_levels_crossed_before(row, plan, levels, now))
        row.next_check_at = (
            _next_check(
                derived,
                plan.calendar,
                plan.target,
                timedelta(seconds=row.elapsed_seconds),
                levels,
                row.warned_level,
                now,
            )
            if row.state == ClockState.RUNNING
            else None
        )
        result.append(row)
        if before is None:
            writes.created.append(row)
        else:
            changed = [name for name in _TRACKED_FIELDS if getattr(row, name) != before[name]]
            if changed == ["computed_at"]:
                # No business time passed since the stored (elapsed, computed_at) pair, so that pair
                # still tells the sweeper exactly where the clock stands.
                changed = []
            if not changed:
                continue
            writes.updated.append(row)
            writes.changed.update(changed)
        lifecycle.extend(
            SlaEvent(
                clock=row,
                ticket_id=ticket_id,
                kind=str(event.kind),
                at=event.at,
                data={"reason": event.reason} if event.reason else {},
            )
            for event in derived.events
        )
    for orphan in existing.values():
        if orphan.state in (ClockState.RUNNING, ClockState.PAUSED):
            orphan.state, orphan.next_check_at, orphan.ended_at = ClockState.STOPPED, None, now
            writes.updated.append(orphan)
            writes.changed.update(["state", "next_check_at", "ended_at"])
        result.append(orphan)
    due = ticket_due_at((row.state, row.due_at) for row in result)
    if due != ticket.sla_due_at:
        ticket.sla_due_at = due
        writes.tickets.append(ticket)
    return result


def ticket_due_at(clocks: Iterable[tuple[str, datetime | None]]) -> datetime | None:
    """Return the soonest due instant of the running clocks, given as (state, due_at) pairs.

    What queues sort tickets by (Ticket.sla_due_at).
    """
    return min((due for state, due in clocks if state == ClockState.RUNNING and due), default=None)


@transaction.atomic(savepoint=False)
def clocks_replan(
    *,
    ticket_id: int,
    now: datetime,
    new_ticket: Ticket | None = None,
    new_ticket_events: Sequence[tuple[str, datetime, dict[str, Any]]] | None = None,
) -> list[SlaClock]:
    """Recompute every SLA clock of a ticket from its event log and store the results.

    Idempotent: replanning twice with the same events and `now` writes the same rows. Clocks the
    history no longer implies are marked stopped, never deleted, so alerts already sent keep
    their clock. Returns the ticket's clocks (nothing inside `replans_deferred`).
    `new_ticket` is the ticket just created in this transaction, with its organization and team
    loaded: it has no pin and no clocks yet, so those reads are skipped; `new_ticket_events` is
    its whole event log so far.
    """
    pending = _deferred.get()
    if pending is not None:
        pending.add(ticket_id)
        return []
    if new_ticket is None:
        return clocks_replan_many(ticket_ids=[ticket_id], now=now).get(ticket_id, [])
    writes = _Writes()
    result = _replan_ticket(
        writes,
        ticket=new_ticket,
        pin=None,
        existing={},
        event_rows=new_ticket_events
        if new_ticket_events is not None
        else ticket_selectors.ticket_event_rows(ticket_id),
        now=now,
        is_new=True,
    )
    writes.flush()
    return result


@transaction.atomic(savepoint=False)
def clocks_replan_many(*, ticket_ids: Sequence[int], now: datetime) -> dict[int, list[SlaClock]]:
    """clocks_replan for several tickets, reading and writing each table once for all of them.

    The caller holds the tickets' locks (or accepts what a concurrent writer may race). Tickets
    that no longer exist are skipped. Returns each ticket's clocks.
    """
    tickets = ticket_selectors.tickets_get_for_sla(ticket_ids)
    if not tickets:
        return {}
    pins = {pin.ticket_id: pin for pin in select_rows(TicketSla, "ticket_id", list(tickets))}
    existing: dict[int, dict[tuple[str, int], SlaClock]] = {}
    for row in select_rows(SlaClock, "ticket_id", list(tickets)):
        existing.setdefault(row.ticket_id, {})[(row.metric, row.period)] = row
    event_rows = ticket_selectors.ticket_event_rows_many(tickets)
    writes = _Writes()
    result = {
        ticket_id: _replan_ticket(
            writes,
            ticket=tickets[ticket_id],
            pin=pins.get(ticket_id),
            existing=existing.get(ticket_id, {}),
            event_rows=event_rows.get(ticket_id, []),
            now=now,
            is_new=False,
        )
        for ticket_id in sorted(tickets)
    }
    writes.flush()
    return result


_LIVE = (ClockState.RUNNING, ClockState.PAUSED)


def alert_kind_for(level: int) -> str:
    """Return the SLA event kind for a warning level (100 is the breach, 200 the severe breach)."""
    if level >= 200:
        return SlaEventKind.SEVERELY_BREACHED
    if level >= 100:
        return SlaEventKind.BREACHED
    return SlaEventKind.WARNED


# Columns that follow from the event log alone (not from `now` or from alerts already sent).
CHECKED_FIELDS = ("target_seconds", "calendar_id", "started_at", "ended_at", "state", "due_at", "breached_at")


def clocks_check(*, ticket_id: int, now: datetime) -> list[str]:
    """Return how the stored clocks differ from a fresh replay of the event log (empty: they agree).

    Reads only; used by `manage.py sla_rebuild --check`.
    """
    ticket_sla = TicketSla.objects.select_related("policy_version").filter(ticket_id=ticket_id).first()
    stored = {(row.metric, row.period): row for row in SlaClock.objects.filter(ticket_id=ticket_id)}
    if ticket_sla is None:
        return [f"#{ticket_id}: {len(stored)} clocks stored without a policy"] if stored else []
    ticket = ticket_selectors.ticket_get_for_sla(ticket_id)
    problems = []
    plans = clocks_plan(ticket=ticket, version=ticket_sla.policy_version, now=now)
    due = ticket_due_at((plan.fields["state"], plan.fields["due_at"]) for plan in plans)
    if ticket.sla_due_at != due:
        problems.append(f"#{ticket_id}: sla_due_at stored {ticket.sla_due_at} != replayed {due}")
    for plan in plans:
        key = (plan.derived.metric, plan.derived.period)
        row = stored.pop(key, None)
        if row is None:
            problems.append(f"#{ticket_id} {key[0]}#{key[1]}: missing")
            continue
        for name in CHECKED_FIELDS:
            if name == "breached_at" and row.breached_at is None and plan.fields["state"] in _LIVE:
                continue  # a live clock's breach is stored when it is re-planned or swept after it
            if getattr(row, name) != plan.fields[name]:
                problems.append(
                    f"#{ticket_id} {key[0]}#{key[1]}: {name} stored {getattr(row, name)} != replayed {plan.fields[name]}"
                )
    for (metric, period), row in stored.items():
        if row.state in (ClockState.RUNNING, ClockState.PAUSED):
            problems.append(f"#{ticket_id} {metric}#{period}: running but not implied by the history")
    return problems
