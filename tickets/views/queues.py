"""The agent's queues: built-in and saved views of tickets, most urgent SLA first, with bulk actions.

Reads go through tickets.queues (the queue's selectors); every write goes through a service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from helpdesk.exceptions import DomainError
from helpdesk.models import CustomerTier, SavedView, Team, User
from helpdesk.templatetags.helpdesk_tags import instant
from helpdesk.widgets import options_html
from sla.selectors import SlaChip, ticket_sla_chips
from tickets import queues, services
from tickets.models import Priority, Severity, Ticket, TicketStatus
from tickets.selectors import tag_list_visible_to, ticket_list_visible_to

if TYPE_CHECKING:

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest

# How often an open queue page re-reads its rows and counts (htmx polling).
REFRESH_SECONDS = 20
# Short status names for the table (the full labels explain themselves elsewhere).
STATUS_SHORT = {TicketStatus.PENDING: "Pending", TicketStatus.ON_HOLD: "On hold"}
# Narrow columns show an abbreviation (the full name stays for screen readers).
SHORT_HEADERS = {"id": "#", "priority": "Pri", "severity": "Sev"}
BULK_ACTIONS = {
    "assign_me": "Assign to me",
    "assign": "Assign",
    "status": "Change status",
    "priority": "Change priority",
    "tags": "Add tags",
    "merge": "Merge",
}


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in agents only: anonymous visitors go to sign-in, customers get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_agent:
            raise PermissionDenied("The workspace is for agents.")
        return view(request, *args, **kwargs)

    return wrapper


# --- reading a queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    """One table row: the ticket and what its cells show, worked out once in Python (a template
    lookup per cell per row is what makes a 50-row table slow to render)."""

    ticket: Ticket
    url: str
    chip: SlaChip | None
    status_label: str
    priority_label: str
    severity_label: str
    tier_label: str
    updated: str


PRIORITY_LABELS = dict(Priority.choices)
SEVERITY_LABELS = dict(Severity.choices)
TIER_LABELS = dict(CustomerTier.choices)


def _row(ticket: Ticket, chip: SlaChip | None, from_view: str) -> QueueRow:
    organization = ticket.organization
    url = reverse("tickets:detail", kwargs={"ticket_id": ticket.pk})
    return QueueRow(
        ticket=ticket,
        # The ticket page's next/previous walk this queue.
        url=f"{url}?from={from_view}" if from_view else url,
        chip=chip,
        status_label=STATUS_SHORT.get(ticket.status) or TicketStatus(ticket.status).label,
        priority_label=PRIORITY_LABELS.get(ticket.priority, ticket.priority),
        severity_label=SEVERITY_LABELS.get(ticket.severity, ticket.severity),
        tier_label=TIER_LABELS.get(organization.tier, organization.tier) if organization else "",
        updated=instant(ticket.updated_at),
    )


@dataclass(frozen=True)
class QueueTab:
    view: queues.QueueView
    is_current: bool
    count: int | None

    @property
    def count_text(self) -> str:
        if self.count is None:
            return ""
        return f"{queues.COUNT_CAP}+" if self.count > queues.COUNT_CAP else str(self.count)


@dataclass
class QueueContext:
    """Everything one render of the queue needs, read once."""

    state: queues.QueueState
    form: queues.QueueFilterForm
    teams: list[Team]
    agents: list[User]
    views: list[queues.QueueView]
    saved_views: list[SavedView]
    now: datetime


def _params_have_filters(params: QueryDict) -> bool:
    # The filter bar always submits `q`; its presence means "use these values, not the saved view's".
    return "q" in params or "sort" in params or "col" in params


def _read_queue(request: AuthenticatedHttpRequest, params: QueryDict) -> QueueContext:
    """Parse the query string (or a saved view) into a queue state; Http404 for unknown views."""
    user = request.user
    now = timezone.now()
    teams = queues.queue_teams(user)
    agents = queues.queue_agents(user)
    views = queues.queue_views_for(user, teams=teams)
    saved_views = list(queues.saved_view_list_visible_to(user))
    saved: SavedView | None = None
    raw_saved = params.get("saved", "")
    if raw_saved:
        saved = next((view for view in saved_views if str(view.pk) == raw_saved), None)
        if saved is None:
            raise Http404("No such saved view.")
    if saved is not None and not _params_have_filters(params):
        data: Any = queues.filters_from_saved(saved)
    else:
        data = params
    slug = data.get("view") or queues.DEFAULT_VIEW
    view = queues.queue_view_get(str(slug), teams=teams)
    if view is None:
        raise Http404("No such queue view.")
    form = queues.QueueFilterForm(data, teams=teams, agents=agents)
    cleaned = form.cleaned_data if form.is_valid() else {}
    filters = {
        key: cleaned[key]
        for key in ("q", "status", "priority", "team", "assignee", "tag")
        if cleaned.get(key)
    }
    try:
        page = int(params.get("page", "1"))
    except ValueError:
        page = 1
    state = queues.QueueState(
        view=view,
        filters=filters,
        columns=cleaned.get("col") or list(queues.DEFAULT_COLUMNS),
        sort=cleaned.get("sort") or view.default_sort,
        page=page,
        saved=saved,
    )
    return QueueContext(state, form, teams, agents, views, saved_views, now)


def _rows(request: AuthenticatedHttpRequest, queue: QueueContext) -> queues.QueuePage:
    page = queues.queue_page(
        queues.queue_tickets(request.user, queue.state, now=queue.now), number=queue.state.page
    )
    chips = ticket_sla_chips([ticket.pk for ticket in page.rows], now=queue.now) if page.rows else {}
    from_view = "" if queue.state.saved else queue.state.view.slug
    page.rows = [_row(ticket, chips.get(ticket.pk), from_view) for ticket in page.rows]  # type: ignore[misc]
    return page


def _tabs(request: AuthenticatedHttpRequest, queue: QueueContext, *, with_counts: bool) -> list[QueueTab]:
    counts = queues.queue_counts(request.user, queue.views, now=queue.now) if with_counts else {}
    current = None if queue.state.saved else queue.state.view.slug
    return [QueueTab(view, view.slug == current, counts.get(view.slug)) for view in queue.views]


def _state_query(state: queues.QueueState, *, page: int | None = None) -> str:
    """Return the query string that reproduces `state` (for links, polling and redirects)."""
    query = QueryDict(mutable=True)
    if state.saved is not None:
        query["saved"] = str(state.saved.pk)
    query["view"] = state.view.slug
    query["q"] = state.filters.get("q", "")
    for key in ("status", "priority", "team"):
        query.setlist(key, [str(value) for value in state.filters.get(key, ())])
    for key in ("assignee", "tag"):
        if state.filters.get(key):
            query[key] = state.filters[key]
    if state.sort != state.view.default_sort:
        query["sort"] = state.sort
    if list(state.columns) != list(queues.DEFAULT_COLUMNS):
        query.setlist("col", list(state.columns))
    if page and page > 1:
        query["page"] = str(page)
    return query.urlencode()


def _context(
    request: AuthenticatedHttpRequest,
    queue: QueueContext,
    *,
    with_counts: bool = False,
    bulk_form: BulkActionForm | None = None,
    save_form: SavedViewForm | None = None,
    selected: Sequence[int] = (),
) -> dict[str, Any]:
    state = queue.state
    page = _rows(request, queue)
    bulk_form = bulk_form or BulkActionForm(agents=queue.agents)
    own_team_ids = {view.team.pk for view in queue.views if view.team is not None}
    return {
        "queue": queue,
        "state": state,
        "form": queue.form,
        "page": page,
        "columns": list(state.columns),
        "column_labels": [(key, queues.COLUMNS[key], SHORT_HEADERS.get(key, "")) for key in state.columns],
        "column_count": len(state.columns) + 1,
        "tabs": _tabs(request, queue, with_counts=with_counts),
        "saved_views": queue.saved_views,
        "title": state.saved.name if state.saved else state.view.label,
        "sort_label": queues.SORTS[state.sort][0],
        "query": _state_query(state, page=state.page),
        "state_query": _state_query(state),
        "first_query": _state_query(state, page=1),
        "previous_query": _state_query(state, page=page.number - 1),
        "next_query": _state_query(state, page=page.number + 1),
        "refresh_seconds": REFRESH_SECONDS,
        "bulk_form": bulk_form,
        "bulk_options": {name: _options(bulk_form[name]) for name in ("assignee", "status", "priority")},
        "save_form": save_form or SavedViewForm(teams=[t for t in queue.teams if t.pk in own_team_ids]),
        "selected": set(selected),
        "filter_hidden": _filter_hidden_inputs(state),
        "filter_fields": [
            (queue.form[name], "" if name == "tag" else _options(queue.form[name]))
            for name in ("status", "priority", "team", "assignee", "tag")
        ],
        "sort_options": _options(queue.form["sort"]),
        "show": dict.fromkeys(state.columns, True),
        "is_own_saved": state.saved is not None and state.saved.owner_id == request.user.pk,
    }


def _options(field: forms.BoundField) -> str:
    """Return a select's <option>s with the submitted value(s) selected, built in Python: the agent
    list appears twice on the page, and a template loop per option is most of a render."""
    value = field.value()
    chosen = (
        set()
        if value in (None, "")
        else {str(v) for v in (value if isinstance(value, list | tuple) else [value])} - {""}
    )
    return options_html(field.field.choices, chosen)  # type: ignore[attr-defined]


def _filter_hidden_inputs(state: queues.QueueState) -> list[tuple[str, str]]:
    """Return the current state as (name, value) pairs for a form that saves it."""
    pairs = [("view", state.view.slug), ("q", state.filters.get("q", "")), ("sort", state.sort)]
    for key in ("status", "priority", "team"):
        pairs += [(key, str(value)) for value in state.filters.get(key, ())]
    for key in ("assignee", "tag"):
        if state.filters.get(key):
            pairs.append((key, str(state.filters[key])))
    pairs += [("col", column) for column in state.columns]
    return pairs


def _render_page(
    request: AuthenticatedHttpRequest, params: QueryDict, *, status: int = 200, **extra: Any
) -> HttpResponse:
    queue = _read_queue(request, params)
    if queue.form.errors and status == 200:
        status = 400
    response = render(request, "tickets/queue.html", _context(request, queue, **extra), status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_GET
@agent_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The queue page; an htmx poll of `#queue-results` gets the rows and the tab counts only."""
    if request.htmx and request.htmx.target == "queue-results":
        queue_ = _read_queue(request, request.GET)
        response = render(request, "tickets/_queue_poll.html", _context(request, queue_, with_counts=True))
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response
    return _render_page(request, request.GET)


