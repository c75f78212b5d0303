"""Reads behind the agent's ticket page, and who else has the ticket open right now.

Everything here reads: the page's context (conversation, history, customer panel, SLA panel,
neighbours in the agent's queue) is assembled with a bounded number of queries whatever the
length of the conversation. Presence lives in the cache only: one short-lived entry per
(ticket, agent), refreshed by the page's heartbeat, so a closed tab disappears within seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet

from helpdesk.models import STAFF_ROLES, SupportTier, Team, User
from sla.clock import SegmentKind
from sla.models import ClockState, SlaMetric
from sla.selectors import ClockOverview, SlaChip, chip_for, ticket_sla_overview
from tickets import queues
from tickets.automation.selectors import macro_list_visible_to
from tickets.models import (
    OPEN_STATUS_Q,
    CannedResponse,
    Category,
    LinkKind,
    MessageVisibility,
    Priority,
    ProductArea,
    Severity,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketMessage,
    TicketStatus,
)
from tickets.selectors import (
    event_list_visible_to,
    link_list_for,
    message_list_visible_to,
    ticket_list_visible_to,
)

CUSTOMER_TICKETS_SHOWN = 5
# The agent's own open queue is short (max_open_tickets); the cap only guards a runaway account.
NEIGHBOUR_SCAN_LIMIT = 500

PRESENCE_TTL_SECONDS = 12
PRESENCE_MODES = ("viewing", "replying")


# --- customer panel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerPanel:
    requester: User
    open_tickets: Sequence[Ticket]
    recent_tickets: Sequence[Ticket]


def _requester_tickets(ticket: Ticket) -> QuerySet[Ticket]:
    # Served by ticket_requester_idx (requester, -created_at): newest first, stops after the limit.
    return (
        Ticket.objects.filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .only("id", "subject", "status", "created_at", "requester_id")
        .order_by("-created_at")
    )


def customer_panel_get(ticket: Ticket) -> CustomerPanel:
    """Return the requester with their latest other open tickets and their latest finished ones."""
    return CustomerPanel(
        requester=ticket.requester,
        open_tickets=list(_requester_tickets(ticket).filter(OPEN_STATUS_Q)[:CUSTOMER_TICKETS_SHOWN]),
        recent_tickets=list(_requester_tickets(ticket).exclude(OPEN_STATUS_Q)[:CUSTOMER_TICKETS_SHOWN]),
    )


# --- history -----------------------------------------------------------------------------------------

FIELD_LABELS = {
    "subject": "Subject",
    "description": "Description",
    "priority": "Priority",
    "severity": "Severity",
    "category": "Category",
    "product_area": "Product area",
    "team": "Team",
    "assignee": "Assignee",
    "support_tier": "Support tier",
    "tags": "Tags",
    "status": "Status",
}
_CHOICE_LABELS: dict[str, Mapping[str, str]] = {
    "priority": dict(Priority.choices),
    "severity": dict(Severity.choices),
    "support_tier": dict(SupportTier.choices),
    "status": dict(TicketStatus.choices),
}
_LINK_LABELS = {
    (LinkKind.PARENT_OF, "out"): "Parent of",
    (LinkKind.PARENT_OF, "in"): "Child of",
    (LinkKind.RELATED, "out"): "Related to",
    (LinkKind.RELATED, "in"): "Related to",
    (LinkKind.DUPLICATE_OF, "out"): "Duplicate of",
    (LinkKind.DUPLICATE_OF, "in"): "Has duplicate",
}


@dataclass(frozen=True)
class EventRow:
    """One history line, its raw ids already turned into names; the template writes the sentence."""

    event: TicketEvent
    title: str
    old: str = ""
    new: str = ""
    detail: str = ""
    ticket_ref: int | None = None


@dataclass
class _Names:
    users: dict[int, str] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    product_areas: dict[int, str] = field(default_factory=dict)

    def of(self, field_name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "none"
        if field_name in _CHOICE_LABELS:
            return _CHOICE_LABELS[field_name].get(value, str(value))
        lookup = {
            "assignee": self.users,
            "team": self.teams,
            "category": self.categories,
            "product_area": self.product_areas,
        }.get(field_name)
        if lookup is not None:
            return lookup.get(value, f"#{value}")
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return str(value)


def _referenced_ids(events: Iterable[TicketEvent]) -> dict[str, set[int]]:
    ids: dict[str, set[int]] = {"assignee": set(), "team": set(), "category": set(), "product_area": set()}
    for event in events:
        data = event.data or {}
        if event.kind == TicketEventKind.ASSIGNED:
            ids["assignee"].update(v for v in (data.get("from"), data.get("to")) if v)
        elif event.kind == TicketEventKind.FIELD_CHANGED and data.get("field") in ids:
            ids[data["field"]].update(v for v in (data.get("from"), data.get("to")) if v)
        elif event.kind in (TicketEventKind.ESCALATED, TicketEventKind.DE_ESCALATED):
            ids["team"].update(v for v in (data.get("from_team"), data.get("to_team")) if v)
        elif event.kind == TicketEventKind.ROUTED and data.get("assignee"):
            ids["assignee"].add(data["assignee"])
    return ids


def _names_for(events: Sequence[TicketEvent]) -> _Names:
    """Resolve every id the events mention, one query per kind of row (none when unused)."""
    ids = _referenced_ids(events)
    names = _Names()
    if ids["assignee"]:
        names.users = {pk: str(user) for pk, user in User.objects.in_bulk(ids["assignee"]).items()}
    if ids["team"]:
        names.teams = dict(Team.objects.filter(pk__in=ids["team"]).values_list("pk", "name"))
    if ids["category"]:
        names.categories = {
            pk: category.path
            for pk, category in Category.objects.select_related("parent").in_bulk(ids["category"]).items()
        }
    if ids["product_area"]:
        names.product_areas = dict(
            ProductArea.objects.filter(pk__in=ids["product_area"]).values_list("pk", "name")
        )
    return names


def _event_row(event: TicketEvent, names: _Names) -> EventRow:
    data = event.data or {}
    kind = event.kind
    if kind == TicketEventKind.CREATED:
        return EventRow(event, "Ticket created", detail=f"via {data.get('channel', 'portal')}")
    if kind == TicketEventKind.STATUS_CHANGED:
        reason = str(data.get("reason", "")).replace("_", " ")
        return EventRow(
            event,
            "Status",
            names.of("status", data.get("from")),
            names.of("status", data.get("to")),
            detail=f"({reason})" if reason else "",
        )
    if kind == TicketEventKind.FIELD_CHANGED:
        name = data.get("field", "")
        if name == "description":
            return EventRow(event, "Description edited")
        return EventRow(
            event,
            FIELD_LABELS.get(name, name),
            names.of(name, data.get("from")),
            names.of(name, data.get("to")),
        )
    if kind == TicketEventKind.ASSIGNED:
        return EventRow(
            event, "Assignee", names.of("assignee", data.get("from")), names.of("assignee", data.get("to"))
        )
    if kind == TicketEventKind.MESSAGE_ADDED:
        internal = data.get("visibility") == MessageVisibility.INTERNAL
        title = "Internal note added" if internal else "Public reply added"
        return EventRow(event, title, detail="(automatic)" if data.get("is_automatic") else "")
    if kind in (TicketEventKind.ESCALATED, TicketEventKind.DE_ESCALATED):
        title = "Escalated" if kind == TicketEventKind.ESCALATED else "De-escalated"
        old = names.of("support_tier", data.get("from_tier"))
        new = names.of("support_tier", data.get("to_tier"))
        detail = ""
        if data.get("from_team") != data.get("to_team"):
            detail = (
                f"team {names.of('team', data.get('from_team'))} → {names.of('team', data.get('to_team'))}"
            )
        return EventRow(event, title, old, new, detail=detail)
    if kind == TicketEventKind.MERGED:
        return EventRow(event, "Merged into", ticket_ref=data.get("into"))
    if kind == TicketEventKind.MERGE_RECEIVED:
        return EventRow(event, "Merged in duplicate", ticket_ref=data.get("duplicate"))
    if kind in (TicketEventKind.LINKED, TicketEventKind.UNLINKED):
        label = _LINK_LABELS.get((data.get("kind"), data.get("direction")), str(data.get("kind")))
        prefix = "Linked:" if kind == TicketEventKind.LINKED else "Unlinked:"
        return EventRow(event, f"{prefix} {label.lower()}", ticket_ref=data.get("other"))
    if kind == TicketEventKind.SATISFACTION_RATED:
        scale = data.get("scale_max", 5)
        if data.get("previous") is None:
            return EventRow(event, "Customer rated the support", detail=f"{data.get('score')}/{scale}")
        return EventRow(
            event,
            "Customer changed their rating",
            f"{data['previous']}/{scale}",
            f"{data.get('score')}/{scale}",
        )
    # --- routing and automation (issue 7) ---
    if kind == TicketEventKind.RULE_FIRED:
        title = f"Automation rule “{data.get('rule_name', '')}”"
        if data.get("error"):
            return EventRow(event, title, detail=f"refused, nothing changed: {data['error']}")
        return EventRow(event, title, detail=_actions_in_words(data.get("actions", [])))
    if kind == TicketEventKind.MACRO_APPLIED:
        return EventRow(event, f"Macro “{data.get('macro_name', '')}” applied")
    if kind == TicketEventKind.ROUTED:
        who = names.of("assignee", data.get("assignee")) if data.get("assignee") else "nobody available"
        return EventRow(
            event,
            "Routed",
            new=who,
            detail=f"{str(data.get('strategy', '')).replace('_', ' ')}: {data.get('reason', '')}",
        )
    return EventRow(event, TicketEventKind(kind).label if kind in TicketEventKind.values else kind)


_ACTION_WORDS = {
    "set": "set a field",
    "add_tags": "added tags",
    "remove_tags": "removed tags",
    "route": "routed",
    "assign": "assigned",
    "escalate": "escalated",
    "notify": "notified",
    "add_note": "added a note",
    "reply": "replied",
    "suggest_article": "suggested an article",
    "webhook": "called a webhook",
}


def _actions_in_words(actions: list[dict[str, Any]]) -> str:
    """Return a rule firing's actions as words; a failed one (a webhook gone) says why."""
    words = []
    for action in actions:
        kind = str(action.get("type", ""))
        word = _ACTION_WORDS.get(kind, kind.replace("_", " "))
        if action.get("failed"):
            word += f" (failed: {action.get('result', '')})"
        words.append(word)
    return ", ".join(words)


