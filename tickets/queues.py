"""The agent's queues: built-in views, filters, search, sorting and saved views of tickets.

A queue page is a `QueueState` (which view, which filters, which columns, which sort), parsed from
the query string or from a `SavedView`, turned into one ticket query that starts from
`tickets.selectors.ticket_list_visible_to`. Counts are capped at `COUNT_CAP` so that polling a
view of 200,000 open tickets never counts them all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.db.models import Exists, F, OrderBy, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from helpdesk.models import STAFF_ROLES, SavedView, Team, User
from helpdesk.selectors import team_list_visible_to, user_list_visible_to
from sla.selectors import ticket_sla_state_q
from tickets.models import OPEN_STATUS_Q, Priority, Ticket, TicketStatus
from tickets.selectors import ticket_list_visible_to, ticket_visibility_q

PER_PAGE = 25
# Offset paging walks the SLA index from its start; past this many pages, narrow the filters instead.
MAX_PAGES = 20
# Tab counts stop here and show "1000+": counting a LIMIT-ed subquery costs at most this many rows.
COUNT_CAP = 1000
RECENTLY_RESOLVED_DAYS = 7
SEARCH_MAX_TERMS = 6
SAVED_VIEW_NAME_MAX = 80

# --- columns and sorts ------------------------------------------------------------------------------

COLUMNS: dict[str, str] = {
    "id": "#",
    "subject": "Subject",
    "requester": "Requester",
    "organization": "Organization",
    "priority": "Priority",
    "severity": "Severity",
    "status": "Status",
    "assignee": "Assignee",
    "team": "Team",
    "sla": "SLA",
    "updated": "Updated",
}
DEFAULT_COLUMNS: tuple[str, ...] = tuple(COLUMNS)
REQUIRED_COLUMNS = ("subject",)

# The default order is exactly the column list of ticket_open_sla_idx / ticket_open_team_sla_idx,
# so an open-ticket queue reads its first page straight off the index: most urgent due instant
# first, then priority, then first in, first out.
SLA_ORDER: tuple[OrderBy | str, ...] = (F("sla_due_at").asc(nulls_last=True), "priority", "created_at", "id")

SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "sla": ("Most urgent SLA first", SLA_ORDER),
    "priority": (
        "Priority, then SLA",
        ("priority", F("sla_due_at").asc(nulls_last=True), "created_at", "id"),
    ),
    "updated": ("Recently updated", ("-updated_at", "-id")),
    "updated_oldest": ("Least recently updated", ("updated_at", "id")),
    "created": ("Newest first", ("-created_at", "-id")),
    "created_oldest": ("Oldest first", ("created_at", "id")),
    "resolved": ("Recently resolved", (Coalesce("closed_at", "resolved_at").desc(nulls_last=True), "-id")),
}

# --- built-in views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueView:
    """One tab of the queue page: a built-in view (`team` set for a team's queue)."""

    slug: str
    label: str
    shortcut: str
    default_sort: str = "sla"
    team: Team | None = None


BUILT_IN_VIEWS: tuple[QueueView, ...] = (
    QueueView("mine", "My open tickets", "g m"),
    QueueView("unassigned", "Unassigned in my teams", "g u"),
    QueueView("open", "All open", "g o"),
    QueueView("waiting", "Waiting on customer", "g w"),
    QueueView("at-risk", "At risk", "g a"),
    QueueView("breached", "Breached", "g b"),
    QueueView("resolved", "Recently resolved", "g r", default_sort="resolved"),
)
DEFAULT_VIEW = "mine"
_BUILT_IN_BY_SLUG = {view.slug: view for view in BUILT_IN_VIEWS}
_TEAM_SLUG = re.compile(r"^team-(\d{1,18})$")


def _team_view(team: Team, position: int) -> QueueView:
    shortcut = f"g {position}" if position <= 9 else ""
    return QueueView(f"team-{team.pk}", team.name, shortcut, team=team)


def queue_views_for(user: User, *, teams: Sequence[Team]) -> list[QueueView]:
    """Return the tabs an agent sees: mine, unassigned, one per team of theirs, then the rest."""
    own_teams = [team for team in teams if team.pk in team_ids_of(user)]
    team_views = [_team_view(team, position) for position, team in enumerate(own_teams, start=1)]
    return [BUILT_IN_VIEWS[0], BUILT_IN_VIEWS[1], *team_views, *BUILT_IN_VIEWS[2:]]


def queue_view_get(slug: str, *, teams: Sequence[Team]) -> QueueView | None:
    """Return the built-in view named by `slug`, or None; `team-<id>` works for any team."""
    if slug in _BUILT_IN_BY_SLUG:
        return _BUILT_IN_BY_SLUG[slug]
    match = _TEAM_SLUG.match(slug)
    if match:
        team = next((team for team in teams if team.pk == int(match[1])), None)
        return _team_view(team, 99) if team is not None else None
    return None


def team_ids_of(user: User) -> list[int]:
    # Cached on the instance: tabs, the unassigned view and saved-view visibility all ask.
    cached: list[int] | None = getattr(user, "_queue_team_ids", None)
    if cached is None:
        cached = list(user.teams.values_list("pk", flat=True))
        user._queue_team_ids = cached  # type: ignore[attr-defined]
    return cached


def queue_view_q(view: QueueView, *, user: User, now: datetime) -> Q:
    """Return the ticket filter of a built-in view as of `now`."""
    if view.team is not None:
        return OPEN_STATUS_Q & Q(team_id=view.team.pk)
    if view.slug == "mine":
        return OPEN_STATUS_Q & Q(assignee_id=user.pk)
    if view.slug == "unassigned":
        return OPEN_STATUS_Q & Q(assignee__isnull=True, team_id__in=team_ids_of(user))
    if view.slug == "open":
        return OPEN_STATUS_Q
    if view.slug == "waiting":
        return Q(status=TicketStatus.PENDING)
    if view.slug == "at-risk":
        # At risk and not breached. A ticket with no breached clock has all its running clocks due
        # after `now`, so its sla_due_at is too: the range lets the SLA index skip every breached
        # ticket (the front of that index) instead of probing their clocks one by one.
        return (
            OPEN_STATUS_Q
            & Q(sla_due_at__gt=now)
            & ticket_sla_state_q("at_risk", now=now)
            & ~ticket_sla_state_q("breached", now=now)
        )
    if view.slug == "breached":
        return OPEN_STATUS_Q & ticket_sla_state_q("breached", now=now)
    if view.slug == "resolved":
        since = now - timedelta(days=RECENTLY_RESOLVED_DAYS)
        return Q(status__in=(TicketStatus.RESOLVED, TicketStatus.CLOSED)) & (
            Q(resolved_at__gte=since) | Q(closed_at__gte=since)
        )
    raise ValueError(f"unknown queue view {view.slug!r}")


# --- filters and search -----------------------------------------------------------------------------

FILTER_KEYS = frozenset({"view", "q", "status", "priority", "team", "assignee", "tag"})
_ID_QUERY = re.compile(r"^#?(\d{1,18})$")


def queue_search_q(text: str) -> Q:
    """Return the filter for free text: every word must match a field; `#123` means ticket 123.

    A word matches the subject, description, requester name or email, organization name, or a tag
    (exactly). A bare number also matches the ticket with that id.
    """
    text = " ".join(text.split())
    if not text:
        return Q()
    match = _ID_QUERY.match(text)
    if match and text.startswith("#"):
        return Q(pk=int(match[1]))
    condition = Q()
    for term in text.split(" ")[:SEARCH_MAX_TERMS]:
        tagged = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag__name__iexact=term)
        condition &= (
            Q(subject__icontains=term)
            | Q(description__icontains=term)
            | Q(requester__full_name__icontains=term)
            | Q(requester__email__icontains=term)
            | Q(organization__name__icontains=term)
            | Q(Exists(tagged))
        )
    return Q(pk=int(match[1])) | condition if match else condition