@require_GET
@agent_required
def queue_tabs(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tabs with their counts, loaded after the page so a slow count never delays the rows."""
    queue_ = _read_queue(request, request.GET)
    current = None if queue_.state.saved else queue_.state.view.slug
    counts = queues.queue_counts(request.user, queue_.views, now=queue_.now)
    tabs = [QueueTab(view, view.slug == current, counts.get(view.slug)) for view in queue_.views]
    context = {"tabs": tabs, "saved_views": queue_.saved_views, "state": queue_.state}
    return render(request, "tickets/_queue_tabs.html", context)


# --- bulk actions ---------------------------------------------------------------------------------------


class TicketIdsField(forms.Field):
    """The ticked rows: a list of ticket ids."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value or []
        try:
            ids = sorted({int(item) for item in values})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError("Select tickets from the list.") from error
        if not ids:
            raise forms.ValidationError("Select at least one ticket.")
        return ids


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    ticket = TicketIdsField(error_messages={"required": "Select at least one ticket."})
    assignee = forms.ChoiceField(required=False, label="Assign to")
    status = forms.ChoiceField(
        required=False, choices=[("", "Choose…"), *TicketStatus.choices], label="Status"
    )
    priority = forms.ChoiceField(
        required=False, choices=[("", "Choose…"), *Priority.choices], label="Priority"
    )
    tags = forms.CharField(
        required=False, max_length=300, label="Tags", help_text="Comma-separated tag names."
    )
    merge_into = forms.IntegerField(required=False, min_value=1, label="Merge into ticket #")

    def __init__(self, *args: Any, agents: Sequence[User], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "Choose…"),
            *((str(agent.pk), agent.full_name or agent.email) for agent in agents),
        ]

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return sorted({name.strip().lower() for name in raw.replace(" ", ",").split(",") if name.strip()})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        needs = {"assign": "assignee", "status": "status", "priority": "priority", "tags": "tags"}
        needed = needs.get(cleaned.get("action", ""))
        if needed and not cleaned.get(needed):
            self.add_error(needed, "Choose a value to apply.")
        if cleaned.get("action") == "merge" and not cleaned.get("merge_into"):
            self.add_error("merge_into", "Enter the ticket number to merge into.")
        return cleaned