def event_rows_for(user: User, ticket: Ticket) -> list[EventRow]:
    """Return the ticket's history, newest first, as readable rows (at most five queries)."""
    events = list(event_list_visible_to(user, ticket))
    names = _names_for(events)
    return [_event_row(event, names) for event in reversed(events)]


# --- links -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRow:
    label: str
    other: Ticket


def link_rows_for(ticket: Ticket) -> list[LinkRow]:
    """Return the ticket's links as seen from this ticket ("Child of #12", "Related to #40")."""
    rows = []
    for link in link_list_for(ticket).order_by("created_at", "id"):
        outgoing = link.from_ticket_id == ticket.pk
        label = _LINK_LABELS[(LinkKind(link.kind), "out" if outgoing else "in")]
        rows.append(LinkRow(label, link.to_ticket if outgoing else link.from_ticket))
    return rows


# --- SLA panel ---------------------------------------------------------------------------------------

_SEGMENT_LABELS = {
    SegmentKind.RUNNING: "Running",
    SegmentKind.PAUSED: "Paused",
    SegmentKind.OUTSIDE_BUSINESS_HOURS: "Outside business hours",
    SegmentKind.NOT_STARTED: "Not started",
    SegmentKind.STOPPED: "Stopped",
}


@dataclass(frozen=True)
class SegmentRow:
    kind: str
    label: str
    start: datetime
    end: datetime
    reason: str
    width: float  # percent of the clock's whole timeline


