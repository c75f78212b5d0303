"""The hand-assembled INSERTs of the hot write paths must write what the ORM would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import models

from helpdesk.inserts import insert_rows, select_rows, update_rows
from helpdesk.models import Notification
from sla.models import SlaClock, SlaEvent, TicketSla
from tests.factories import TicketFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_create

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


FAST_INSERT_MODELS = (Ticket, TicketEvent, SlaClock, SlaEvent, Notification)


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


@pytest.mark.django_db
def test_update_rows_writes_each_row_its_own_values_including_nulls(customer: object) -> None:
    # given
    for _ in range(2):
        ticket_create(requester=customer, subject="Clocks to update")
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clocks = list(SlaClock.objects.filter(metric="resolution").order_by("ticket_id"))
    untouched = SlaClock.objects.get(metric="first_response", ticket_id=clocks[0].ticket_id)
    clocks[0].state, clocks[0].due_at, clocks[0].elapsed_seconds = "paused", None, 61.5
    clocks[1].state, clocks[1].due_at, clocks[1].elapsed_seconds = "breached", at, 0.25
    clocks[1].escalate_pending = True

    # when
    update_rows(clocks, ["state", "due_at", "elapsed_seconds", "escalate_pending"])

    # then
    stored = list(
        SlaClock.objects.filter(metric="resolution")
        .order_by("ticket_id")
        .values_list("state", "due_at", "elapsed_seconds", "escalate_pending")
    )
    assert stored == [("paused", None, 61.5, False), ("breached", at, 0.25, True)]
    assert SlaClock.objects.get(pk=untouched.pk).state == untouched.state == "running"


@pytest.mark.django_db
def test_select_rows_returns_what_the_orm_returns(customer: object) -> None:
    # given
    ticket_create(requester=customer, subject="Clocks to read")
    ticket_create(requester=customer, subject="Another")
    wanted = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))[:1]

    # when
    rows = select_rows(SlaClock, "ticket_id", wanted)
    pins = select_rows(TicketSla, "ticket_id", wanted)

    # then
    orm = {clock.pk: clock for clock in SlaClock.objects.filter(ticket_id__in=wanted)}
    assert {row.pk for row in rows} == set(orm)
    assert orm
    for row in rows:
        for field in SlaClock._meta.concrete_fields:
            assert getattr(row, field.attname) == getattr(orm[row.pk], field.attname), field.name
    [pin] = pins
    assert pin.matched_on == TicketSla.objects.get(ticket_id=wanted[0]).matched_on
    assert isinstance(pin.matched_on, dict)
    assert pin.matched_on
