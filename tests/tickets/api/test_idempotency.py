"""Idempotency-Key on ticket writes: a retried POST replays the first answer and writes nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from helpdesk.models import User
from tests.factories import CustomerFactory, OrganizationFactory
from tickets.models import Ticket, TicketEvent, TicketMessage

URL = "/api/v1/tickets/"


def test_same_key_twice_returns_the_first_answer(customer_client: APIClient) -> None:
    # when
    first = customer_client.post(URL, {"subject": "Once"}, HTTP_IDEMPOTENCY_KEY="abc-1")
    second = customer_client.post(URL, {"subject": "Once"}, HTTP_IDEMPOTENCY_KEY="abc-1")
    # then
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_same_key_with_a_different_body_is_422(customer_client: APIClient) -> None:
    customer_client.post(URL, {"subject": "Once"}, HTTP_IDEMPOTENCY_KEY="abc-2")

    response = customer_client.post(URL, {"subject": "Twice"}, HTTP_IDEMPOTENCY_KEY="abc-2")

    assert response.status_code == 422
    assert response.json() == {"detail": "This Idempotency-Key was already used for a different request."}
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Once"]


def test_refused_request_can_be_corrected_and_retried_with_the_same_key(customer_client: APIClient) -> None:
    refused = customer_client.post(URL, {"subject": ""}, HTTP_IDEMPOTENCY_KEY="abc-3")
    accepted = customer_client.post(URL, {"subject": "Fixed"}, HTTP_IDEMPOTENCY_KEY="abc-3")

    assert (refused.status_code, accepted.status_code) == (400, 201)
    assert Ticket.objects.count() == 1


def test_retried_action_changes_status_once(agent_client: APIClient, ticket: Ticket) -> None:
    # when
    for _ in range(3):
        response = agent_client.post(
            f"{URL}{ticket.pk}/status/", {"status": "triaged"}, HTTP_IDEMPOTENCY_KEY="status-1"
        )
    # then
    assert response.status_code == 200
    assert TicketEvent.objects.filter(ticket=ticket, kind="status_changed").count() == 1


def test_retried_message_is_posted_once(customer_client: APIClient, ticket: Ticket) -> None:
    for _ in range(2):
        customer_client.post(f"{URL}{ticket.pk}/messages/", {"body": "hi"}, HTTP_IDEMPOTENCY_KEY="m-1")

    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_keys_belong_to_one_user(customer_client: APIClient, coworker_client: APIClient) -> None:
    first = customer_client.post(URL, {"subject": "Mine"}, HTTP_IDEMPOTENCY_KEY="shared")
    second = coworker_client.post(URL, {"subject": "Mine"}, HTTP_IDEMPOTENCY_KEY="shared")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_overlong_key_is_400(customer_client: APIClient) -> None:
    response = customer_client.post(URL, {"subject": "x"}, HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert response.status_code == 400
    assert Ticket.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_exactly_one_ticket() -> None:
    # given
    user: User = CustomerFactory(email="racer@acme.test", organization=OrganizationFactory(name="Race"))
    barrier = threading.Barrier(4)
    statuses: list[int] = []
    bodies: list[dict] = []

    def post() -> None:
        client = APIClient()
        client.force_authenticate(user=user)
        try:
            barrier.wait()
            response = client.post(URL, {"subject": "Race"}, HTTP_IDEMPOTENCY_KEY="race-1")
            statuses.append(response.status_code)
            bodies.append(response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert statuses == [201, 201, 201, 201]
    assert len({body["id"] for body in bodies}) == 1
    assert Ticket.objects.count() == 1
