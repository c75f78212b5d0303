"""The hand-assembled INSERTs of the hot write paths must write what the ORM would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import models

from helpdesk.inserts import insert_rows
from sla.models import SlaClock, SlaEvent
from tests.factories import TicketFactory
from tickets.models import Ticket, TicketEvent

# Field types whose Python values psycopg2 adapts as Django would prepare them.
PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.CharField,
    models.TextField,
    models.DateTimeField,
    models.BooleanField,
    models.PositiveIntegerField,
    models.FloatField,
    models.ForeignKey,
    models.JSONField,
)


FAST_INSERT_MODELS = (Ticket, TicketEvent, SlaClock, SlaEvent)


@pytest.mark.parametrize("model", FAST_INSERT_MODELS, ids=lambda m: m.__name__)
def test_fast_insert_models_only_have_plainly_adapted_fields(model: type[models.Model]) -> None:
    # then
    odd = [f.name for f in model._meta.concrete_fields if not isinstance(f, PLAIN_FIELDS)]
    assert odd == []


@pytest.mark.django_db
def test_insert_rows_writes_the_same_values_as_the_orm(customer: object) -> None:
    # given
    ticket = TicketFactory(requester=customer)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    event = SlaEvent(ticket=ticket, kind="paused", at=at, data={"reason": "pending", "n": [1, 2]})

    # when
    insert_rows([event])
    insert_rows([SlaEvent(ticket=ticket, kind="applied", at=at, data={})], ignore_conflicts=True)

    # then
    stored = list(
        SlaEvent.objects.filter(ticket=ticket).order_by("id").values_list("kind", "at", "data", "level")
    )
    assert stored == [("paused", at, {"reason": "pending", "n": [1, 2]}, None), ("applied", at, {}, None)]
    assert event.pk == SlaEvent.objects.filter(ticket=ticket, kind="paused").get().pk
    assert not event._state.adding
