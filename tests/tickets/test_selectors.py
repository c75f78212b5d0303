"""Who may see which tickets, messages, events and attachments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from pytest_django.fixtures import Settings

from helpdesk.models import Organization, User
from tests.factories import CustomerFactory, TicketFactory
from tickets import selectors, services
from tickets.models import Attachment, Ticket, TicketStatus
from tickets.services import UploadedFile

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(customer: User, coworker: User, outsider: User) -> dict[str, Ticket]:
    return {
        "own": TicketFactory(requester=customer),
        "coworker": TicketFactory(requester=coworker),
        "outsider": TicketFactory(requester=outsider),
    }


@pytest.mark.parametrize(
    ("_case", "viewer", "shares", "expected"),
    [
        ("agent sees everything", "agent", False, {"own", "coworker", "outsider"}),
        ("manager sees everything", "manager", False, {"own", "coworker", "outsider"}),
        ("customer sees only their own", "customer", False, {"own"}),
        ("customer sees the organization's when it shares", "customer", True, {"own", "coworker"}),
        ("coworker sees only their own", "coworker", False, {"coworker"}),
        ("coworker sees the organization's when it shares", "coworker", True, {"own", "coworker"}),
        ("other organization never sees ours", "outsider", True, {"outsider"}),
        ("inactive agent sees nothing", "inactive_agent", False, set()),
        ("inactive customer sees nothing", "inactive_customer", True, set()),
        ("anonymous sees nothing", "anonymous", False, set()),
    ],
)
def test_ticket_list_visible_to_matrix(
    request: pytest.FixtureRequest,
    tickets: dict[str, Ticket],
    organization: Organization,
    _case: str,
    viewer: str,
    shares: bool,
    expected: set[str],
) -> None:
    # given
    Organization.objects.filter(pk=organization.pk).update(members_see_each_other=shares)
    if viewer == "anonymous":
        user: Any = AnonymousUser()
    elif viewer.startswith("inactive_"):
        user = request.getfixturevalue(viewer.removeprefix("inactive_"))
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        user = request.getfixturevalue(viewer)
    if isinstance(user, User):
        user = User.objects.get(pk=user.pk)
    names = {ticket.pk: name for name, ticket in tickets.items()}

    # when
    visible = {names[pk] for pk in selectors.ticket_list_visible_to(user).values_list("pk", flat=True)}

    # then
    assert visible == expected


def test_customer_sees_tickets_filed_for_their_organization_by_outsiders_only_when_it_shares(
    customer: User, outsider: User, organization: Organization
) -> None:
    # given: someone outside filed a ticket on behalf of the customer's organization
    ticket = TicketFactory(requester=outsider, organization=organization)

    # when
    private = list(selectors.ticket_list_visible_to(customer))
    Organization.objects.filter(pk=organization.pk).update(members_see_each_other=True)
    shared = list(selectors.ticket_list_visible_to(User.objects.get(pk=customer.pk)))

    # then
    assert (private, shared) == ([], [ticket])


def test_customer_without_organization_sees_only_their_own(db: None) -> None:
    # given
    loner = CustomerFactory(organization=None)
    own = TicketFactory(requester=loner, organization=None)
    TicketFactory(organization=None)

    # when
    visible = list(selectors.ticket_list_visible_to(loner))

    # then
    assert visible == [own]


@pytest.mark.parametrize(
    ("_case", "viewer", "expected"),
    [
        ("agent counts every ticket", "agent", {TicketStatus.NEW: 2, TicketStatus.TRIAGED: 1}),
        ("customer counts only their own", "customer", {TicketStatus.NEW: 1}),
        ("anonymous counts nothing", "anonymous", {}),
    ],
)
def test_ticket_count_by_status_visible_to_counts_only_visible_tickets_in_the_given_statuses(
    request: pytest.FixtureRequest,
    customer: User,
    outsider: User,
    _case: str,
    viewer: str,
    expected: dict[str, int],
) -> None:
    # given
    TicketFactory(requester=customer, status=TicketStatus.NEW)
    TicketFactory(requester=outsider, status=TicketStatus.NEW)
    TicketFactory(requester=outsider, status=TicketStatus.TRIAGED)
    TicketFactory(requester=customer, status=TicketStatus.CLOSED)
    user: Any = AnonymousUser() if viewer == "anonymous" else request.getfixturevalue(viewer)

    # when
    counts = selectors.ticket_count_by_status_visible_to(
        user, statuses=[TicketStatus.NEW, TicketStatus.TRIAGED, TicketStatus.PENDING]
    )

    # then
    assert counts == expected


def test_ticket_get_visible_raises_does_not_exist_for_a_hidden_ticket(
    customer: User, tickets: dict[str, Ticket]
) -> None:
    # when / then
    assert selectors.ticket_get_visible(customer, tickets["own"].pk) == tickets["own"]
    with pytest.raises(Ticket.DoesNotExist):
        selectors.ticket_get_visible(customer, tickets["outsider"].pk)


def test_ticket_list_uses_a_fixed_number_of_queries(
    agent: User, customer: User, django_assert_num_queries: Any
) -> None:
    # given
    for _ in range(5):
        TicketFactory(requester=customer)

    # when / then: tickets with their relations, then tags
    with django_assert_num_queries(2):
        rows = list(selectors.ticket_list_visible_to(agent))
        for row in rows:
            _ = (
                row.requester.email,
                row.organization,
                row.team,
                row.assignee,
                row.category,
                list(row.tags.all()),
            )


# --- messages, events, attachments -----------------------------------------------------------------


@pytest.fixture
def conversation(customer: User, agent: User) -> Ticket:
    ticket = services.ticket_create(requester=customer, subject="Billing")
    services.message_create(ticket_id=ticket.pk, author=customer, body="Invoice is wrong")
    services.message_create(ticket_id=ticket.pk, author=agent, body="Customer is VIP", visibility="internal")
    services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=agent)
    services.ticket_escalate(ticket_id=ticket.pk, actor=agent, handoff={"issue_summary": "Refund"})
    services.message_create(ticket_id=ticket.pk, author=agent, body="Fixed it")
    return ticket


def test_customers_never_see_internal_notes(customer: User, agent: User, conversation: Ticket) -> None:
    # when
    for_customer = list(
        selectors.message_list_visible_to(customer, conversation).values_list("body", flat=True)
    )
    for_agent = list(selectors.message_list_visible_to(agent, conversation).values_list("body", flat=True))

    # then
    assert for_customer == ["Invoice is wrong", "Fixed it"]
    assert for_agent == [
        "Invoice is wrong",
        "Customer is VIP",
        "## Escalation summary\n\n### Issue summary\nRefund",
        "Fixed it",
    ]


def test_customers_see_only_customer_facing_events(customer: User, agent: User, conversation: Ticket) -> None:
    # when
    for_customer = [
        (event.kind, event.data.get("visibility"))
        for event in selectors.event_list_visible_to(customer, conversation)
    ]
    for_agent = [event.kind for event in selectors.event_list_visible_to(agent, conversation)]

    # then
    assert for_customer == [
        ("created", None),
        ("message_added", "public"),
        ("status_changed", None),
        ("status_changed", None),
        ("message_added", "public"),
    ]
    assert for_agent == [
        "created",
        "message_added",
        "message_added",
        "assigned",
        "status_changed",
        "field_changed",
        "status_changed",
        "escalated",
        "message_added",
        "message_added",
    ]


@pytest.fixture
def attachments(
    settings: Settings, tmp_path: Path, customer: User, agent: User, outsider: User
) -> dict[str, int]:
    settings.MEDIA_ROOT = tmp_path
    upload = [UploadedFile(filename="a.txt", content_type="text/plain", content=b"hello")]
    own = services.ticket_create(requester=customer, subject="Mine")
    foreign = services.ticket_create(requester=outsider, subject="Theirs")
    public = services.message_create(ticket_id=own.pk, author=customer, body="file", attachments=upload)
    note = services.message_create(
        ticket_id=own.pk, author=agent, body="note", visibility="internal", attachments=upload
    )
    other = services.message_create(ticket_id=foreign.pk, author=outsider, body="file", attachments=upload)
    return {
        "public": Attachment.objects.get(message=public).pk,
        "note": Attachment.objects.get(message=note).pk,
        "foreign": Attachment.objects.get(message=other).pk,
    }


@pytest.mark.parametrize(
    ("_case", "viewer", "attachment", "visible"),
    [
        ("customer opens a file on their ticket", "customer", "public", True),
        ("customer cannot open a file on an internal note", "customer", "note", False),
        ("customer cannot open another organization's file", "customer", "foreign", False),
        ("agent opens a note's file", "agent", "note", True),
        ("agent opens any ticket's file", "agent", "foreign", True),
    ],
)
def test_attachment_get_visible(
    request: pytest.FixtureRequest,
    attachments: dict[str, int],
    _case: str,
    viewer: str,
    attachment: str,
    visible: bool,
) -> None:
    # given
    user = request.getfixturevalue(viewer)

    # when
    try:
        found = selectors.attachment_get_visible(user, attachments[attachment])
    except Attachment.DoesNotExist:
        found = None

    # then
    assert (found is not None) is visible
    if found is not None:
        assert found.pk == attachments[attachment]


def test_link_list_for_returns_both_directions(customer: User, agent: User) -> None:
    # given
    a, b, c = (services.ticket_create(requester=customer, subject=name) for name in "abc")
    out_link = services.ticket_link(from_id=b.pk, to_id=c.pk, kind="parent_of", actor=agent)
    in_link = services.ticket_link(from_id=a.pk, to_id=b.pk, kind="parent_of", actor=agent)

    # when
    links = sorted(link.pk for link in selectors.link_list_for(b))

    # then
    assert links == sorted([out_link.pk, in_link.pk])


def test_closed_tickets_stay_visible_to_their_requester(customer: User) -> None:
    # given
    ticket = TicketFactory(requester=customer, status=TicketStatus.CLOSED)

    # when / then
    assert list(selectors.ticket_list_visible_to(customer)) == [ticket]


@pytest.mark.django_db
def test_tickets_get_for_sla_loads_what_the_orm_would(customer: User) -> None:
    # given: a ticket with an organization, a team and a sub-category, and one without any
    from tests.factories import CategoryFactory, TeamFactory

    parent = CategoryFactory()
    team = TeamFactory()
    full = TicketFactory(
        requester=customer, team=team, category=CategoryFactory(parent=parent), priority="p2", channel="email"
    )
    bare = TicketFactory(requester=customer, organization=None, status=TicketStatus.PENDING)

    # when
    loaded = selectors.tickets_get_for_sla([full.pk, bare.pk, 0])

    # then: every field SLA matching reads has the ORM's value, related rows included
    assert set(loaded) == {full.pk, bare.pk}
    for ticket in (full, bare):
        orm = Ticket.objects.select_related("organization", "team", "category").get(pk=ticket.pk)
        got = loaded[ticket.pk]
        for name in ("subject", "priority", "channel", "status", "source", "assignee_id", "requester_id",
                     "organization_id", "team_id", "category_id", "sla_due_at"):  # fmt: skip
            assert getattr(got, name) == getattr(orm, name), name
        assert (got.organization and got.organization.tier) == (orm.organization and orm.organization.tier)
        assert (got.team and got.team.lead_id) == (orm.team and orm.team.lead_id)
        assert (got.category and got.category.parent_id) == (orm.category and orm.category.parent_id)