def queue_filter_q(filters: Mapping[str, Any], *, user: User) -> Q:
    """Return the filter for cleaned `filters` (status, priority, team, assignee, tag and q)."""
    condition = Q()
    if filters.get("status"):
        condition &= Q(status__in=filters["status"])
    if filters.get("priority"):
        condition &= Q(priority__in=filters["priority"])
    if filters.get("team"):
        condition &= Q(team_id__in=[int(pk) for pk in filters["team"]])
    assignee = filters.get("assignee") or ""
    if assignee == "me":
        condition &= Q(assignee_id=user.pk)
    elif assignee == "none":
        condition &= Q(assignee__isnull=True)
    elif assignee:
        condition &= Q(assignee_id=int(assignee))
    if filters.get("tag"):
        tagged = Ticket.tags.through.objects.filter(
            ticket_id=OuterRef("pk"), tag__name__iexact=filters["tag"]
        )
        condition &= Q(Exists(tagged))
    if filters.get("q"):
        condition &= queue_search_q(filters["q"])
    return condition


def _choice_label(user: User) -> str:
    return user.full_name or user.email


class OneOfSelect(forms.Select):
    """A single <select> feeding a multiple-choice field: the bar picks one value, a saved view may
    hold several. The blank "any" option is dropped rather than validated."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if values is None:
            return []
        if isinstance(values, str):
            values = [values]
        return [str(value) for value in values if value not in ("", None)]


class QueueFilterForm(forms.Form):
    """The filter bar: a GET form, also the validator of a saved view's filters, columns and sort."""

    view = forms.CharField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Subject, requester, org, tag or #id"}
        ),
    )
    status = forms.MultipleChoiceField(
        required=False,
        choices=[("", "Any status"), *TicketStatus.choices],
        label="Status",
        widget=OneOfSelect,
    )
    priority = forms.MultipleChoiceField(
        required=False,
        choices=[("", "Any priority"), *Priority.choices],
        label="Priority",
        widget=OneOfSelect,
    )
    team = forms.MultipleChoiceField(required=False, label="Team", widget=OneOfSelect)
    assignee = forms.ChoiceField(required=False, label="Assignee")
    tag = forms.SlugField(required=False, max_length=60, label="Tag")
    sort = forms.ChoiceField(required=False, label="Sort", choices=[("", "View default")])
    col = forms.MultipleChoiceField(
        required=False, choices=list(COLUMNS.items()), label="Columns", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, teams: Sequence[Team], agents: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [  # type: ignore[attr-defined]
            ("", "Any team"),
            *((str(team.pk), team.name) for team in teams),
        ]
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            ("me", "Me"),
            ("none", "Nobody (unassigned)"),
            *((str(agent.pk), _choice_label(agent)) for agent in agents),
        ]
        self.fields["sort"].choices = [  # type: ignore[attr-defined]
            ("", "View default"),
            *((key, label) for key, (label, _order) in SORTS.items()),
        ]

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data.get("q", "").split())

    def clean_tag(self) -> str:
        return (self.cleaned_data.get("tag") or "").lower()

    def clean_col(self) -> list[str]:
        chosen = set(self.cleaned_data.get("col") or ())
        if not chosen:
            return list(DEFAULT_COLUMNS)
        # Keep the table's own column order whatever order they were ticked in.
        return [key for key in COLUMNS if key in chosen or key in REQUIRED_COLUMNS]