@dataclass(frozen=True)
class ClockRow:
    metric_label: str
    period: int
    state: str
    state_label: str
    chip: SlaChip
    overview: ClockOverview
    left: timedelta | None
    is_overdue: bool
    segments: Sequence[SegmentRow]
    earlier_segments: int = 0  # segments before the ones shown (a clock open for weeks)


def _chip_for(overview: ClockOverview, label: str, now: datetime) -> SlaChip:
    return chip_for(
        metric=overview.clock.metric,
        label=label,
        state=overview.state,
        percent=overview.percent,
        due_at=overview.due_at,
        now=now,
        pause_reason=overview.pause_reason,
    )


TIMELINE_SHOWN = 24  # the latest segments of a clock's timeline the panel draws and lists


def _segments(overview: ClockOverview) -> list[SegmentRow]:
    """The latest TIMELINE_SHOWN segments, widths relative to the time they cover together.

    A clock open for weeks on business hours alternates open and closed twice a day: drawn
    whole, hundreds of slivers make an unreadable stripe.
    """
    shown = overview.timeline[-TIMELINE_SHOWN:]
    total = sum((segment.duration for segment in shown), timedelta(0))
    rows = []
    for segment in shown:
        width = 100 * segment.duration / total if total else 0.0
        rows.append(
            SegmentRow(
                kind=str(segment.kind),
                label=_SEGMENT_LABELS.get(segment.kind, str(segment.kind)),
                start=segment.start,
                end=segment.end,
                reason=segment.reason.replace("_", " "),
                width=round(width, 2),
            )
        )
    return rows


