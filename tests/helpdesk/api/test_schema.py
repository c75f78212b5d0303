"""The OpenAPI document is served and valid."""

from __future__ import annotations

from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def test_schema_is_valid_openapi_3(api_client: APIClient, db: None) -> None:
    # when
    response = api_client.get("/api/v1/schema/?format=json")
    # then
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/tickets/",
        "/api/v1/tickets/{id}/status/",
        "/api/v1/tickets/{ticket_pk}/messages/",
        "/api/v1/tickets/{ticket_pk}/events/",
        "/api/v1/tickets/bulk/",
        "/api/v1/tickets/import/",
        "/api/v1/attachments/{id}/download/",
        "/api/v1/users/me/",
        "/api/v1/tokens/",
    ):
        assert path in schema["paths"], path
