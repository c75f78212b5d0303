"""Which SLA clocks a ticket has, derived from its event log. Pure: no Django imports.

The ticket's events (created, status changes, messages, priority changes) are replayed in order;
each metric's clocks start, pause, resume and end by the rules in docs/sla.md. The result is a
list of clocks with their own event logs, ready for sla.clock to turn into due instants. Running
the same events through it always gives the same clocks, which is what `sla_rebuild --check` uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sla.clock import ClockEvent, ClockEventKind


class Metric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_REPLY = "next_reply"
    PERIODIC_UPDATE = "periodic_update"
    RESOLUTION = "resolution"


# Waiting on the customer or a third party stops the clocks that measure the team's own work.
PAUSABLE = frozenset({Metric.RESOLUTION, Metric.PERIODIC_UPDATE})
DONE_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True, slots=True)
class TicketFact:
    """One ticket event as plain data: the stored kind, when it happened, its raw payload."""

    kind: str
    at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ClockRules:
    pause_statuses: frozenset[str]
    automatic_reply_counts: bool = False


@dataclass(frozen=True, slots=True)
class DerivedClock:
    metric: Metric
    period: int
    events: tuple[ClockEvent, ...]
    priority: str  # the priority whose target applies: in force when the clock ended, or now


@dataclass(slots=True)
class _Builder:
    metric: Metric
    period: int
    events: list[ClockEvent] = field(default_factory=list)
    priority: str = ""


class _Replay:
    def __init__(self, rules: ClockRules) -> None:
        self.rules = rules
        self.built: list[_Builder] = []
        self.running: dict[Metric, _Builder] = {}
        self.periods: dict[Metric, int] = dict.fromkeys(Metric, 0)
        self.status = "new"
        self.priority = ""
        self.responded = False
        self.awaiting_reply = False

    @property
    def is_paused(self) -> bool:
        return self.status in self.rules.pause_statuses

    def start(self, metric: Metric, at: datetime) -> None:
        self.periods[metric] += 1
        builder = _Builder(metric, self.periods[metric], [ClockEvent(ClockEventKind.STARTED, at)])
        self.built.append(builder)
        self.running[metric] = builder
        if metric in PAUSABLE and self.is_paused:
            builder.events.append(ClockEvent(ClockEventKind.PAUSED, at, self.status))

    def end(self, metric: Metric, at: datetime, kind: ClockEventKind, reason: str = "") -> None:
        builder = self.running.pop(metric, None)
        if builder is not None:
            builder.events.append(ClockEvent(kind, at, reason))
            builder.priority = self.priority

    def end_all(self, at: datetime, reason: str) -> None:
        for metric in list(self.running):
            self.end(metric, at, ClockEventKind.STOPPED, reason)

    def pause(self, at: datetime, reason: str) -> None:
        for metric in PAUSABLE:
            if metric in self.running:
                self.running[metric].events.append(ClockEvent(ClockEventKind.PAUSED, at, reason))

    def resume(self, at: datetime) -> None:
        for metric in PAUSABLE:
            if metric in self.running:
                self.running[metric].events.append(ClockEvent(ClockEventKind.RESUMED, at))

    def created(self, fact: TicketFact) -> None:
        self.status = str(fact.data.get("status", "new"))
        self.priority = str(fact.data.get("priority", ""))
        if self.status in DONE_STATUSES:
            return
        self.start(Metric.FIRST_RESPONSE, fact.at)
        self.start(Metric.RESOLUTION, fact.at)

    def message(self, fact: TicketFact) -> None:
        if fact.data.get("visibility") != "public":
            return
        author = fact.data.get("author_kind")
        is_open = self.status not in DONE_STATUSES
        if author == "agent" and (not fact.data.get("is_automatic") or self.rules.automatic_reply_counts):
            self.end(Metric.FIRST_RESPONSE, fact.at, ClockEventKind.FULFILLED)
            self.end(Metric.NEXT_REPLY, fact.at, ClockEventKind.FULFILLED)
            self.responded = True
            self.awaiting_reply = False
            if is_open:
                self.end(Metric.PERIODIC_UPDATE, fact.at, ClockEventKind.FULFILLED)
                self.start(Metric.PERIODIC_UPDATE, fact.at)
        elif author == "customer":
            self.awaiting_reply = True
            if is_open and self.responded and Metric.NEXT_REPLY not in self.running:
                self.start(Metric.NEXT_REPLY, fact.at)

    def status_changed(self, fact: TicketFact) -> None:
        old, new = self.status, str(fact.data.get("to", self.status))
        was_paused = self.is_paused
        self.status = new
        if new == "resolved":
            self.end(Metric.RESOLUTION, fact.at, ClockEventKind.FULFILLED)
            self.end_all(fact.at, "resolved")
            return
        if new == "closed":
            self.end_all(fact.at, str(fact.data.get("reason") or "closed"))
            return
        if old in DONE_STATUSES:
            # A reopen starts a new resolution period; first response stays answered.
            self.start(Metric.RESOLUTION, fact.at)
            if self.responded:
                self.start(Metric.PERIODIC_UPDATE, fact.at)
                if self.awaiting_reply:
                    self.start(Metric.NEXT_REPLY, fact.at)
            return
        if self.is_paused and not was_paused:
            self.pause(fact.at, new)
        elif was_paused and not self.is_paused:
            self.resume(fact.at)
        elif self.is_paused and old != new:
            self.pause(fact.at, new)  # still paused, for a different reason

    def field_changed(self, fact: TicketFact) -> None:
        if fact.data.get("field") == "priority":
            self.priority = str(fact.data.get("to", self.priority))


def derive_clocks(facts: Iterable[TicketFact], rules: ClockRules) -> list[DerivedClock]:
    """Return every clock the ticket's history implies, in the order they started.

    `facts` must be in (occurred_at, id) order. Clocks still running take the current priority;
    ended clocks keep the priority in force when they ended.
    """
    replay = _Replay(rules)
    handlers = {
        "created": replay.created,
        "message_added": replay.message,
        "status_changed": replay.status_changed,
        "field_changed": replay.field_changed,
    }
    for fact in facts:
        handler = handlers.get(fact.kind)
        if handler is not None:
            handler(fact)
    return [
        DerivedClock(b.metric, b.period, tuple(b.events), b.priority or replay.priority) for b in replay.built
    ]