@dataclass(frozen=True)
class EarlierPeriods:
    metric_label: str
    count: int
    breached: int


@dataclass(frozen=True)
class SlaPanel:
    policy_name: str
    clocks: Sequence[ClockRow]
    earlier: Sequence[EarlierPeriods]
    events: Sequence[Any]


SLA_LOG_SHOWN = 20  # the panel's SLA log: the latest entries


def sla_panel_get(ticket: Ticket, *, now: datetime) -> SlaPanel:
    """Return the ticket's SLA clocks as of `now` (the current period of each metric in full, with its
    chip and timeline; earlier periods of a metric only counted) and the latest SLA log entries.
    """
    overview = ticket_sla_overview(
        ticket=ticket, is_agent=True, now=now, latest_periods_only=True, latest_events=SLA_LOG_SHOWN
    )
    metric_labels = dict(SlaMetric.choices)
    state_labels = dict(ClockState.choices)
    latest: dict[str, ClockOverview] = {}
    for clock in overview.clocks:
        current = latest.get(clock.clock.metric)
        if current is None or clock.clock.period > current.clock.period:
            latest[clock.clock.metric] = clock
    rows, earlier = [], []
    for metric, clock in sorted(latest.items(), key=lambda item: list(SlaMetric.values).index(item[0])):
        label = metric_labels.get(metric, metric)
        left = clock.due_at - now if clock.due_at and clock.state == ClockState.RUNNING else None
        rows.append(
            ClockRow(
                metric_label=label,
                period=clock.clock.period,
                state=clock.state,
                state_label=state_labels.get(clock.state, clock.state),
                chip=_chip_for(clock, label, now),
                overview=clock,
                left=left,
                is_overdue=left is not None and left < timedelta(0),
                segments=_segments(clock),
                earlier_segments=max(0, len(clock.timeline) - TIMELINE_SHOWN),
            )
        )
        older = [other for other in overview.clocks if other.clock.metric == metric and other is not clock]
        if older:
            breached = sum(1 for other in older if other.breached_at is not None)
            earlier.append(EarlierPeriods(label, len(older), breached))
    policy_name = ""
    if overview.ticket_sla is not None:
        version = overview.ticket_sla.policy_version
        policy_name = f"{version.policy.name} v{version.number}"
    return SlaPanel(policy_name=policy_name, clocks=rows, earlier=earlier, events=list(overview.events))


# --- choices for the side panel and composer ---------------------------------------------------------


def agent_list() -> QuerySet[User]:
    """Return active agents, for the assignee picker."""
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).only("id", "email", "full_name")


def canned_response_list_for(user: User) -> QuerySet[CannedResponse]:
    """Return the canned responses `user` may insert: shared or their own, for everyone or their teams."""
    return (
        CannedResponse.objects.filter(is_active=True)
        .filter(Q(owner__isnull=True) | Q(owner=user))
        .filter(Q(team__isnull=True) | Q(team__members=user))
        .only("id", "title", "body")
        .distinct()
    )


# --- neighbours in the agent's queue -----------------------------------------------------------------


@dataclass(frozen=True)
class Neighbours:
    previous_id: int | None
    next_id: int | None
    view_slug: str = queues.DEFAULT_VIEW  # the queue they come from, carried on to the next ticket
    view_label: str = ""


