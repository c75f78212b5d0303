"""Dry runs show what a rule would do on the latest tickets, and write nothing."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.models import Team, User
from tests.tickets.automation.conftest import reference_rule_json
from tickets import services
from tickets.automation.dry_run import rule_dry_run
from tickets.models import Category, Ticket, TicketEvent, TicketMessage


def test_dry_run_lists_matches_and_actions_and_writes_nothing(
    customer: User, authentication: Category, auth_team: Team
) -> None:
    # given
    matching = services.ticket_create(requester=customer, subject="Login loop on mobile")
    services.ticket_create(requester=customer, subject="Invoice copy")
    spec = reference_rule_json(authentication, auth_team)
    counts = (Ticket.objects.count(), TicketEvent.objects.count(), TicketMessage.objects.count())
    # when
    with CaptureQueriesContext(connection) as queries:
        result = rule_dry_run(
            kind="event",
            triggers=["created"],
            conditions_json=spec["conditions"],
            actions_json=spec["actions"],
            now=timezone.now(),
        )
    # then
    assert [row.ticket_id for row in result.matched] == [matching.pk]
    assert len(result.rows) == 2
    assert result.actions == [
        "Set category to Authentication",
        "Route to team Authentication and assign by the team's strategy",
        "Suggest article “Password Reset Guide” (internal note)",
    ]
    assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in queries.captured_queries)
    assert (Ticket.objects.count(), TicketEvent.objects.count(), TicketMessage.objects.count()) == counts
    matching.refresh_from_db()
    assert matching.category_id is None


def test_dry_run_reads_only_the_latest_100_tickets(customer: User) -> None:
    for number in range(103):
        services.ticket_create(requester=customer, subject=f"Ticket {number}")

    result = rule_dry_run(
        kind="event",
        triggers=["created"],
        conditions_json={},
        actions_json=[{"type": "add_note", "body": "x"}],
        now=timezone.now(),
    )

    assert len(result.rows) == 100
    assert result.rows[0].subject == "Ticket 102"
