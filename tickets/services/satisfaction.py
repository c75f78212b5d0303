"""Recording a customer's satisfaction rating on the ticket it was about (from metrics surveys)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from helpdesk.inserts import insert_rows
from helpdesk.models import User
from tickets.models import TicketEvent, TicketEventKind


def ticket_satisfaction_record(
    *,
    ticket_id: int,
    survey_id: int,
    kind: str,
    score: int,
    previous: int | None,
    scale_max: int,
    actor: User | None,
    at: datetime,
) -> TicketEvent:
    """Append a SATISFACTION_RATED event to the ticket's log; `previous` is the score it replaces.

    Writes only the event: a rating changes no ticket column (nor SLA clocks). Call it in the
    transaction that stores the rating, so the two commit together.
    """
    data: dict[str, int | str | None] = {
        "survey_id": survey_id,
        "kind": kind,
        "score": score,
        "scale_max": scale_max,
        "previous": previous,
    }
    event = TicketEvent(
        ticket_id=ticket_id,
        kind=TicketEventKind.SATISFACTION_RATED,
        actor=actor,
        occurred_at=at,
        recorded_at=timezone.now(),
        data=data,
    )
    insert_rows([event])
    return event