def filters_from_saved(saved: SavedView) -> dict[str, Any]:
    """Return a saved view as form data for QueueFilterForm."""
    data: dict[str, Any] = {key: value for key, value in saved.filters.items() if key in FILTER_KEYS}
    data["col"] = list(saved.columns)
    data["sort"] = saved.sort
    return data


# --- the page's query ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueState:
    """What one queue page shows."""

    view: QueueView
    filters: Mapping[str, Any]
    columns: Sequence[str]
    sort: str
    page: int = 1
    saved: SavedView | None = None

    @property
    def has_filters(self) -> bool:
        return any(self.filters.get(key) for key in FILTER_KEYS - {"view"})


def queue_tickets(user: User, state: QueueState, *, now: datetime) -> QuerySet[Ticket]:
    """Return the tickets of a queue page in its order, with what a row shows loaded in one query."""
    order = SORTS[state.sort][1]
    return (
        ticket_list_visible_to(user)
        .select_related(None)
        .prefetch_related(None)
        .select_related("requester", "organization", "team", "assignee")
        .filter(queue_view_q(state.view, user=user, now=now))
        .filter(queue_filter_q(state.filters, user=user))
        .only(
            "id",
            "subject",
            "priority",
            "severity",
            "status",
            "updated_at",
            "created_at",
            "sla_due_at",
            "resolved_at",
            "closed_at",
            "requester__id",
            "requester__full_name",
            "requester__email",
            "organization__id",
            "organization__name",
            "organization__tier",
            "team__id",
            "team__name",
            "assignee__id",
            "assignee__full_name",
            "assignee__email",
        )
        .order_by(*order)
    )