def _add_domain_errors(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: under the field it names, else above the form."""
    for name, field_messages in error.field_errors.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)
    if not error.field_errors:
        form.add_error(None, error.message)


def _changed_count(actor: User, ticket_ids: Sequence[int], field: str, value: Any) -> int:
    """Return how many of the tickets do not have `value` yet (for the success message)."""
    tickets = ticket_list_visible_to(actor).select_related(None).prefetch_related(None).order_by()
    return tickets.filter(pk__in=list(ticket_ids)).exclude(**{field: value}).count()


def _apply_bulk(form: BulkActionForm, *, actor: User, agents: Sequence[User]) -> tuple[int, int]:
    """Run the chosen bulk action through the services; return (changed, selected)."""
    data = form.cleaned_data
    ids: list[int] = data["ticket"]
    action = data["action"]
    if action == "tags":
        known = {tag.name: tag for tag in tag_list_visible_to(actor).filter(name__in=data["tags"])}
        unknown = [name for name in data["tags"] if name not in known]
        if unknown:
            raise DomainError(
                "Unknown tags.", field_errors={"tags": [f"There is no tag “{name}”." for name in unknown]}
            )
        return services.tickets_add_tags(ticket_ids=ids, tags=list(known.values()), actor=actor), len(ids)
    if action == "merge":
        original_id = data["merge_into"]
        if not ticket_list_visible_to(actor).filter(pk=original_id).exists():
            raise DomainError(
                "Unknown target.", field_errors={"merge_into": [f"There is no ticket #{original_id}."]}
            )
        return services.tickets_merge_into(ticket_ids=ids, original_id=original_id, actor=actor), len(ids)
    if action in ("assign_me", "assign"):
        assignee = (
            actor if action == "assign_me" else next(a for a in agents if str(a.pk) == data["assignee"])
        )
        changes: dict[str, Any] = {"assignee": assignee}
        changed = _changed_count(actor, ids, "assignee_id", assignee.pk)
    else:
        changes = {action: data[action]}
        changed = _changed_count(actor, ids, action, data[action])
    services.ticket_bulk_update(ticket_ids=ids, changes=changes, actor=actor)
    return changed, len(ids)


@require_POST
@agent_required
def queue_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Apply one action to the ticked tickets, then go back to the same queue (errors: stay, 400)."""
    params = QueryDict(request.POST.get("query", ""))
    agents = queues.queue_agents(request.user)
    form = BulkActionForm(request.POST, agents=agents)
    selected = [int(value) for value in request.POST.getlist("ticket") if value.isdigit()]
    if form.is_valid():
        visible = set(
            ticket_list_visible_to(request.user)
            .filter(pk__in=form.cleaned_data["ticket"])
            .values_list("pk", flat=True)
        )
        missing = [pk for pk in form.cleaned_data["ticket"] if pk not in visible]
        try:
            if missing:
                raise DomainError(
                    "Unknown tickets.",
                    field_errors={"ticket": [f"There is no ticket #{pk}." for pk in missing]},
                )
            changed, total = _apply_bulk(form, actor=request.user, agents=agents)
        except DomainError as error:
            _add_domain_errors(form, error)
        else:
            queues.queue_count_cache_clear()
            label = BULK_ACTIONS[form.cleaned_data["action"]]
            noun = "ticket" if total == 1 else "tickets"
            messages.success(request, f"{label}: {changed} of {total} selected {noun} changed.")
            return redirect(f"{reverse('tickets:queue')}?{params.urlencode()}")
    return _render_page(request, params, status=400, bulk_form=form, selected=selected)


# --- saved views -----------------------------------------------------------------------------------


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=queues.SAVED_VIEW_NAME_MAX, label="Name")
    share_with = forms.ChoiceField(required=False, label="Visible to")

    def __init__(self, *args: Any, teams: Sequence[Team], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "save-view-%s")
        super().__init__(*args, **kwargs)
        self.teams = {str(team.pk): team for team in teams}
        self.fields["share_with"].choices = [  # type: ignore[attr-defined]
            ("", "Only me"),
            *((pk, f"Team {team.name}") for pk, team in self.teams.items()),
        ]


