"""`manage.py seed_demo`: a small demo seed is complete, consistent and never duplicated."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from helpdesk import demo
from helpdesk.models import CustomerTier, Organization, Role, Team, User
from kb import reports
from kb.models import Article, DeflectionAttempt
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketMessage

TICKETS = 30


def _seed(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", tickets=TICKETS, seed=1, stdout=out, **options)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "organizations": Organization.objects.count(),
        "teams": Team.objects.count(),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "messages": TicketMessage.objects.count(),
    }


@pytest.mark.django_db
def test_seed_creates_every_customer_tier_and_the_support_tiers() -> None:
    # when
    output = _seed()

    # then
    assert "Demo data created." in output
    assert set(Organization.objects.values_list("tier", flat=True)) == set(CustomerTier.values)
    assert Organization.objects.filter(is_vip=True).exists()
    assert Organization.objects.filter(members_see_each_other=True).exists()
    assert not Organization.objects.filter(domains__isnull=True).exists()
    teams = {team.name: team for team in Team.objects.select_related("lead")}
    assert {"Frontline", "Specialists", "Engineering escalations", "Billing", "Authentication"} <= set(teams)
    assert [name for name, team in teams.items() if team.is_escalation_team] == ["Engineering escalations"]
    assert {team.default_tier for team in teams.values()} == {"l1", "l2", "l3"}
    assert all(team.lead is not None and team.lead.role == Role.TEAM_LEAD for team in teams.values())
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert Ticket.objects.count() == TICKETS


@pytest.mark.django_db
def test_demo_logins_authenticate_and_are_printed() -> None:
    # when
    output = _seed()

    # then
    for email, password, _what in demo.DEMO_LOGINS:
        user = authenticate(username=email, password=password)
        assert user is not None, email
        assert user.email == email
        assert email in output
        assert password in output


@pytest.mark.django_db
def test_every_ticket_starts_with_created_and_its_events_ascend() -> None:
    # given
    before = timezone.now()
    _seed()

    # when
    history: dict[int, list[tuple[str, datetime]]] = {}
    for ticket_id, kind, occurred_at in TicketEvent.objects.order_by("id").values_list(
        "ticket_id", "kind", "occurred_at"
    ):
        history.setdefault(ticket_id, []).append((kind, occurred_at))

    # then
    assert set(history) == set(Ticket.objects.values_list("pk", flat=True))
    for events in history.values():
        times = [occurred_at for _, occurred_at in events]
        assert events[0][0] == TicketEventKind.CREATED
        assert times == sorted(times)
        assert times[-1] <= before
    for ticket in Ticket.objects.all():
        assert history[ticket.pk][0][1] == ticket.created_at


@pytest.mark.django_db
def test_seeding_twice_does_not_duplicate() -> None:
    # given
    _seed()
    counts = _row_counts()

    # when
    output = _seed()

    # then
    assert "already present" in output
    assert _row_counts() == counts


@pytest.mark.django_db
def test_non_empty_database_is_left_alone_unless_forced() -> None:
    # given
    User.objects.create_user("someone@example.com", "pass-1234-word")

    # when
    output = _seed()

    # then
    assert "not seeding" in output
    assert _row_counts()["tickets"] == 0
    assert User.objects.count() == 1
    assert "Demo data created." in _seed(force=True)
    assert Ticket.objects.count() == TICKETS


@pytest.mark.django_db
def test_same_seed_gives_the_same_tickets() -> None:
    # given
    now = timezone.now().replace(second=0, microsecond=0)

    def seeded_tickets() -> list[tuple[object, ...]]:
        with transaction.atomic():
            demo.demo_seed(tickets=TICKETS, seed=3, now=now)
            rows = list(
                Ticket.objects.order_by("created_at", "id").values_list(
                    "subject", "priority", "status", "created_at", "requester__email", "message_count"
                )
            )
            transaction.set_rollback(True)
        return rows

    # when
    first, second = seeded_tickets(), seeded_tickets()

    # then
    assert first == second
    assert len(first) == TICKETS


@pytest.mark.django_db
def test_demo_help_centre_has_a_month_of_self_service_to_report() -> None:
    # when
    _seed()
    now = timezone.now()
    start = now - timedelta(days=31)

    # then: the self-service report has searches, clicks, zero-result queries, votes and coverage
    summary = reports.search_summary(start=start, end=now)
    assert summary.searches >= 30 * 6
    assert 0 < summary.success.numerator < summary.searches
    assert summary.zero_result.numerator > 0
    helpfulness, _ = reports.article_helpfulness()
    assert helpfulness.denominator > 0
    assert Article.objects.filter(ticket_categories__name="Password reset").count() == 3
    assert not Article.objects.filter(ticket_categories__name="Slack").exists()
    assert DeflectionAttempt.objects.exists()
