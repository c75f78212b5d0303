"""The ticket resource: visibility, create, edit and every action, per role."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.models import Organization, Team, User
from tests.factories import CategoryFactory, TagFactory
from tickets import services
from tickets.api import serializers as s
from tickets.models import Tag, Ticket, TicketEvent, TicketEventKind, TicketLink

URL = "/api/v1/tickets/"


def detail(ticket: Ticket, suffix: str = "") -> str:
    return f"{URL}{ticket.pk}/{suffix}"


# --- visibility -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "client_fixture", "sharing", "expected_status"),
    [
        ("requester sees their ticket", "customer_client", False, 200),
        ("coworker without sharing gets 404", "coworker_client", False, 404),
        ("coworker with sharing sees it", "coworker_client", True, 200),
        ("other organization's customer gets 404", "outsider_client", True, 404),
        ("agent sees every ticket", "agent_client", False, 200),
        ("admin sees every ticket", "admin_client_api", False, 200),
        ("anonymous gets 401", "api_client", False, 401),
    ],
)
def test_retrieve_ticket_access(
    request: pytest.FixtureRequest,
    ticket: Ticket,
    organization: Organization,
    _case: str,
    client_fixture: str,
    sharing: bool,
    expected_status: int,
) -> None:
    # given
    organization.members_see_each_other = sharing
    organization.save()
    client = request.getfixturevalue(client_fixture)
    # when
    response = client.get(detail(ticket))
    # then
    assert response.status_code == expected_status
    if expected_status == 200:
        assert response.json()["id"] == ticket.pk


@pytest.mark.parametrize(
    ("_case", "client_fixture", "sharing", "expected_subjects"),
    [
        ("customer lists only their own", "customer_client", False, ["Printer on fire"]),
        ("coworker without sharing sees nothing", "coworker_client", False, []),
        ("coworker with sharing sees the organization's", "coworker_client", True, ["Printer on fire"]),
        ("outsider sees only their own", "outsider_client", True, ["Globex issue"]),
        ("agent sees all", "agent_client", False, ["Globex issue", "Printer on fire"]),
    ],
)
def test_list_tickets_is_limited_to_visible_rows(
    request: pytest.FixtureRequest,
    ticket: Ticket,
    outsider_ticket: Ticket,
    organization: Organization,
    _case: str,
    client_fixture: str,
    sharing: bool,
    expected_subjects: list[str],
) -> None:
    # given
    organization.members_see_each_other = sharing
    organization.save()
    client = request.getfixturevalue(client_fixture)
    # when
    response = client.get(URL)
    # then
    assert response.status_code == 200
    assert sorted(row["subject"] for row in response.json()["results"]) == expected_subjects


def test_customer_output_hides_team_and_tier(customer_client: APIClient, ticket: Ticket) -> None:
    response = customer_client.get(detail(ticket))

    body = response.json()
    assert "team" not in body
    assert "support_tier" not in body
    assert body["requester"]["email"] == "alice@acme.test"
    assert body["organization"] == {"id": ticket.organization_id, "name": "Acme", "tier": "enterprise"}
    assert body["url"] == f"http://testserver/api/v1/tickets/{ticket.pk}/"


def test_agent_output_has_every_field(agent_client: APIClient, ticket: Ticket) -> None:
    response = agent_client.get(detail(ticket))

    assert set(response.json()) == {
        "id", "subject", "description", "description_html", "requester", "organization", "priority",
        "severity", "category", "product_area", "tags", "channel", "team", "assignee", "support_tier",
        "status", "close_reason", "merged_into", "external_id", "source", "first_response_at",
        "resolved_at", "closed_at", "reopened_count", "message_count", "created_at", "updated_at", "url",
    }  # fmt: skip


# --- create -----------------------------------------------------------------------------------


def test_customer_creates_ticket_for_themself(
    customer_client: APIClient, customer: User, billing_tag: Tag
) -> None:
    # when
    response = customer_client.post(
        URL,
        {"subject": "Cannot log in", "description": "**help**", "priority": "p2", "tags": ["billing"]},
    )
    # then
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.requester == customer
    assert ticket.organization_id == customer.organization_id
    assert ticket.channel == "api"
    assert ticket.priority == "p2"
    assert list(ticket.tags.values_list("name", flat=True)) == ["billing"]
    assert response.json()["description_html"] == "<p><strong>help</strong></p>"
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.CREATED).count() == 1


@pytest.mark.parametrize("field", ["team", "assignee", "support_tier", "status", "requester_email"])
def test_customer_may_not_set_staff_fields(
    customer_client: APIClient, team: Team, agent: User, field: str
) -> None:
    # given
    values = {"team": team.pk, "assignee": agent.pk, "support_tier": "l2", "status": "resolved"}
    values["requester_email"] = "x@acme.test"
    # when
    response = customer_client.post(URL, {"subject": "Hi", field: values[field]})
    # then
    assert response.status_code == 400
    assert response.json() == {field: ["Customers cannot set this field."]}
    assert Ticket.objects.count() == 0


def test_agent_creates_ticket_for_new_customer_by_email(agent_client: APIClient, agent: User) -> None:
    # when
    response = agent_client.post(
        URL,
        {
            "subject": "Phoned in",
            "requester_email": "New.Person@Initech.test",
            "channel": "phone",
            "impact": "complete_block",
            "users_affected": "all",
            "assignee": agent.pk,
        },
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requester"]["email"] == "new.person@initech.test"
    assert body["severity"] == "sev1"
    assert body["channel"] == "phone"
    assert body["status"] == "assigned"
    assert body["assignee"]["id"] == agent.pk
    assert User.objects.get(email="new.person@initech.test").role == "customer"


def test_agent_creates_ticket_for_existing_requester(
    agent_client: APIClient, customer: User, team: Team
) -> None:
    response = agent_client.post(URL, {"subject": "For Alice", "requester": customer.pk, "team": team.pk})

    assert response.status_code == 201
    assert response.json()["requester"]["id"] == customer.pk
    assert response.json()["team"] == {"id": team.pk, "name": "Support"}


@pytest.mark.parametrize(
    ("_case", "payload", "expected"),
    [
        ("unknown tag", {"tags": ["nope"]}, {"tags": ["Unknown tag 'nope'."]}),
        ("retired tag", {"tags": ["legacy"]}, {"tags": ["Tag 'legacy' is retired."]}),
        ("bad priority", {"priority": "p9"}, {"priority": ['"p9" is not a valid choice.']}),
        ("impact without users", {"impact": "complete_block"}, {"users_affected": ["Give impact and users_affected together."]}),
        ("unknown field", {"priorty": "p1"}, {"priorty": ["Unknown field."]}),
        ("missing subject", {"subject": None}, {"subject": ["This field may not be null."]}),
        ("blank subject", {"subject": "   "}, {"subject": ["This field may not be blank."]}),
        ("unknown category", {"category": 999999}, {"category": ["No such object: 999999."]}),
    ],
)  # fmt: skip
def test_create_rejects_bad_input_with_field_errors(
    customer_client: APIClient, retired_tag: Tag, _case: str, payload: dict, expected: dict
) -> None:
    # when
    response = customer_client.post(URL, {"subject": "Hello", **payload})
    # then
    assert response.status_code == 400
    body = response.json()
    for key, messages in expected.items():
        assert body[key] == messages
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("tag_names", [[], ["billing"], ["vip", "billing", "a-b", "ab"]])
def test_create_answers_what_a_read_of_the_ticket_answers(
    agent_client: APIClient, customer: User, agent: User, tag_names: list[str]
) -> None:
    # given
    for name in tag_names:
        TagFactory(name=name)
    payload = {"subject": "Tagged", "requester": customer.pk, "assignee": agent.pk, "tags": tag_names}
    # when
    created = agent_client.post(URL, payload)
    # then
    assert created.status_code == 201, created.json()
    read = agent_client.get(detail(Ticket.objects.get(pk=created.json()["id"])))
    assert created.json() == read.json()
    assert created.json()["requester"]["id"] == customer.pk


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("requester", 999999999, ["No such object: 999999999."]),
        ("requester", "12a", ["Give a positive whole-number id."]),
        ("assignee", True, ["Give a positive whole-number id."]),
        ("requester", None, ["This field may not be null."]),
    ],
)
def test_create_resolves_people_by_id_or_says_why_not(
    agent_client: APIClient, field: str, value: object, expected: list[str]
) -> None:
    response = agent_client.post(URL, {"subject": "Hello", field: value})

    assert response.status_code == 400
    assert response.json() == {field: expected}


def test_create_input_builds_only_named_fields_with_the_same_answer(customer: User) -> None:
    # given: a JSON payload naming a few fields, and the same payload as form data (every field)
    payload = {"subject": "Hello", "requester": customer.pk, "priority": "p2"}
    lean = s.TicketCreateInputSerializer(data=payload)
    full = s.TicketCreateInputSerializer(data=QueryDict(urlencode(payload)))
    # when / then
    assert set(lean.fields) == {"subject", "requester", "priority"}
    assert set(full.fields) == set(s.TicketCreateInputSerializer().fields)
    assert lean.is_valid(), lean.errors
    assert full.is_valid(), full.errors
    assert lean.validated_data == full.validated_data
    assert not s.TicketCreateInputSerializer(data={"priority": "p2"}).is_valid()


def test_create_ignores_idempotency_for_different_keys(customer_client: APIClient) -> None:
    first = customer_client.post(URL, {"subject": "A"}, HTTP_IDEMPOTENCY_KEY="k1")
    second = customer_client.post(URL, {"subject": "A"}, HTTP_IDEMPOTENCY_KEY="k2")

    assert (first.status_code, second.status_code) == (201, 201)
    assert Ticket.objects.count() == 2


# --- edit ---------------------------------------------------------------------------------------


def test_agent_patches_fields_and_tags(
    agent_client: APIClient, ticket: Ticket, team: Team, billing_tag: Tag
) -> None:
    # given
    category = CategoryFactory(name="Hardware")
    # when
    response = agent_client.patch(
        detail(ticket), {"priority": "p1", "team": team.pk, "tags": ["billing"], "category": category.pk}
    )
    # then
    assert response.status_code == 200, response.json()
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.team_id, ticket.category_id) == ("p1", team.pk, category.pk)
    assert response.json()["tags"] == ["billing"]
    assert response.json()["category"] == {"id": category.pk, "name": "Hardware", "path": "Hardware"}
    fields = set(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.FIELD_CHANGED).values_list(
            "data__field", flat=True
        )
    )
    assert fields == {"priority", "team", "tags", "category"}


@pytest.mark.parametrize(
    ("_case", "client_fixture", "expected_status"),
    [
        ("requester may not edit fields", "customer_client", 403),
        ("outsider may not edit fields", "outsider_client", 403),
        ("anonymous is refused", "api_client", 401),
        ("agent may edit", "agent_client", 200),
    ],
)
def test_patch_access(
    request: pytest.FixtureRequest, ticket: Ticket, _case: str, client_fixture: str, expected_status: int
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.patch(detail(ticket), {"priority": "p1"})

    assert response.status_code == expected_status
    ticket.refresh_from_db()
    assert ticket.priority == ("p1" if expected_status == 200 else "p3")


def test_patch_with_nothing_to_change_is_400(agent_client: APIClient, ticket: Ticket) -> None:
    response = agent_client.patch(detail(ticket), {})

    assert response.status_code == 400
    assert response.json() == {"detail": ["Say what to change."]}


def test_put_is_not_allowed(agent_client: APIClient, ticket: Ticket) -> None:
    assert agent_client.put(detail(ticket), {"subject": "x"}).status_code == 405


# --- status -------------------------------------------------------------------------------------


def test_allowed_status_change_records_event(agent_client: APIClient, ticket: Ticket) -> None:
    # when
    response = agent_client.post(detail(ticket, "status/"), {"status": "triaged", "reason": "looked"})
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "triaged"
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.STATUS_CHANGED)
    assert event.data == {"from": "new", "to": "triaged", "reason": "looked"}


def test_forbidden_status_change_is_400_with_allowed_targets(agent_client: APIClient, ticket: Ticket) -> None:
    # given
    services.ticket_change_status(ticket_id=ticket.pk, to="closed", actor=None)
    # when
    response = agent_client.post(detail(ticket, "status/"), {"status": "in_progress"})
    # then
    assert response.status_code == 400
    assert response.json() == {
        "detail": "A ticket cannot move from 'closed' to 'in_progress'. Allowed from 'closed': none.",
        "code": "invalid_transition",
        "status": ["'closed' → 'in_progress' is not an allowed transition."],
    }
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.STATUS_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("_case", "client_fixture", "target", "expected_status"),
    [
        ("requester may close", "customer_client", "closed", 200),
        ("requester may not triage", "customer_client", "triaged", 403),
        ("outsider gets 404", "outsider_client", "closed", 404),
        ("agent may triage", "agent_client", "triaged", 200),
    ],
)
def test_status_access(
    request: pytest.FixtureRequest,
    ticket: Ticket,
    _case: str,
    client_fixture: str,
    target: str,
    expected_status: int,
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.post(detail(ticket, "status/"), {"status": target})

    assert response.status_code == expected_status
    ticket.refresh_from_db()
    assert ticket.status == (target if expected_status == 200 else "new")


# --- assign, escalate, merge, links, reopen -------------------------------------------------------


def test_agent_assigns_and_unassigns(agent_client: APIClient, ticket: Ticket, agent: User) -> None:
    assigned = agent_client.post(detail(ticket, "assign/"), {"assignee": agent.pk})
    unassigned = agent_client.post(detail(ticket, "assign/"), {"assignee": None})

    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == {"id": agent.pk, "email": agent.email, "full_name": agent.full_name}
    assert unassigned.status_code == 200
    assert unassigned.json()["assignee"] is None
    assert unassigned.json()["status"] == "triaged"


@pytest.mark.parametrize(
    ("_case", "assignee_fixture", "expected"),
    [
        ("a customer cannot be assigned", "customer", {"assignee": ["Tickets can only be assigned to active agents."]}),
        ("a missing user", None, {"assignee": ["No such object: 999999999."]}),
    ],
)  # fmt: skip
def test_assign_refuses_non_agents(
    request: pytest.FixtureRequest,
    agent_client: APIClient,
    ticket: Ticket,
    _case: str,
    assignee_fixture: str | None,
    expected: dict,
) -> None:
    assignee_id = request.getfixturevalue(assignee_fixture).pk if assignee_fixture else 999999999

    response = agent_client.post(detail(ticket, "assign/"), {"assignee": assignee_id})

    assert response.status_code == 400
    for key, value in expected.items():
        assert response.json()[key] == value
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_customer_cannot_assign(customer_client: APIClient, ticket: Ticket, agent: User) -> None:
    response = customer_client.post(detail(ticket, "assign/"), {"assignee": agent.pk})

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_escalate_then_de_escalate(agent_client: APIClient, ticket: Ticket) -> None:
    # when
    up = agent_client.post(
        detail(ticket, "escalate/"), {"issue_summary": "DB down", "why_escalating": "needs L2"}
    )
    down = agent_client.post(detail(ticket, "de-escalate/"), {"issue_summary": "Fixed config"})
    # then
    assert up.status_code == 200, up.json()
    assert (up.json()["support_tier"], up.json()["status"]) == ("l2", "escalated")
    assert down.status_code == 200, down.json()
    assert (down.json()["support_tier"], down.json()["status"]) == ("l1", "triaged")
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds.count(TicketEventKind.ESCALATED) == 1
    assert kinds.count(TicketEventKind.DE_ESCALATED) == 1


def test_escalate_without_summary_is_400(agent_client: APIClient, ticket: Ticket) -> None:
    response = agent_client.post(detail(ticket, "escalate/"), {"environment": "prod"})

    assert response.status_code == 400
    assert response.json() == {"issue_summary": ["This field is required."]}
    ticket.refresh_from_db()
    assert ticket.support_tier == "l1"


def test_merge_duplicate_into_original(agent_client: APIClient, ticket: Ticket, customer: User) -> None:
    # given
    duplicate = services.ticket_create(requester=customer, subject="Printer on fire again")
    # when
    response = agent_client.post(detail(duplicate, "merge/"), {"into": ticket.pk})
    # then
    assert response.status_code == 200
    assert response.json()["id"] == ticket.pk
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id, duplicate.close_reason) == (
        "closed",
        ticket.pk,
        "merged",
    )


def test_merge_into_missing_ticket_is_field_error(agent_client: APIClient, ticket: Ticket) -> None:
    response = agent_client.post(detail(ticket, "merge/"), {"into": 987654321})

    assert response.status_code == 400
    assert response.json() == {"into": ["No such object: 987654321."]}


def test_merge_into_itself_is_400(agent_client: APIClient, ticket: Ticket) -> None:
    response = agent_client.post(detail(ticket, "merge/"), {"into": ticket.pk})

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.merged_into_id is None


def test_links_create_list_delete(agent_client: APIClient, ticket: Ticket, outsider_ticket: Ticket) -> None:
    # when
    created = agent_client.post(
        detail(ticket, "links/"), {"to_ticket": outsider_ticket.pk, "kind": "related"}
    )
    listed = agent_client.get(detail(outsider_ticket, "links/"))
    deleted = agent_client.delete(detail(ticket, f"links/{created.json()['id']}/"))
    # then
    assert created.status_code == 201, created.json()
    assert created.json()["kind"] == "related"
    assert [row["id"] for row in listed.json()["results"]] == [created.json()["id"]]
    assert deleted.status_code == 204
    assert TicketLink.objects.count() == 0


def test_deleting_a_link_of_another_ticket_is_404(
    agent_client: APIClient, ticket: Ticket, outsider_ticket: Ticket, customer: User
) -> None:
    # given
    third = services.ticket_create(requester=customer, subject="Third")
    link = services.ticket_link(from_id=outsider_ticket.pk, to_id=third.pk, kind="related", actor=None)
    # when
    response = agent_client.delete(detail(ticket, f"links/{link.pk}/"))
    # then
    assert response.status_code == 404
    assert TicketLink.objects.filter(pk=link.pk).exists()


def test_customer_cannot_use_links(
    customer_client: APIClient, ticket: Ticket, outsider_ticket: Ticket
) -> None:
    listed = customer_client.get(detail(ticket, "links/"))
    created = customer_client.post(
        detail(ticket, "links/"), {"to_ticket": outsider_ticket.pk, "kind": "related"}
    )

    assert (listed.status_code, created.status_code) == (403, 403)
    assert TicketLink.objects.count() == 0


def test_customer_reopens_resolved_ticket(customer_client: APIClient, ticket: Ticket) -> None:
    # given
    services.ticket_change_status(ticket_id=ticket.pk, to="resolved", actor=None)
    # when
    response = customer_client.post(detail(ticket, "reopen/"))
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "triaged"
    assert response.json()["reopened_count"] == 1


def test_reopen_of_open_ticket_is_400(customer_client: APIClient, ticket: Ticket) -> None:
    response = customer_client.post(detail(ticket, "reopen/"))

    assert response.status_code == 400
    assert response.json()["status"] == ["Only a resolved ticket can be reopened."]
    ticket.refresh_from_db()
    assert ticket.status == "new"


# --- bulk ----------------------------------------------------------------------------------------


def test_bulk_update_changes_every_ticket(
    agent_client: APIClient, ticket: Ticket, outsider_ticket: Ticket
) -> None:
    response = agent_client.post(
        f"{URL}bulk/", {"ticket_ids": [ticket.pk, outsider_ticket.pk], "changes": {"priority": "p1"}}
    )

    assert response.status_code == 200, response.json()
    assert [row["priority"] for row in response.json()] == ["p1", "p1"]
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"p1"}


def test_bulk_update_is_all_or_nothing(
    agent_client: APIClient, ticket: Ticket, outsider_ticket: Ticket
) -> None:
    # given
    services.ticket_change_status(ticket_id=outsider_ticket.pk, to="closed", actor=None)
    # when
    response = agent_client.post(
        f"{URL}bulk/", {"ticket_ids": [ticket.pk, outsider_ticket.pk], "changes": {"priority": "p1"}}
    )
    # then
    assert response.status_code == 400
    assert response.json()["tickets"] == [f"#{outsider_ticket.pk}: A closed ticket can only be re-tagged."]
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"p3"}


def test_customer_cannot_bulk_update(customer_client: APIClient, ticket: Ticket) -> None:
    response = customer_client.post(f"{URL}bulk/", {"ticket_ids": [ticket.pk], "changes": {"priority": "p1"}})

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.priority == "p3"


# --- import --------------------------------------------------------------------------------------


def _import_payload(created_at: str) -> dict:
    return {
        "source": "zendesk",
        "external_id": "ZD-42",
        "created_at": created_at,
        "subject": "Old problem",
        "requester_email": "legacy@acme.test",
        "messages": [
            {"author_email": "legacy@acme.test", "body": "It broke", "created_at": created_at},
            {"author_email": "agent@helpdesk.test", "body": "Looking", "visibility": "internal", "created_at": created_at},
        ],
        "statuses": [{"status": "resolved", "at": created_at}],
    }  # fmt: skip


def test_import_creates_then_returns_existing(admin_client_api: APIClient, agent: User) -> None:
    # given
    created_at = (timezone.now() - timedelta(days=30)).isoformat()
    # when
    first = admin_client_api.post(f"{URL}import/", _import_payload(created_at))
    second = admin_client_api.post(f"{URL}import/", _import_payload(created_at))
    # then
    assert first.status_code == 201, first.json()
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.external_id, ticket.status) == ("zendesk", "ZD-42", "resolved")
    assert ticket.created_at.isoformat() == created_at
    assert ticket.requester.email == "legacy@acme.test"
    assert list(ticket.messages.values_list("author__email", "visibility")) == [
        ("legacy@acme.test", "public"),
        ("agent@helpdesk.test", "internal"),
    ]


@pytest.mark.parametrize("client_fixture", ["agent_client", "customer_client"])
def test_only_admins_import(request: pytest.FixtureRequest, client_fixture: str) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.post(f"{URL}import/", _import_payload(timezone.now().isoformat()))

    assert response.status_code == 403
    assert Ticket.objects.count() == 0


def test_import_in_the_future_is_refused(admin_client_api: APIClient) -> None:
    future = (timezone.now() + timedelta(days=1)).isoformat()

    response = admin_client_api.post(f"{URL}import/", _import_payload(future))

    assert response.status_code == 400
    assert response.json()["created_at"] == ["An imported ticket cannot be created in the future."]
    assert Ticket.objects.count() == 0
    assert not User.objects.filter(email="legacy@acme.test").exists()
