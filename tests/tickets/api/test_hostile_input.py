"""Malformed and hostile input answers 4xx on every write endpoint, never 500, and writes nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from helpdesk.models import ApiToken, IdempotencyKey, Organization, Team, User
from tickets.models import Category, ProductArea, Tag, Ticket, TicketEvent, TicketLink, TicketMessage

HOSTILE_VALUES = [
    pytest.param("\x00", id="nul-byte"),
    pytest.param("a\x00b", id="embedded-nul"),
    pytest.param(10**30, id="huge-number"),
    pytest.param(-1, id="negative"),
    pytest.param(1.5, id="float"),
    pytest.param("abc", id="string-for-int"),
    pytest.param(None, id="null"),
    pytest.param(True, id="bool"),
    pytest.param({"$gt": [1, {"a": None}]}, id="nested-object"),
    pytest.param([[[["deep"]]]], id="nested-list"),
    pytest.param("x" * 300_000, id="too-long"),
    pytest.param("🎫" * 300, id="emoji-too-long"),
]

RAW_BODIES = [
    pytest.param("not json {", id="not-json"),
    pytest.param("[1, 2, 3]", id="json-list"),
    pytest.param("null", id="json-null"),
    pytest.param('"just a string"', id="json-string"),
    pytest.param("1e999999", id="json-huge-float"),
    pytest.param('{"subject": "\\u0000"}', id="json-escaped-nul"),
    pytest.param('{"subject": "\\ud800", "name": "\\udfff", "body": "\\ud800"}', id="json-lone-surrogate"),
    pytest.param(b'{"subject": "\xff\xfe"}', id="invalid-utf8"),
    pytest.param('{"a": ' * 5000 + "1" + "}" * 5000, id="json-deeply-nested"),
]

# (method, path template, client fixture, fields). {ticket} is a ticket the caller may see.
ENDPOINTS = [
    ("post", "/api/v1/tickets/", "agent_client", ["subject", "priority", "tags", "requester", "team"]),
    ("post", "/api/v1/tickets/", "customer_client", ["subject", "description", "category", "tags"]),
    ("patch", "/api/v1/tickets/{ticket}/", "agent_client", ["subject", "status", "assignee", "tags"]),
    ("post", "/api/v1/tickets/{ticket}/status/", "agent_client", ["status", "reason"]),
    ("post", "/api/v1/tickets/{ticket}/status/", "customer_client", ["status"]),
    ("post", "/api/v1/tickets/{ticket}/assign/", "agent_client", ["assignee"]),
    ("post", "/api/v1/tickets/{ticket}/escalate/", "agent_client", ["issue_summary", "to_tier", "to_team"]),
    ("post", "/api/v1/tickets/{ticket}/de-escalate/", "agent_client", ["issue_summary", "to_team"]),
    ("post", "/api/v1/tickets/{ticket}/merge/", "agent_client", ["into"]),
    ("post", "/api/v1/tickets/{ticket}/links/", "agent_client", ["to_ticket", "kind"]),
    ("post", "/api/v1/tickets/{ticket}/messages/", "customer_client", ["body", "visibility", "cc"]),
    ("post", "/api/v1/tickets/{ticket}/messages/", "agent_client", ["body", "visibility", "attachments"]),
    ("post", "/api/v1/tickets/bulk/", "agent_client", ["ticket_ids", "changes"]),
    (
        "post",
        "/api/v1/tickets/import/",
        "admin_client_api",
        ["source", "external_id", "created_at", "messages"],
    ),
    ("post", "/api/v1/users/", "admin_client_api", ["email", "role", "organization", "max_open_tickets"]),
    ("patch", "/api/v1/users/{customer}/", "admin_client_api", ["email", "time_zone", "is_active"]),
    ("post", "/api/v1/organizations/", "admin_client_api", ["name", "tier", "domains", "account_owner"]),
    ("post", "/api/v1/teams/", "admin_client_api", ["name", "lead", "members"]),
    ("post", "/api/v1/categories/", "admin_client_api", ["name", "parent", "is_active"]),
    ("post", "/api/v1/tags/", "admin_client_api", ["name", "description", "is_active"]),
    ("post", "/api/v1/product-areas/", "admin_client_api", ["name", "is_active"]),
    ("post", "/api/v1/tokens/", "customer_client", ["name", "expires_at"]),
]
ENDPOINT_IDS = [f"{method} {path} as {client}" for method, path, client, _ in ENDPOINTS]

MODELS = [
    Ticket, TicketMessage, TicketEvent, TicketLink, User, Organization, Team, Category, Tag, ProductArea,
    ApiToken, IdempotencyKey,
]  # fmt: skip


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _snapshot(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return (ticket.subject, ticket.status, ticket.priority, ticket.assignee_id, ticket.updated_at)


@pytest.fixture
def world(ticket: Ticket, customer: User, agent: User, admin_user: User, team: Team) -> dict[str, int]:
    return {"ticket": ticket.pk, "customer": customer.pk}


@pytest.mark.parametrize("value", HOSTILE_VALUES)
@pytest.mark.parametrize(("method", "path", "client_fixture", "fields"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_hostile_field_values_are_refused(
    request: pytest.FixtureRequest,
    world: dict[str, int],
    ticket: Ticket,
    method: str,
    path: str,
    client_fixture: str,
    fields: list[str],
    value: object,
) -> None:
    # given
    client = request.getfixturevalue(client_fixture)
    before, ticket_before = _counts(), _snapshot(ticket)
    # when
    response = getattr(client, method)(
        path.format(**world), {field: value for field in fields}, format="json"
    )
    # then
    if value is None and path.endswith("/assign/"):
        assert response.status_code == 200  # {"assignee": null} unassigns; nothing to change here
    else:
        assert 400 <= response.status_code < 500, response.content[:500]
    assert _counts() == before
    assert _snapshot(ticket) == ticket_before


@pytest.mark.parametrize("body", RAW_BODIES)
@pytest.mark.parametrize(("method", "path", "client_fixture", "fields"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_malformed_bodies_are_refused(
    request: pytest.FixtureRequest,
    world: dict[str, int],
    ticket: Ticket,
    method: str,
    path: str,
    client_fixture: str,
    fields: list[str],
    body: str,
) -> None:
    # given
    client = request.getfixturevalue(client_fixture)
    before, ticket_before = _counts(), _snapshot(ticket)
    # when
    response = getattr(client, method)(path.format(**world), body, content_type="application/json")
    # then
    assert 400 <= response.status_code < 500, response.content[:500]
    assert _counts() == before
    assert _snapshot(ticket) == ticket_before


def test_nul_byte_in_subject_is_a_field_error(customer_client: APIClient) -> None:
    response = customer_client.post("/api/v1/tickets/", {"subject": "Printer\x00fire"})

    assert response.status_code == 400
    assert response.json() == {"subject": ["Null characters are not allowed."]}
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "status=zzz",
        "priority=p0",
        "created_after=yesterday",
        "updated_since=2024-13-45",
        "assignee=-1",
        "assignee=abc",
        "team=99999999999999999999999",
        "team=-5",
        "category=1.5",
        "requester=%00",
        "q=%00",
        "q=" + "x" * 5000,
        "tag=" + ",".join(["t"] * 500),
        "cursor=garbage",
        "cursor=eyJmIjoiY3JlYXRlZF9hdCIsImQiOiJuIiwidiI6Im5vdCBhIGRhdGUiLCJpIjoxfQ",
        "page_size=-5",
        "page_size=abc",
        "page_size=99999999999999999999999",
        "ordering=password",
        "ordering=-requester__password",
        "is_open=maybe",
    ],
)
def test_hostile_list_queries_never_fail(agent_client: APIClient, ticket: Ticket, query: str) -> None:
    response = agent_client.get(f"/api/v1/tickets/?{query}")

    assert response.status_code in (200, 400), response.content[:500]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/99999999999999999999999/",
        "/api/v1/tickets/9223372036854775808/links/",
        "/api/v1/tickets/-1/",
        "/api/v1/tickets/abc/",
        "/api/v1/tickets/0/messages/",
        "/api/v1/tickets/99999999999999999999999/messages/",
        "/api/v1/tickets/99999999999999999999999/events/",
        "/api/v1/attachments/99999999999999999999999/download/",
        "/api/v1/users/99999999999999999999999/",
    ],
)
def test_out_of_range_ids_in_urls_answer_404(agent_client: APIClient, path: str) -> None:
    assert agent_client.get(path).status_code == 404
