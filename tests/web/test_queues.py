"""The agent queues page (/tickets/): views, order, counts, search, saved views and bulk actions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.models import Organization, SavedView, Team, User
from sla.models import ClockState, SlaClock, SlaPolicyVersion
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    OrganizationFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
)
from tickets import queues, services
from tickets.models import Priority, Ticket, TicketEvent, TicketStatus

pytestmark = pytest.mark.django_db

S = TicketStatus
QUEUE = "/tickets/"
TABS = "/tickets/tabs/"
BULK = "/tickets/bulk/"
VIEWS = "/tickets/views/"


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    queues.queue_count_cache_clear()
    yield
    queues.queue_count_cache_clear()


@pytest.fixture
def now() -> datetime:
    return timezone.now()


@pytest.fixture
def web(agent: User, team: Team) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def other_team(other_agent: User) -> Team:
    other = TeamFactory(name="Billing", slug="billing")
    other.members.add(other_agent)
    return other


def _ticket(**fields: Any) -> Ticket:
    """A bare ticket row; sla_due_at is written as the SLA engine would have."""
    sla_due_at = fields.pop("sla_due_at", None)
    ticket = TicketFactory(**fields)
    if sla_due_at is not None:
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=sla_due_at)
        ticket.refresh_from_db()
    return ticket


def _clock(
    ticket: Ticket, now: datetime, *, used: float, target: int = 3600, paused: bool = False
) -> SlaClock:
    """A stored resolution clock that has used `used` of its target as of `now` (1.2 = 20 % over)."""
    version = SlaPolicyVersion.objects.order_by("pk").first()
    assert version is not None
    elapsed = used * target
    due_at = None if paused else now + timedelta(seconds=target - elapsed)
    warned = max((level for level in (50, 80, 90, 100) if used * 100 >= level), default=0)
    clock = SlaClock.objects.create(
        ticket=ticket,
        metric="resolution",
        policy_version=version,
        target_seconds=target,
        state=ClockState.PAUSED if paused else ClockState.RUNNING,
        started_at=now - timedelta(seconds=elapsed),
        elapsed_seconds=elapsed,
        computed_at=now,
        due_at=due_at,
        warned_level=0 if paused else warned,
        breached_at=now - timedelta(seconds=elapsed - target) if used >= 1 and not paused else None,
    )
    if due_at is not None:
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due_at)
    return clock


def _row_ids(response: Any) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-ticket-id="(\d+)"', response.content.decode())]


def _counts(response: Any) -> dict[str, str]:
    html = response.content.decode()
    return dict(re.findall(r'data-count-for="([\w-]+)">([^<]*)<', html))


# --- views and order ------------------------------------------------------------------------------


@pytest.fixture
def board(agent: User, other_agent: User, team: Team, other_team: Team, now: datetime) -> dict[str, Ticket]:
    """One ticket for each built-in view, plus ones no open view shows."""
    tickets = {
        "mine": _ticket(status=S.IN_PROGRESS, assignee=agent, team=team, sla_due_at=now + timedelta(hours=5)),
        "unassigned_mine": _ticket(status=S.NEW, team=team, sla_due_at=now + timedelta(hours=6)),
        "unassigned_other": _ticket(status=S.NEW, team=other_team, sla_due_at=now + timedelta(hours=7)),
        "waiting": _ticket(status=S.PENDING, assignee=other_agent, team=other_team),
        "at_risk": _ticket(status=S.IN_PROGRESS, assignee=other_agent, team=other_team),
        "breached": _ticket(status=S.TRIAGED, team=other_team),
        "resolved": _ticket(status=S.RESOLVED, assignee=agent, resolved_at=now - timedelta(days=1)),
        "closed_recently": _ticket(status=S.CLOSED, closed_at=now - timedelta(hours=2)),
        "closed_long_ago": _ticket(status=S.CLOSED, closed_at=now - timedelta(days=9)),
    }
    _clock(tickets["at_risk"], now, used=0.85)
    _clock(tickets["breached"], now, used=1.2)
    _clock(tickets["waiting"], now, used=0.3, paused=True)
    for ticket in tickets.values():
        ticket.refresh_from_db()
    return tickets


OPEN_NAMES = ["mine", "unassigned_mine", "unassigned_other", "waiting", "at_risk", "breached"]


@pytest.mark.parametrize(
    ("_case", "query", "expected"),
    [
        ("default is my open tickets", "", ["mine"]),
        ("my open tickets", "?view=mine", ["mine"]),
        ("unassigned in my teams only", "?view=unassigned", ["unassigned_mine"]),
        (
            "all open, most urgent SLA first, no SLA last",
            "?view=open",
            ["breached", "at_risk", "mine", "unassigned_mine", "unassigned_other", "waiting"],
        ),
        ("waiting on customer", "?view=waiting", ["waiting"]),
        ("at risk, not breached", "?view=at-risk", ["at_risk"]),
        ("breached", "?view=breached", ["breached"]),
        ("resolved or closed in 7 days, newest first", "?view=resolved", ["closed_recently", "resolved"]),
    ],
)
def test_built_in_view_shows_its_tickets_in_order(
    web: Client, board: dict[str, Ticket], _case: str, query: str, expected: list[str]
) -> None:
    # when
    response = web.get(QUEUE + query)

    # then
    assert response.status_code == 200
    assert _row_ids(response) == [board[name].pk for name in expected]


def test_team_view_shows_the_team_open_tickets(
    web: Client, board: dict[str, Ticket], other_team: Team
) -> None:
    response = web.get(f"{QUEUE}?view=team-{other_team.pk}")

    assert response.status_code == 200
    assert set(_row_ids(response)) == {
        board[name].pk for name in ("unassigned_other", "waiting", "at_risk", "breached")
    }


def test_agent_gets_one_tab_per_own_team(web: Client, team: Team, other_team: Team) -> None:
    response = web.get(QUEUE)

    html = response.content.decode()
    assert f'href="?view=team-{team.pk}"' in html
    assert f'href="?view=team-{other_team.pk}"' not in html


def test_unknown_view_is_404(web: Client) -> None:
    assert web.get(QUEUE + "?view=everything").status_code == 404
    assert web.get(QUEUE + "?view=team-999999").status_code == 404


def test_sla_order_is_due_instant_then_priority_then_first_in(
    web: Client, agent: User, now: datetime
) -> None:
    # given: tickets of the agent with the same due instant but different priorities and ages
    due = now + timedelta(hours=2)

    def mine(**fields: Any) -> Ticket:
        return _ticket(status=S.IN_PROGRESS, assignee=agent, **fields)

    later_p3_old = mine(priority=Priority.P3, sla_due_at=due, created_at=now - timedelta(hours=3))
    later_p3_new = mine(priority=Priority.P3, sla_due_at=due, created_at=now - timedelta(hours=1))
    later_p1 = mine(priority=Priority.P1, sla_due_at=due, created_at=now)
    soonest = mine(priority=Priority.P5, sla_due_at=now + timedelta(minutes=10))
    no_clock = mine(priority=Priority.P1)

    # when
    response = web.get(QUEUE + "?view=mine")

    # then
    assert _row_ids(response) == [soonest.pk, later_p1.pk, later_p3_old.pk, later_p3_new.pk, no_clock.pk]


def test_queue_orders_exactly_like_the_sla_index() -> None:
    # The default ORDER BY must match ticket_open_sla_idx column for column, or Postgres sorts.
    state = queues.QueueState(
        view=queues.BUILT_IN_VIEWS[2], filters={}, columns=queues.DEFAULT_COLUMNS, sort="sla"
    )
    sql = str(queues.queue_tickets(AgentFactory(), state, now=timezone.now()).query)
    order = sql.split("ORDER BY")[1]
    assert order.strip() == (
        '"tickets_ticket"."sla_due_at" ASC NULLS LAST, "tickets_ticket"."priority" ASC, '
        '"tickets_ticket"."created_at" ASC, "tickets_ticket"."id" ASC'
    )


def test_rows_show_chip_tier_and_link(web: Client, board: dict[str, Ticket]) -> None:
    response = web.get(QUEUE + "?view=at-risk")

    html = response.content.decode()
    ticket = board["at_risk"]
    assert f'href="/tickets/{ticket.pk}/?from=at-risk"' in html  # next/previous walk this queue
    assert "sla-chip sla-chip--orange" in html
    assert f"tier--{ticket.organization.tier}" in html


def test_sorting_by_recent_update(web: Client, agent: User, now: datetime) -> None:
    old = _ticket(status=S.IN_PROGRESS, assignee=agent, updated_at=now - timedelta(days=2), sla_due_at=now)
    new = _ticket(status=S.IN_PROGRESS, assignee=agent, updated_at=now, sla_due_at=now + timedelta(hours=1))

    response = web.get(QUEUE + "?view=mine&q=&sort=updated")

    assert _row_ids(response) == [new.pk, old.pk]


def test_next_page_link_pages_through_the_queue(
    web: Client, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queues, "PER_PAGE", 2)
    tickets = [_ticket(status=S.IN_PROGRESS, assignee=agent) for _ in range(3)]

    first = web.get(QUEUE + "?view=mine")
    second = web.get(QUEUE + "?view=mine&page=2")

    assert 'rel="next"' in first.content.decode()
    assert 'rel="next"' not in second.content.decode()
    assert _row_ids(first) + _row_ids(second) == [ticket.pk for ticket in tickets]


# --- counts ---------------------------------------------------------------------------------------


def test_tabs_show_each_view_count(
    web: Client, board: dict[str, Ticket], team: Team, other_team: Team
) -> None:
    response = web.get(TABS + "?view=open")

    assert response.status_code == 200
    assert _counts(response) == {
        "mine": "1",
        "unassigned": "1",
        f"team-{team.pk}": "2",
        "open": "6",
        "waiting": "1",
        "at-risk": "1",
        "breached": "1",
        "resolved": "2",
    }


def test_counts_stop_at_the_cap(
    web: Client, board: dict[str, Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queues, "COUNT_CAP", 4)

    response = web.get(TABS)

    assert _counts(response)["open"] == "4+"
    assert _counts(response)["mine"] == "1"


def test_poll_returns_rows_and_counts_only(web: Client, board: dict[str, Ticket]) -> None:
    response = web.get(QUEUE + "?view=open", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="queue-tabs"' in html
    assert 'hx-swap-oob="true"' in html
    assert _counts(response)["open"] == "6"
    assert len(_row_ids(response)) == 6


# --- search and filters -------------------------------------------------------------------------


@pytest.fixture
def findable(agent: User) -> dict[str, Ticket]:
    printer_org = OrganizationFactory(name="Initech")
    requester = CustomerFactory(
        email="milton@stapler.test", full_name="Milton Waddams", organization=printer_org
    )
    tag = TagFactory(name="vpn")
    tagged = _ticket(status=S.NEW, subject="Cannot connect", assignee=agent)
    tagged.tags.add(tag)
    return {
        "subject": _ticket(status=S.NEW, subject="Printer on fire", description="smoke", assignee=agent),
        "description": _ticket(status=S.NEW, subject="Help", description="The fax is jammed", assignee=agent),
        "requester": _ticket(status=S.NEW, subject="Question", requester=requester, assignee=agent),
        "tagged": tagged,
        "other": _ticket(status=S.NEW, subject="Unrelated", assignee=agent),
    }


@pytest.mark.parametrize(
    ("_case", "query", "expected"),
    [
        ("a word of the subject", "printer", ["subject"]),
        ("a word of the description", "fax", ["description"]),
        ("requester name", "waddams", ["requester"]),
        ("requester email", "stapler.test", ["requester"]),
        ("organization name", "initech", ["requester"]),
        ("tag", "vpn", ["tagged"]),
        ("every word must match", "printer fax", []),
    ],
)
def test_search_finds_by_text(
    web: Client, findable: dict[str, Ticket], _case: str, query: str, expected: list[str]
) -> None:
    response = web.get(QUEUE, {"view": "open", "q": query})

    assert sorted(_row_ids(response)) == sorted(findable[name].pk for name in expected)


def test_search_by_ticket_number(web: Client, findable: dict[str, Ticket]) -> None:
    target = findable["tagged"]

    by_hash = web.get(QUEUE, {"view": "open", "q": f"#{target.pk}"})
    bare = web.get(QUEUE, {"view": "open", "q": str(target.pk)})

    assert _row_ids(by_hash) == [target.pk]
    assert target.pk in _row_ids(bare)


def test_search_reaches_closed_tickets_in_the_resolved_view(web: Client, agent: User, now: datetime) -> None:
    done = _ticket(status=S.RESOLVED, subject="Printer fixed", resolved_at=now)

    response = web.get(QUEUE, {"view": "resolved", "q": "printer"})

    assert _row_ids(response) == [done.pk]


@pytest.mark.parametrize(
    ("_case", "params", "expected"),
    [
        ("status", {"status": "pending"}, ["waiting"]),
        ("assignee: nobody", {"assignee": "none"}, ["unassigned_mine", "unassigned_other", "breached"]),
        ("assignee: me", {"assignee": "me"}, ["mine"]),
    ],
)
def test_filters_narrow_the_view(
    web: Client, board: dict[str, Ticket], _case: str, params: dict[str, str], expected: list[str]
) -> None:
    response = web.get(QUEUE, {"view": "open", "q": "", **params})

    assert sorted(_row_ids(response)) == sorted(board[name].pk for name in expected)


def test_team_priority_and_tag_filters(web: Client, agent: User, team: Team, other_team: Team) -> None:
    tag = TagFactory(name="billing-issue")
    match = _ticket(status=S.NEW, team=other_team, priority=Priority.P1)
    match.tags.add(tag)
    _ticket(status=S.NEW, team=other_team, priority=Priority.P1)
    wrong_team = _ticket(status=S.NEW, team=team, priority=Priority.P1)
    wrong_team.tags.add(tag)

    response = web.get(
        QUEUE, {"view": "open", "q": "", "team": other_team.pk, "priority": "p1", "tag": "billing-issue"}
    )

    assert _row_ids(response) == [match.pk]


def test_filter_values_stay_on_the_page(web: Client, board: dict[str, Ticket]) -> None:
    response = web.get(QUEUE, {"view": "open", "q": "printer", "status": "pending", "assignee": "me"})

    html = response.content.decode()
    search_box = re.search(r'<input type="search"[^>]*>', html)
    assert search_box is not None
    assert 'value="printer"' in search_box.group()
    assert '<option value="pending" selected>' in html
    assert '<option value="me" selected>' in html


@pytest.mark.parametrize(
    ("_case", "params"),
    [
        ("unknown status", {"status": "exploded"}),
        ("unknown sort", {"sort": "by-mood"}),
        ("unknown column", {"col": "password"}),
        ("unknown assignee", {"assignee": "999999"}),
        ("malformed tag", {"tag": "no spaces allowed"}),
    ],
)
def test_invalid_filters_are_form_errors_not_500(web: Client, _case: str, params: dict[str, str]) -> None:
    response = web.get(QUEUE, {"view": "open", "q": "", **params})

    assert response.status_code == 400
    assert "queue-filter__error" in response.content.decode()


# --- saved views ------------------------------------------------------------------------------------


def test_agent_saves_the_current_view(web: Client, agent: User, board: dict[str, Ticket]) -> None:
    # when
    response = web.post(
        VIEWS,
        {
            "name": "Pending",
            "share_with": "",
            "view": "open",
            "q": "",
            "status": "pending",
            "sort": "updated",
            "col": ["id", "subject", "sla"],
        },
    )

    # then
    saved = SavedView.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/?saved={saved.pk}"
    assert (saved.owner, saved.name, saved.team) == (agent, "Pending", None)
    assert saved.filters == {"view": "open", "status": ["pending"]}
    assert (saved.columns, saved.sort) == (["id", "subject", "sla"], "updated")

    # and opening it applies filters, columns and sort
    page = web.get(f"{QUEUE}?saved={saved.pk}")
    html = page.content.decode()
    assert _row_ids(page) == [board["waiting"].pk]
    assert 'class="col-sla"' in html
    assert 'class="col-assignee"' not in html


def test_saved_view_with_unknown_column_is_refused(web: Client) -> None:
    response = web.post(VIEWS, {"name": "Odd", "view": "open", "q": "", "col": ["subject", "salary"]})

    assert response.status_code == 400
    assert SavedView.objects.count() == 0


def test_saved_view_names_are_unique_per_owner(web: Client, agent: User) -> None:
    SavedView.objects.create(owner=agent, name="Mine")

    response = web.post(VIEWS, {"name": "mine", "view": "open", "q": ""})

    assert response.status_code == 400
    assert "already have a view named" in response.content.decode()
    assert SavedView.objects.count() == 1


def test_cannot_share_with_a_team_one_is_not_in(web: Client, other_team: Team) -> None:
    response = web.post(VIEWS, {"name": "Sneaky", "view": "open", "q": "", "share_with": other_team.pk})

    assert response.status_code == 400
    assert SavedView.objects.count() == 0


def test_shared_view_is_visible_to_team_members_only(
    agent: User, team: Team, other_team: Team, other_agent: User
) -> None:
    # given: a teammate of the agent shares a view with their team; another team keeps a private one
    teammate = AgentFactory()
    team.members.add(teammate)
    shared = SavedView.objects.create(owner=teammate, name="Team P1s", team=team, filters={"view": "open"})
    private = SavedView.objects.create(owner=other_agent, name="Secret", filters={"view": "open"})
    other_shared = SavedView.objects.create(owner=other_agent, name="Billing only", team=other_team)
    client = Client()
    client.force_login(agent)

    # when
    page = client.get(QUEUE)

    # then
    html = page.content.decode()
    assert "Team P1s" in html
    assert "Secret" not in html
    assert "Billing only" not in html
    assert client.get(f"{QUEUE}?saved={shared.pk}").status_code == 200
    assert client.get(f"{QUEUE}?saved={private.pk}").status_code == 404
    assert client.get(f"{QUEUE}?saved={other_shared.pk}").status_code == 404


def test_owner_renames_and_deletes_a_saved_view(web: Client, agent: User) -> None:
    saved = SavedView.objects.create(owner=agent, name="Old")

    renamed = web.post(f"{VIEWS}{saved.pk}/rename/", {"name": "  New   name "})
    saved.refresh_from_db()
    assert renamed.status_code == 302
    assert saved.name == "New name"

    deleted = web.post(f"{VIEWS}{saved.pk}/delete/")
    assert deleted.status_code == 302
    assert not SavedView.objects.filter(pk=saved.pk).exists()


@pytest.mark.parametrize(
    ("_case", "shared", "expected_status"),
    [
        ("a teammate's shared view can be seen but not changed", True, 403),
        ("someone's private view is not even found", False, 404),
    ],
)
def test_editing_someone_elses_view_is_refused(
    web: Client, team: Team, _case: str, shared: bool, expected_status: int
) -> None:
    teammate = AgentFactory()
    team.members.add(teammate)
    saved = SavedView.objects.create(owner=teammate, name="Theirs", team=team if shared else None)

    rename = web.post(f"{VIEWS}{saved.pk}/rename/", {"name": "Mine now"})
    delete = web.post(f"{VIEWS}{saved.pk}/delete/")

    assert (rename.status_code, delete.status_code) == (expected_status, expected_status)
    saved.refresh_from_db()
    assert saved.name == "Theirs"


def test_saved_view_service_refuses_unknown_filters(agent: User) -> None:
    from helpdesk.exceptions import DomainError

    with pytest.raises(DomainError) as error:
        services.saved_view_create(
            owner=agent, name="X", filters={"mood": "happy"}, columns=["nope"], sort="random"
        )

    assert set(error.value.field_errors) == {"filters", "columns", "sort"}
    assert SavedView.objects.count() == 0


# --- bulk actions --------------------------------------------------------------------------------------


@pytest.fixture
def customer_tickets(customer: User) -> list[Ticket]:
    return [services.ticket_create(requester=customer, subject=f"Bulk {n}") for n in range(3)]


def _bulk(client: Client, tickets: list[Ticket], action: str, **fields: Any) -> Any:
    return client.post(
        BULK, {"action": action, "ticket": [t.pk for t in tickets], "query": "view=open&q=", **fields}
    )


def test_bulk_assign_to_me_then_retry_changes_nothing_more(
    web: Client, agent: User, customer_tickets: list[Ticket]
) -> None:
    # when
    response = _bulk(web, customer_tickets, "assign_me")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/tickets/?view=open&q="
    assert {t.assignee_id for t in Ticket.objects.filter(pk__in=[t.pk for t in customer_tickets])} == {
        agent.pk
    }
    page = web.get(response["Location"])
    assert "Assign to me: 3 of 3 selected tickets changed." in page.content.decode()

    # when: the same form is submitted again (a double click, a retry)
    events = TicketEvent.objects.count()
    again = _bulk(web, customer_tickets, "assign_me")

    # then
    assert again.status_code == 302
    assert TicketEvent.objects.count() == events
    assert "Assign to me: 0 of 3 selected tickets changed." in web.get(again["Location"]).content.decode()


def test_bulk_assign_to_another_agent(web: Client, other_agent: User, customer_tickets: list[Ticket]) -> None:
    response = _bulk(web, customer_tickets[:2], "assign", assignee=other_agent.pk)

    assert response.status_code == 302
    assert [t.assignee_id for t in Ticket.objects.order_by("pk")] == [other_agent.pk, other_agent.pk, None]


def test_bulk_status_and_priority(web: Client, customer_tickets: list[Ticket]) -> None:
    assert _bulk(web, customer_tickets, "priority", priority="p1").status_code == 302
    assert _bulk(web, customer_tickets, "status", status="pending").status_code == 302

    assert set(Ticket.objects.values_list("priority", "status")) == {("p1", "pending")}


def test_bulk_add_tags_keeps_the_tickets_other_tags(web: Client, customer_tickets: list[Ticket]) -> None:
    vip, urgent = TagFactory(name="vip"), TagFactory(name="urgent")
    customer_tickets[0].tags.add(vip)

    response = _bulk(web, customer_tickets, "tags", tags="urgent, vip")

    assert response.status_code == 302
    tags = {t.pk: sorted(t.tags.values_list("name", flat=True)) for t in Ticket.objects.all()}
    assert tags == {t.pk: ["urgent", "vip"] for t in customer_tickets}
    assert "Add tags: 3 of 3" in web.get(response["Location"]).content.decode()
    assert urgent.tickets.count() == 3


def test_bulk_merge_into_a_chosen_ticket(web: Client, customer_tickets: list[Ticket]) -> None:
    target, *duplicates = customer_tickets

    response = _bulk(web, customer_tickets, "merge", merge_into=target.pk)
    again = _bulk(web, customer_tickets, "merge", merge_into=target.pk)

    assert (response.status_code, again.status_code) == (302, 302)
    for duplicate in duplicates:
        duplicate.refresh_from_db()
        assert (duplicate.status, duplicate.merged_into_id) == (S.CLOSED, target.pk)
    assert "Merge: 0 of 3" in web.get(again["Location"]).content.decode()


def test_refused_bulk_change_shows_why_and_changes_nothing(
    web: Client, customer_tickets: list[Ticket]
) -> None:
    # given: one of the three is closed, and a closed ticket can only be re-tagged
    closed = customer_tickets[1]
    Ticket.objects.filter(pk=closed.pk).update(status=S.CLOSED)
    before = list(Ticket.objects.order_by("pk").values_list("pk", "priority", "status"))

    # when
    response = _bulk(web, customer_tickets, "priority", priority="p1")

    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was changed." in html
    assert f"#{closed.pk}: A closed ticket can only be re-tagged." in html
    assert list(Ticket.objects.order_by("pk").values_list("pk", "priority", "status")) == before
    # and the selection is kept for another try
    assert html.count("checked") >= 3


@pytest.mark.parametrize(
    ("_case", "fields", "message"),
    [
        ("no ticket selected", {"action": "assign_me", "ticket": []}, "Select at least one ticket."),
        ("status not chosen", {"action": "status"}, "Choose a value to apply."),
        ("unknown tag", {"action": "tags", "tags": "nonexistent"}, "There is no tag “nonexistent”."),
        (
            "merge target missing",
            {"action": "merge", "merge_into": "99999999"},
            "There is no ticket #99999999.",
        ),
    ],
)
def test_bulk_form_errors(
    web: Client, customer_tickets: list[Ticket], _case: str, fields: dict[str, Any], message: str
) -> None:
    data = {"ticket": [t.pk for t in customer_tickets], "query": "view=open", **fields}

    response = web.post(BULK, data)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_bulk_post_needs_the_csrf_token(agent: User, customer_tickets: list[Ticket]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = _bulk(client, customer_tickets, "assign_me")

    assert response.status_code == 403
    assert not Ticket.objects.filter(assignee__isnull=False).exists()


# --- access -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", QUEUE), ("get", TABS), ("post", BULK), ("post", VIEWS), ("post", f"{VIEWS}1/delete/")],
)
def test_customers_are_refused(customer: User, method: str, url: str) -> None:
    client = Client()
    client.force_login(customer)

    response = getattr(client, method)(url)

    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(QUEUE)

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_customer_bulk_attempt_changes_nothing(customer: User, customer_tickets: list[Ticket]) -> None:
    client = Client()
    client.force_login(customer)

    _bulk(client, customer_tickets, "assign_me")

    assert not Ticket.objects.filter(assignee__isnull=False).exists()


# --- queries ---------------------------------------------------------------------------------------------


def test_page_queries_do_not_grow_with_rows(web: Client, agent: User, team: Team, now: datetime) -> None:
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = web.get(QUEUE + "?view=open")
        assert response.status_code == 200
        return len(context)

    # given: a few rows, each with its own requester, organization and clock
    for n in range(2):
        _clock(_ticket(status=S.NEW, team=team, assignee=agent), now, used=0.5 + n / 10)
    few = page_queries()

    # when: many more
    for n in range(20):
        org = Organization.objects.create(name=f"Org {n}", tier="enterprise")
        ticket = _ticket(
            status=S.NEW, team=team, assignee=AgentFactory(), requester=CustomerFactory(organization=org)
        )
        _clock(ticket, now, used=0.9)
    many = page_queries()

    # then: the same number, and a small one
    assert many == few
    assert many <= 12
