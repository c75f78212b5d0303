"""ticket_create, ticket_update, ticket_change_status, ticket_reopen and ticket_escalate."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from helpdesk.exceptions import DomainError, InvalidTransition, PermissionDeniedError
from helpdesk.models import Organization, Team, User
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, TagFactory, TeamFactory
from tickets import services, transitions
from tickets.models import (
    Category,
    MessageVisibility,
    ProductArea,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketMessage,
    TicketStatus,
)

pytestmark = pytest.mark.django_db

S = TicketStatus
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
T2 = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)


def _create(requester: User, **fields: Any) -> Ticket:
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("created_at", T0)
    return services.ticket_create(requester=requester, **fields)


def _events(ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    return [(event.kind, event.data) for event in TicketEvent.objects.filter(ticket=ticket)]


def _events_after_creation(ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    return _events(ticket)[1:]


def _force_status(ticket: Ticket, status: str) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()


def _snapshot(ticket_id: int) -> dict[str, Any]:
    ticket = Ticket.objects.get(pk=ticket_id)
    values = {field.attname: getattr(ticket, field.attname) for field in Ticket._meta.concrete_fields}
    values["tags"] = sorted(ticket.tags.values_list("name", flat=True))
    values["event_count"] = TicketEvent.objects.filter(ticket_id=ticket_id).count()
    return values


# --- ticket_create ---------------------------------------------------------------------------------


def test_create_normalises_whitespace_in_the_subject(customer: User) -> None:
    # when
    ticket = _create(customer, subject="  Printer \n  on\tfire  ")

    # then
    assert ticket.subject == "Printer on fire"


@pytest.mark.parametrize(("_case", "subject"), [("empty", ""), ("only whitespace", "  \n\t ")])
def test_create_refuses_an_empty_subject(customer: User, _case: str, subject: str) -> None:
    # when
    with pytest.raises(DomainError) as raised:
        _create(customer, subject=subject)

    # then
    assert raised.value.field_errors == {"subject": ["A ticket needs a subject."]}
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_create_refuses_a_subject_longer_than_the_column(customer: User) -> None:
    # when
    with pytest.raises(DomainError) as raised:
        _create(customer, subject="x" * 251)

    # then
    assert raised.value.field_errors == {"subject": ["A subject has at most 250 characters."]}
    assert Ticket.objects.count() == 0


def test_create_renders_and_sanitizes_the_description(customer: User) -> None:
    # given
    description = "**Help**\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))"

    # when
    ticket = _create(customer, description=description)

    # then
    assert ticket.description == description
    assert ticket.description_html == (
        "<p><strong>Help</strong></p>\n\n\n"
        '<p><img src="x"></p>\n'
        '<p><a rel="noopener noreferrer nofollow">click</a></p>'
    )


def test_create_defaults_the_organization_to_the_requesters(
    customer: User, organization: Organization
) -> None:
    # when
    ticket = _create(customer)

    # then
    assert ticket.organization_id == organization.pk


def test_create_keeps_an_explicit_organization(customer: User, other_organization: Organization) -> None:
    # when
    ticket = _create(customer, organization=other_organization)

    # then
    assert ticket.organization_id == other_organization.pk


def test_create_records_the_exact_created_event(customer: User, agent: User, team: Team) -> None:
    # given
    category = CategoryFactory()
    tags = [TagFactory(name="billing"), TagFactory(name="api")]

    # when
    ticket = _create(
        customer,
        actor=agent,
        priority="p2",
        severity="sev3",
        category=category,
        tags=tags,
        channel="email",
        team=team,
        created_at=T0,
    )

    # then
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.kind == TicketEventKind.CREATED
    assert event.actor_id == agent.pk
    assert event.occurred_at == T0
    assert event.data == {
        "status": "new",
        "priority": "p2",
        "severity": "sev3",
        "channel": "email",
        "requester": customer.pk,
        "organization": customer.organization_id,
        "team": team.pk,
        "assignee": None,
        "category": category.pk,
        "product_area": None,
        "support_tier": "l1",
        "tags": ["api", "billing"],
    }
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["api", "billing"]


def test_created_event_actor_defaults_to_the_requester(customer: User) -> None:
    # when
    ticket = _create(customer)

    # then
    assert TicketEvent.objects.get(ticket=ticket).actor_id == customer.pk


def test_create_with_an_assignee_starts_assigned(customer: User, agent: User) -> None:
    # when
    ticket = _create(customer, assignee=agent)

    # then
    assert ticket.status == S.ASSIGNED
    assert ticket.assignee_id == agent.pk
    assert _events(ticket)[0][1]["status"] == "assigned"
    assert _events(ticket)[0][1]["assignee"] == agent.pk


def test_create_takes_the_support_tier_from_the_team(customer: User) -> None:
    # given
    team = TeamFactory(default_tier="l2")

    # when
    ticket = _create(customer, team=team)

    # then
    assert ticket.support_tier == "l2"


@pytest.mark.parametrize(
    ("_case", "assignee_kind"),
    [("customer", "customer"), ("inactive agent", "inactive_agent")],
)
def test_create_refuses_an_assignee_who_is_not_an_active_agent(
    customer: User, coworker: User, _case: str, assignee_kind: str
) -> None:
    # given
    assignee = coworker if assignee_kind == "customer" else AgentFactory(is_active=False)

    # when
    with pytest.raises(DomainError) as raised:
        _create(customer, assignee=assignee)

    # then
    assert raised.value.field_errors == {"assignee": ["Tickets can only be assigned to active agents."]}
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("_case", "field", "expected_errors"),
    [
        ("retired tag", "tags", {"tags": ["Tag 'old' is retired."]}),
        ("retired category", "category", {"category": ["Category 'Old' is retired."]}),
        ("retired product area", "product_area", {"product_area": ["Product area 'Old' is retired."]}),
    ],
)
def test_create_refuses_retired_taxonomy(
    customer: User, _case: str, field: str, expected_errors: dict[str, list[str]]
) -> None:
    # given
    values: dict[str, Any] = {
        "tags": [TagFactory(name="old", is_active=False)],
        "category": Category.objects.create(name="Old", slug="old", is_active=False),
        "product_area": ProductArea.objects.create(name="Old", slug="old", is_active=False),
    }

    # when
    with pytest.raises(DomainError) as raised:
        _create(customer, **{field: values[field]})

    # then
    assert raised.value.field_errors == expected_errors
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("_case", "field", "value"),
    [
        ("unknown priority", "priority", "p9"),
        ("unknown severity", "severity", "sev9"),
        ("unknown channel", "channel", "fax"),
        ("unknown support tier", "support_tier", "l9"),
    ],
)
def test_create_refuses_values_outside_the_choices(
    customer: User, _case: str, field: str, value: str
) -> None:
    # when
    with pytest.raises(DomainError) as raised:
        _create(customer, **{field: value})

    # then
    assert raised.value.field_errors == {field: [f"'{value}' is not a valid {field.replace('_', ' ')}."]}
    assert Ticket.objects.count() == 0


def test_create_refuses_a_duplicate_external_id_from_the_same_source(customer: User) -> None:
    # given
    first = _create(customer, source="zendesk", external_id="42")

    # when
    with pytest.raises(DomainError) as raised:
        _create(customer, source="zendesk", external_id="42")

    # then
    assert raised.value.field_errors == {
        "external_id": ["A ticket from 'zendesk' with external id '42' exists."]
    }
    assert list(Ticket.objects.values_list("pk", flat=True)) == [first.pk]
    assert TicketEvent.objects.count() == 1


def test_create_allows_the_same_external_id_from_another_source(customer: User) -> None:
    # given
    _create(customer, source="zendesk", external_id="42")

    # when
    ticket = _create(customer, source="freshdesk", external_id="42")

    # then
    assert _events(ticket)[0][1]["source"] == "freshdesk"
    assert Ticket.objects.count() == 2


def test_create_backdates_the_ticket_and_its_event(customer: User) -> None:
    # when
    ticket = _create(customer, created_at=T0)

    # then
    ticket.refresh_from_db()
    assert ticket.created_at == T0
    assert ticket.updated_at == T0
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.occurred_at == T0
    assert event.recorded_at > T0


def test_create_uses_a_bounded_number_of_queries(
    customer: User, agent: User, team: Team, django_assert_max_num_queries: Any
) -> None:
    # given
    tags = [TagFactory(), TagFactory()]
    category = CategoryFactory()
    _create(customer, actor=agent)  # warms the per-process SLA policy and calendar caches

    # when / then: insert, tag lookups and insert, event (plus savepoints), then the SLA plan:
    # ticket, pinned policy, insert pin and "applied" event, events, calendar stamp, clocks,
    # insert clocks and their events
    with django_assert_max_num_queries(17):
        _create(customer, actor=agent, assignee=agent, team=team, tags=tags, category=category)


# --- ticket_update ---------------------------------------------------------------------------------


def test_update_records_one_event_per_changed_field_with_raw_values(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)
    team = TeamFactory()
    category = CategoryFactory()

    # when
    services.ticket_update(
        ticket_id=ticket.pk,
        actor=agent,
        changes={
            "subject": "Printer  still on fire",
            "priority": "p1",
            "severity": "sev2",
            "support_tier": "l2",
            "category": category,
            "team": team,
        },
        at=T1,
    )

    # then
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority, ticket.severity, ticket.support_tier) == (
        "Printer still on fire",
        "p1",
        "sev2",
        "l2",
    )
    assert (ticket.category_id, ticket.team_id, ticket.updated_at) == (category.pk, team.pk, T1)
    assert _events_after_creation(ticket) == [
        ("field_changed", {"field": "subject", "from": "Printer on fire", "to": "Printer still on fire"}),
        ("field_changed", {"field": "priority", "from": "p3", "to": "p1"}),
        ("field_changed", {"field": "severity", "from": "sev4", "to": "sev2"}),
        ("field_changed", {"field": "support_tier", "from": "l1", "to": "l2"}),
        ("field_changed", {"field": "category", "from": None, "to": category.pk}),
        ("field_changed", {"field": "team", "from": None, "to": team.pk}),
    ]
    assert set(TicketEvent.objects.filter(ticket=ticket).values_list("occurred_at", flat=True)) >= {T1}


def test_update_records_that_the_description_changed_without_copying_it(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, description="old")

    # when
    services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"description": "*new*"})

    # then
    ticket.refresh_from_db()
    assert (ticket.description, ticket.description_html) == ("*new*", "<p><em>new</em></p>")
    assert _events_after_creation(ticket) == [
        ("field_changed", {"field": "description", "from": None, "to": None})
    ]


def test_update_with_unchanged_values_records_nothing(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, priority="p2", created_at=T0)

    # when
    services.ticket_update(
        ticket_id=ticket.pk,
        actor=agent,
        changes={"priority": "p2", "subject": " Printer on  fire ", "team": None, "tags": []},
        at=T1,
    )

    # then
    ticket.refresh_from_db()
    assert _events_after_creation(ticket) == []
    assert ticket.updated_at == T0


def test_update_records_the_tag_diff_as_sorted_names(customer: User, agent: User) -> None:
    # given
    billing, api, urgent = TagFactory(name="billing"), TagFactory(name="api"), TagFactory(name="urgent")
    ticket = _create(customer, tags=[billing, api])

    # when
    services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"tags": [urgent, api]})

    # then
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["api", "urgent"]
    assert _events_after_creation(ticket) == [
        ("field_changed", {"field": "tags", "from": ["api", "billing"], "to": ["api", "urgent"]})
    ]


def test_assigning_a_new_ticket_makes_it_assigned(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)

    # when
    services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=agent)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (S.ASSIGNED, agent.pk)
    assert _events_after_creation(ticket) == [
        ("assigned", {"from": None, "to": agent.pk}),
        ("status_changed", {"from": "new", "to": "assigned"}),
    ]


def test_unassigning_an_assigned_ticket_sends_it_back_to_triage(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent)

    # when
    services.ticket_assign(ticket_id=ticket.pk, assignee=None, actor=agent)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (S.TRIAGED, None)
    assert _events_after_creation(ticket) == [
        ("assigned", {"from": agent.pk, "to": None}),
        ("status_changed", {"from": "assigned", "to": "triaged"}),
    ]


def test_reassigning_a_ticket_in_progress_keeps_its_status(
    customer: User, agent: User, other_agent: User
) -> None:
    # given
    ticket = _create(customer, assignee=agent)
    _force_status(ticket, S.IN_PROGRESS)

    # when
    services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=agent)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (S.IN_PROGRESS, other_agent.pk)
    assert _events_after_creation(ticket) == [("assigned", {"from": agent.pk, "to": other_agent.pk})]


def test_update_refuses_customers(customer: User) -> None:
    # given
    ticket = _create(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(PermissionDeniedError):
        services.ticket_update(ticket_id=ticket.pk, actor=customer, changes={"priority": "p1"})

    # then
    assert _snapshot(ticket.pk) == before


def test_update_of_a_closed_ticket_refuses_anything_but_tags(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)
    _force_status(ticket, S.CLOSED)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"priority": "p1"})

    # then
    assert raised.value.field_errors == {"status": ["A closed ticket can only be re-tagged."]}
    assert _snapshot(ticket.pk) == before


def test_a_closed_ticket_may_be_re_tagged(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)
    _force_status(ticket, S.CLOSED)
    tag = TagFactory(name="postmortem")

    # when
    services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"tags": [tag]})

    # then
    assert list(ticket.tags.values_list("name", flat=True)) == ["postmortem"]
    assert _events_after_creation(ticket) == [
        ("field_changed", {"field": "tags", "from": [], "to": ["postmortem"]})
    ]


def test_update_refuses_unknown_fields(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_update(
            ticket_id=ticket.pk,
            actor=agent,
            changes={"priority": "p1", "requester": agent, "reopened_count": 9},
        )

    # then
    assert raised.value.field_errors == {
        "reopened_count": ["This field cannot be changed."],
        "requester": ["This field cannot be changed."],
    }
    assert _snapshot(ticket.pk) == before


@pytest.mark.parametrize(
    ("_case", "changes"),
    [
        ("forbidden status move", {"status": "engineering"}),
        ("unknown status", {"status": "bogus"}),
        ("customer as assignee", {"assignee": "customer"}),
        ("retired tag", {"tags": "retired"}),
        ("empty subject", {"subject": "   "}),
        ("unknown priority", {"priority": "p9"}),
    ],
)
def test_update_is_all_or_nothing(customer: User, agent: User, _case: str, changes: dict[str, Any]) -> None:
    # given
    ticket = _create(customer, tags=[TagFactory(name="keep")])
    resolved: dict[str, Any] = {
        "customer": customer,
        "retired": [TagFactory(name="retired", is_active=False)],
    }
    bad = {
        key: resolved.get(value, value) if isinstance(value, str) else value for key, value in changes.items()
    }
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError):
        services.ticket_update(
            ticket_id=ticket.pk,
            actor=agent,
            changes={"priority": "p1", "subject": "New subject", "tags": [], **bad},
        )

    # then
    assert _snapshot(ticket.pk) == before


def test_update_refuses_a_subject_longer_than_the_column(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError):
        services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"subject": "y" * 251})

    # then
    assert _snapshot(ticket.pk) == before


# --- ticket_change_status --------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S.values, S.values)))
def test_change_status_follows_the_workflow_table(
    customer: User, agent: User, current: str, target: str
) -> None:
    # given
    ticket = _create(customer, assignee=agent)
    _force_status(ticket, current)
    before = _snapshot(ticket.pk)

    # when
    try:
        services.ticket_change_status(ticket_id=ticket.pk, to=target, actor=agent, at=T1)
    except InvalidTransition as error:
        refused = error
    else:
        refused = None

    # then
    ticket.refresh_from_db()
    if current == target:
        assert refused is None
        assert _snapshot(ticket.pk) == before
    elif transitions.is_allowed(current, target):
        assert refused is None
        assert ticket.status == target
        data = TicketEvent.objects.filter(ticket=ticket).last().data  # type: ignore[union-attr]
        assert (data["from"], data["to"]) == (current, target)
    else:
        assert refused is not None
        assert (refused.current, refused.target) == (current, target)
        assert _snapshot(ticket.pk) == before


def test_change_status_records_the_move_and_stamps_updated_at(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent, created_at=T0)

    # when
    services.ticket_change_status(ticket_id=ticket.pk, to=S.IN_PROGRESS, actor=agent, at=T1)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.updated_at) == (S.IN_PROGRESS, T1)
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event is not None
    assert (event.kind, event.data, event.actor_id, event.occurred_at) == (
        "status_changed",
        {"from": "assigned", "to": "in_progress"},
        agent.pk,
        T1,
    )


def test_resolving_and_closing_stamp_their_times(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent)

    # when
    services.ticket_change_status(ticket_id=ticket.pk, to=S.RESOLVED, actor=agent, at=T1)
    services.ticket_change_status(ticket_id=ticket.pk, to=S.CLOSED, actor=agent, at=T2)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at, ticket.closed_at) == (S.CLOSED, T1, T2)


def test_forbidden_move_explains_itself_and_changes_nothing(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent)
    _force_status(ticket, S.IN_PROGRESS)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(InvalidTransition) as raised:
        services.ticket_change_status(ticket_id=ticket.pk, to=S.CLOSED, actor=agent)

    # then
    assert raised.value.message == (
        "A ticket cannot move from 'in_progress' to 'closed'. "
        "Allowed from 'in_progress': assigned, pending, on_hold, escalated, engineering, resolved."
    )
    assert raised.value.field_errors == {"status": ["'in_progress' → 'closed' is not an allowed transition."]}
    assert _snapshot(ticket.pk) == before


def test_closed_ticket_explains_that_nothing_is_allowed(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)
    _force_status(ticket, S.CLOSED)

    # when
    with pytest.raises(InvalidTransition) as raised:
        services.ticket_change_status(ticket_id=ticket.pk, to=S.TRIAGED, actor=agent)

    # then
    assert (
        raised.value.message
        == "A ticket cannot move from 'closed' to 'triaged'. Allowed from 'closed': none."
    )


def test_change_status_refuses_an_unknown_status(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_change_status(ticket_id=ticket.pk, to="bogus", actor=agent)

    # then
    assert raised.value.field_errors == {"status": ["'bogus' is not a status."]}
    assert _snapshot(ticket.pk) == before


def test_reopening_a_resolved_ticket_counts_and_flags_the_event(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent)
    services.ticket_change_status(ticket_id=ticket.pk, to=S.RESOLVED, actor=agent, at=T1)

    # when
    services.ticket_change_status(ticket_id=ticket.pk, to=S.IN_PROGRESS, actor=agent, at=T2)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count, ticket.resolved_at) == (S.IN_PROGRESS, 1, None)
    assert _events(ticket)[-1] == (
        "status_changed",
        {"from": "resolved", "to": "in_progress", "reopened": True},
    )


@pytest.mark.parametrize(
    ("_case", "current", "target"),
    [
        ("close an open ticket", S.PENDING, S.CLOSED),
        ("close a new ticket", S.NEW, S.CLOSED),
        ("close a resolved ticket", S.RESOLVED, S.CLOSED),
        ("reopen a resolved ticket", S.RESOLVED, S.TRIAGED),
    ],
)
def test_customer_may_close_or_reopen(customer: User, _case: str, current: str, target: str) -> None:
    # given
    ticket = _create(customer)
    _force_status(ticket, current)

    # when
    services.ticket_change_status(ticket_id=ticket.pk, to=target, actor=customer)

    # then
    ticket.refresh_from_db()
    assert ticket.status == target
    assert _events(ticket)[-1][0] == "status_changed"


@pytest.mark.parametrize(
    ("_case", "current", "target"),
    [
        ("set pending", S.IN_PROGRESS, S.PENDING),
        ("resolve", S.IN_PROGRESS, S.RESOLVED),
        ("triage", S.NEW, S.TRIAGED),
        ("escalate", S.ASSIGNED, S.ESCALATED),
    ],
)
def test_customer_may_not_make_agent_moves(customer: User, _case: str, current: str, target: str) -> None:
    # given
    ticket = _create(customer)
    _force_status(ticket, current)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(PermissionDeniedError) as raised:
        services.ticket_change_status(ticket_id=ticket.pk, to=target, actor=customer)

    # then
    assert raised.value.message == "Customers may only close or reopen their tickets."
    assert _snapshot(ticket.pk) == before


@pytest.mark.parametrize(
    ("_case", "current", "actor_kind"),
    [
        ("agent moves a new ticket", S.NEW, "agent"),
        ("agent moves a triaged ticket", S.TRIAGED, "agent"),
        ("customer reopens into assigned", S.RESOLVED, "customer"),
    ],
)
def test_status_assigned_requires_an_assignee(
    customer: User, agent: User, _case: str, current: str, actor_kind: str
) -> None:
    # given
    ticket = _create(customer)
    _force_status(ticket, current)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_change_status(
            ticket_id=ticket.pk, to=S.ASSIGNED, actor=agent if actor_kind == "agent" else customer
        )

    # then
    assert raised.value.field_errors == {"status": ["Assign the ticket to someone to make it assigned."]}
    assert _snapshot(ticket.pk) == before


def test_assigning_and_setting_assigned_in_one_update_is_accepted(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer)
    _force_status(ticket, S.TRIAGED)

    # when
    services.ticket_update(
        ticket_id=ticket.pk, actor=agent, changes={"status": S.ASSIGNED, "assignee": agent}
    )

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (S.ASSIGNED, agent.pk)


# --- ticket_reopen ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "assigned", "expected"),
    [
        ("assigned ticket back to work", True, S.IN_PROGRESS),
        ("unassigned ticket back to triage", False, S.TRIAGED),
    ],
)
def test_reopen_moves_a_resolved_ticket_back_into_work(
    customer: User, agent: User, _case: str, assigned: bool, expected: str
) -> None:
    # given
    ticket = _create(customer, assignee=agent if assigned else None)
    _force_status(ticket, S.RESOLVED)

    # when
    services.ticket_reopen(ticket_id=ticket.pk, actor=customer)

    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count) == (expected, 1)
    assert _events(ticket)[-1] == ("status_changed", {"from": "resolved", "to": expected, "reopened": True})


@pytest.mark.parametrize(
    ("_case", "status", "assigned"),
    [
        ("new unassigned ticket", S.NEW, False),
        ("pending assigned ticket", S.PENDING, True),
        ("closed ticket", S.CLOSED, False),
    ],
)
def test_reopen_refuses_a_ticket_that_is_not_resolved(
    customer: User, agent: User, _case: str, status: str, assigned: bool
) -> None:
    # given
    ticket = _create(customer, assignee=agent if assigned else None)
    _force_status(ticket, status)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_reopen(ticket_id=ticket.pk, actor=agent)

    # then
    assert raised.value.field_errors == {"status": ["Only a resolved ticket can be reopened."]}
    assert _snapshot(ticket.pk) == before


# --- ticket_escalate -------------------------------------------------------------------------------

HANDOFF = {
    "issue_summary": " Exports time out for large accounts ",
    "troubleshooting_done": "Cleared cache; reproduced on staging.",
    "environment": "",
    "why_escalating": "Needs DB access.",
}


def test_escalate_raises_the_tier_moves_the_team_and_records_the_handoff(
    customer: User, agent: User, team: Team
) -> None:
    # given
    ticket = _create(customer, assignee=agent, team=team)
    _force_status(ticket, S.IN_PROGRESS)
    tier2 = TeamFactory(name="Tier 2", slug="tier-2", default_tier="l2", is_escalation_team=True)

    # when
    result = services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff=HANDOFF, to_team=tier2, at=T1)

    # then
    assert (result.support_tier, result.team_id, result.status) == ("l2", tier2.pk, S.ESCALATED)
    assert (result.message_count, result.updated_at) == (1, T1)
    assert _events_after_creation(ticket)[:4] == [
        ("field_changed", {"field": "support_tier", "from": "l1", "to": "l2"}),
        ("field_changed", {"field": "team", "from": team.pk, "to": tier2.pk}),
        ("status_changed", {"from": "in_progress", "to": "escalated"}),
        (
            "escalated",
            {
                "from_tier": "l1",
                "to_tier": "l2",
                "from_team": team.pk,
                "to_team": tier2.pk,
                "handoff": {
                    "issue_summary": "Exports time out for large accounts",
                    "troubleshooting_done": "Cleared cache; reproduced on staging.",
                    "environment": "",
                    "why_escalating": "Needs DB access.",
                    "customer_expectation": "",
                    "next_steps": "",
                },
            },
        ),
    ]
    note = TicketMessage.objects.get(ticket=ticket)
    assert (note.visibility, note.author_id, note.created_at) == (MessageVisibility.INTERNAL, agent.pk, T1)
    assert note.body == (
        "## Escalation summary\n\n"
        "### Issue summary\nExports time out for large accounts\n\n"
        "### Troubleshooting completed\nCleared cache; reproduced on staging.\n\n"
        "### Why escalating\nNeeds DB access."
    )
    assert result.first_response_at is None


@pytest.mark.parametrize(("_case", "summary"), [("missing", None), ("blank", "   ")])
def test_escalate_refuses_a_handoff_without_a_summary(
    customer: User, agent: User, _case: str, summary: str | None
) -> None:
    # given
    ticket = _create(customer, assignee=agent)
    before = _snapshot(ticket.pk)
    handoff = {"why_escalating": "Stuck"} if summary is None else {"issue_summary": summary}

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff=handoff)

    # then
    assert raised.value.field_errors == {"issue_summary": ["Summarise the issue for the next tier."]}
    assert _snapshot(ticket.pk) == before
    assert TicketMessage.objects.count() == 0


def test_escalate_refuses_a_resolved_ticket(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent)
    _force_status(ticket, S.RESOLVED)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff=HANDOFF)

    # then
    assert raised.value.field_errors == {"status": ["Only open tickets can be escalated."]}
    assert _snapshot(ticket.pk) == before


def test_escalate_at_the_top_tier_without_a_new_team_changes_nothing(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent, support_tier="l3")
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff=HANDOFF)

    # then
    assert raised.value.field_errors == {"to_tier": ["The ticket is already at that tier and team."]}
    assert _snapshot(ticket.pk) == before


@pytest.mark.parametrize(
    ("_case", "assigned", "expected_status"),
    [
        ("assigned goes back to work", True, S.IN_PROGRESS),
        ("unassigned goes back to triage", False, S.TRIAGED),
    ],
)
def test_de_escalate_lowers_the_tier_and_leaves_the_escalated_status(
    customer: User, agent: User, _case: str, assigned: bool, expected_status: str
) -> None:
    # given
    ticket = _create(customer, assignee=agent if assigned else None, support_tier="l2")
    _force_status(ticket, S.ESCALATED)

    # when
    result = services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff=HANDOFF, up=False, at=T1)

    # then
    assert (result.support_tier, result.status) == ("l1", expected_status)
    kinds = [kind for kind, _data in _events_after_creation(ticket)]
    assert kinds == ["field_changed", "status_changed", "de_escalated", "message_added"]
    assert TicketMessage.objects.get(ticket=ticket).body.startswith("## De-escalation summary\n\n")
    assert "### Why de-escalating\nNeeds DB access." in TicketMessage.objects.get(ticket=ticket).body


def test_de_escalate_at_the_lowest_tier_is_refused(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError):
        services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff=HANDOFF, up=False)

    # then
    assert _snapshot(ticket.pk) == before


def test_escalate_to_an_explicit_tier(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent)

    # when
    result = services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff=HANDOFF, to_tier="l3")

    # then
    assert (result.support_tier, result.status) == ("l3", S.ESCALATED)


def test_escalate_refuses_an_unknown_tier(customer: User, agent: User) -> None:
    # given
    ticket = _create(customer, assignee=agent)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(DomainError) as raised:
        services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff=HANDOFF, to_tier="l9")

    # then
    assert raised.value.field_errors == {"support_tier": ["'l9' is not a valid support tier."]}
    assert _snapshot(ticket.pk) == before


def test_escalate_refuses_customers(customer: User) -> None:
    # given
    ticket = _create(customer)
    before = _snapshot(ticket.pk)

    # when
    with pytest.raises(PermissionDeniedError) as raised:
        services.ticket_escalate(ticket_id=ticket.pk, actor=customer, handoff=HANDOFF)

    # then
    assert raised.value.message == "Customers cannot escalate tickets."
    assert _snapshot(ticket.pk) == before


def test_create_for_another_requester_uses_that_requesters_organization(customer: User) -> None:
    # given
    other = CustomerFactory()

    # when
    ticket = _create(other, actor=customer)

    # then
    assert ticket.organization_id == other.organization_id
    assert ticket.organization_id != customer.organization_id