def neighbours_get(user: User, ticket: Ticket, *, view_slug: str = "", now: datetime) -> Neighbours:
    """Return the previous and next ticket in the queue the agent opened this ticket from.

    `view_slug` names a built-in queue view (the queue page links its rows with `?from=<slug>`);
    unknown or empty means "My open tickets". The order is the view's own (most urgent SLA first
    for every view but Recently resolved). A ticket that is not in the list has only a next one:
    the top of the list.
    """
    teams = queues.queue_teams(user) if view_slug.startswith("team-") else []
    view = queues.queue_view_get(view_slug or queues.DEFAULT_VIEW, teams=teams) or queues.queue_view_get(
        queues.DEFAULT_VIEW, teams=[]
    )
    assert view is not None
    ids = list(
        ticket_list_visible_to(user)
        .select_related(None)
        .prefetch_related(None)
        .filter(queues.queue_view_q(view, user=user, now=now))
        .order_by(*queues.SORTS[view.default_sort][1])
        .values_list("id", flat=True)[:NEIGHBOUR_SCAN_LIMIT]
    )
    if ticket.pk not in ids:
        return Neighbours(None, ids[0] if ids else None, view.slug, view.label)
    index = ids.index(ticket.pk)
    return Neighbours(
        ids[index - 1] if index > 0 else None,
        ids[index + 1] if index + 1 < len(ids) else None,
        view.slug,
        view.label,
    )


# --- the page -----------------------------------------------------------------------------------------


def ticket_page_data(user: User, ticket: Ticket, *, now: datetime, from_view: str = "") -> dict[str, Any]:
    """Return what the ticket page shows besides its forms; the query count does not grow with messages."""
    messages: list[TicketMessage] = list(message_list_visible_to(user, ticket))
    canned = list(canned_response_list_for(user))
    return {
        "ticket": ticket,
        "conversation": messages,
        "links": link_rows_for(ticket),
        "customer": customer_panel_get(ticket),
        "sla": sla_panel_get(ticket, now=now),
        "neighbours": neighbours_get(user, ticket, view_slug=from_view, now=now),
        "canned_responses": canned,
        "canned_bodies": {str(response.pk): response.body for response in canned},
        # --- macros (issue 7): what the composer's "Apply macro" offers ---
        "macros": list(macro_list_visible_to(user).only("id", "name")),
        "now": now,
    }


# --- presence -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    mode: str  # "viewing" or "replying"


def _presence_key(ticket_id: int, user_id: int) -> str:
    return f"ticket-presence:{ticket_id}:{user_id}"


def _presence_index_key(ticket_id: int) -> str:
    return f"ticket-presence:{ticket_id}:agents"


def presence_touch(*, ticket_id: int, user: User, mode: str, now: datetime) -> None:
    """Record that `user` has the ticket open in `mode` for the next PRESENCE_TTL_SECONDS.

    The entry carries its own expiry so that readers drop it on time even if the cache keeps it a
    little longer; the per-ticket index of agent ids may lose an id to a concurrent heartbeat, and
    the next heartbeat (every few seconds) puts it back.
    """
    if mode not in PRESENCE_MODES:
        raise ValueError(f"unknown presence mode {mode!r}")
    until = now.timestamp() + PRESENCE_TTL_SECONDS
    cache.set(
        _presence_key(ticket_id, user.pk),
        {"name": user.get_full_name(), "mode": mode, "until": until},
        timeout=PRESENCE_TTL_SECONDS,
    )
    index_key = _presence_index_key(ticket_id)
    known: list[int] = cache.get(index_key) or []
    if user.pk not in known:
        known = [*known, user.pk]
    cache.set(index_key, known, timeout=PRESENCE_TTL_SECONDS * 5)


def presence_clear(*, ticket_id: int, user: User) -> None:
    """Forget that `user` has the ticket open (they left the page)."""
    cache.delete(_presence_key(ticket_id, user.pk))


def presence_list(*, ticket_id: int, now: datetime, exclude_user_id: int | None = None) -> list[Presence]:
    """Return who else has the ticket open right now, replying first, then by name."""
    known: list[int] = cache.get(_presence_index_key(ticket_id)) or []
    ids = [pk for pk in known if pk != exclude_user_id]
    if not ids:
        return []
    entries = cache.get_many([_presence_key(ticket_id, pk) for pk in ids])
    stamp = now.timestamp()
    found = []
    for pk in ids:
        entry = entries.get(_presence_key(ticket_id, pk))
        if entry and entry["until"] > stamp:
            found.append(Presence(pk, entry["name"], entry["mode"]))
    return sorted(found, key=lambda presence: (presence.mode != "replying", presence.name))