def _own_teams(request: AuthenticatedHttpRequest) -> list[Team]:
    return list(request.user.teams.only("id", "name").order_by("name"))


@require_POST
@agent_required
def saved_view_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Keep the current filters, columns and sort as a named view (private or for a team)."""
    form = SavedViewForm(request.POST, teams=_own_teams(request))
    queue_ = _read_queue(request, request.POST)
    if form.is_valid() and not queue_.form.errors:
        state = queue_.state
        try:
            saved = services.saved_view_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                team=form.teams.get(form.cleaned_data["share_with"]),
                filters={"view": state.view.slug, **state.filters},
                columns=list(state.columns),
                sort=state.sort if state.sort != state.view.default_sort else "",
            )
        except DomainError as error:
            _add_domain_errors(form, error)
        else:
            messages.success(request, f"Saved view “{saved.name}” created.")
            return redirect(f"{reverse('tickets:queue')}?saved={saved.pk}")
    elif queue_.form.errors:
        for name, errors in queue_.form.errors.items():
            for message in errors:
                form.add_error(None, f"{name}: {message}")
    return _render_page(request, request.POST, status=400, save_form=form)


def _own_saved_view_or_refuse(request: AuthenticatedHttpRequest, saved_view_id: int) -> SavedView:
    try:
        saved = queues.saved_view_get_visible(request.user, saved_view_id)
    except SavedView.DoesNotExist as error:
        raise Http404("No such saved view.") from error
    if saved.owner_id != request.user.pk:
        raise PermissionDenied("Only the view's owner can change it.")
    return saved


@require_POST
@agent_required
def saved_view_rename(request: AuthenticatedHttpRequest, saved_view_id: int) -> HttpResponse:
    """Rename one's own saved view; someone else's shared view is refused (403), a hidden one is 404."""
    saved = _own_saved_view_or_refuse(request, saved_view_id)
    name = request.POST.get("name", "")
    try:
        saved = services.saved_view_rename(saved_view_id=saved.pk, actor=request.user, name=name)
    except DomainError as error:
        for message in [m for ms in error.field_errors.values() for m in ms] or [error.message]:
            messages.error(request, message)
        return redirect(f"{reverse('tickets:queue')}?saved={saved.pk}")
    messages.success(request, f"Renamed to “{saved.name}”.")
    return redirect(f"{reverse('tickets:queue')}?saved={saved.pk}")


@require_POST
@agent_required
def saved_view_delete(request: AuthenticatedHttpRequest, saved_view_id: int) -> HttpResponse:
    """Delete one's own saved view; someone else's is refused."""
    saved = _own_saved_view_or_refuse(request, saved_view_id)
    services.saved_view_delete(saved_view_id=saved.pk, actor=request.user)
    messages.success(request, f"Saved view “{saved.name}” deleted.")
    return redirect("tickets:queue")


urlpatterns = [
    path("", queue, name="queue"),
    path("tabs/", queue_tabs, name="queue-tabs"),
    path("bulk/", queue_bulk, name="queue-bulk"),
    path("views/", saved_view_create, name="saved-view-create"),
    path("views/<int:saved_view_id>/rename/", saved_view_rename, name="saved-view-rename"),
    path("views/<int:saved_view_id>/delete/", saved_view_delete, name="saved-view-delete"),
]