@dataclass
class QueuePage:
    rows: list[Ticket]
    number: int
    has_next: bool
    start: int = field(default=0)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1 if self.rows else self.start


def queue_page(queryset: QuerySet[Ticket], *, number: int) -> QueuePage:
    """Return one page of rows without counting the queue: LIMIT one row more than a page."""
    number = min(max(number, 1), MAX_PAGES)
    offset = (number - 1) * PER_PAGE
    rows = list(queryset[offset : offset + PER_PAGE + 1])
    has_next = len(rows) > PER_PAGE and number < MAX_PAGES
    return QueuePage(rows=rows[:PER_PAGE], number=number, has_next=has_next, start=offset + 1)


def queue_count_capped(queryset: QuerySet[Ticket], *, cap: int = COUNT_CAP) -> int:
    """Return how many rows `queryset` has, counting at most cap + 1 (shown as "cap+")."""
    return queryset.select_related(None).prefetch_related(None).order_by().values("pk")[: cap + 1].count()


# Counts are polled by every open queue page. Per process, each is computed at most once per
# COUNT_CACHE_SECONDS; views that do not depend on who asks are shared by every agent.
COUNT_CACHE_SECONDS = 15.0
_USER_SPECIFIC_VIEWS = frozenset({"mine", "unassigned"})
_count_cache: dict[tuple[str, int | None], tuple[float, int]] = {}


def queue_count_cache_clear() -> None:
    """Forget this process's cached counts (after a change made here, and between tests)."""
    _count_cache.clear()


def queue_counts(user: User, views: Sequence[QueueView], *, now: datetime) -> dict[str, int]:
    """Return each view's capped ticket count (one bounded query per view not cached)."""
    shared = ticket_visibility_q(user) is None
    clock = time.monotonic()
    counts: dict[str, int] = {}
    for view in views:
        key = (view.slug, None if shared and view.slug not in _USER_SPECIFIC_VIEWS else user.pk)
        cached = _count_cache.get(key)
        if cached is not None and clock - cached[0] < COUNT_CACHE_SECONDS:
            counts[view.slug] = cached[1]
            continue
        count = queue_count_capped(
            ticket_list_visible_to(user).filter(queue_view_q(view, user=user, now=now))
        )
        _count_cache[key] = (clock, count)
        counts[view.slug] = count
    return counts


def queue_teams(user: User) -> list[Team]:
    """Return every team (for filters and team views), loaded once per page."""
    return list(team_list_visible_to(user).select_related(None).prefetch_related(None).only("id", "name"))


def queue_agents(user: User) -> list[User]:
    """Return the active agents a ticket can be assigned to or filtered by."""
    return list(
        user_list_visible_to(user)
        .select_related(None)
        .prefetch_related(None)
        .filter(role__in=STAFF_ROLES, is_active=True)
        .only("id", "full_name", "email")
        .order_by("full_name", "email")
    )


# --- saved views: reads ---------------------------------------------------------------------------------


def saved_view_list_visible_to(user: User) -> QuerySet[SavedView]:
    """Return the agent's own saved views and those shared with a team of theirs."""
    if not user.is_active or not user.is_agent:
        return SavedView.objects.none()
    return SavedView.objects.filter(Q(owner_id=user.pk) | Q(team_id__in=team_ids_of(user))).select_related(
        "team", "owner"
    )


def saved_view_get_visible(user: User, saved_view_id: int) -> SavedView:
    """Return one saved view `user` may see; raises SavedView.DoesNotExist otherwise."""
    return saved_view_list_visible_to(user).get(pk=saved_view_id)
