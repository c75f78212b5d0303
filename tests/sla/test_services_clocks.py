"""Clock re-planning, the sweep and escalation against the database (sla.services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from helpdesk import services as account_services
from helpdesk.models import Notification, NotificationKind, Organization, Role, Team, User
from sla import services as sla_services
from sla.models import ClockState, ReapplyStatus, SlaClock, SlaEvent, SlaPolicy, SlaReapplyJob, TicketSla
from tests.factories import AgentFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent

# Monday 2 March 2026, 09:00 UTC: the default calendar is Mon-Fri 09:00-17:00 UTC.
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def clocks(ticket: Ticket) -> dict[tuple[str, int], SlaClock]:
    return {(c.metric, c.period): c for c in SlaClock.objects.filter(ticket=ticket)}


@pytest.fixture
def lead() -> User:
    return AgentFactory(email="lead@helpdesk.test", role=Role.TEAM_LEAD)


@pytest.fixture
def support(lead: User, agent: User) -> Team:
    team = account_services.team_create(name="Frontline", lead=lead, members=[agent])
    return team


def open_ticket(customer: User, *, priority: str = "p3", at: datetime = MONDAY_9, **fields: object) -> Ticket:
    with time_machine.travel(at, tick=False):
        return ticket_services.ticket_create(
            requester=customer, subject="Cannot log in", priority=priority, **fields
        )


def test_a_new_ticket_gets_the_default_policy_and_its_tier_targets(customer: User) -> None:
    # given: Acme is an Enterprise customer (targets are half the reference's)

    # when
    ticket = open_ticket(customer)

    # then
    pinned = TicketSla.objects.get(ticket=ticket)
    assert pinned.policy_version.policy.is_default
    found = clocks(ticket)
    assert set(found) == {("first_response", 1), ("resolution", 1)}
    assert found[("first_response", 1)].target_seconds == 120 * 60
    assert found[("first_response", 1)].due_at == MONDAY_9 + timedelta(hours=2)
    # 12 business hours from Monday 09:00 on a 09:00-17:00 calendar: Tuesday 13:00
    assert found[("resolution", 1)].due_at == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    assert SlaEvent.objects.filter(ticket=ticket, kind="applied").count() == 1


def test_p1_counts_calendar_hours_through_the_night(customer: User) -> None:
    # given: Friday 16:50, a P1 (enterprise: 7.5 min response -> 8 min, 2 h resolution)
    friday = datetime(2026, 3, 6, 16, 50, tzinfo=UTC)

    # when
    ticket = open_ticket(customer, priority="p1", at=friday)

    # then
    found = clocks(ticket)
    assert found[("resolution", 1)].due_at == friday + timedelta(hours=2)
    assert found[("resolution", 1)].calendar_id is None


def test_first_public_agent_reply_fulfils_first_response(customer: User, agent: User) -> None:
    # given
    ticket = open_ticket(customer)

    # when
    with time_machine.travel(MONDAY_9 + timedelta(minutes=30), tick=False):
        ticket_services.message_create(ticket_id=ticket.pk, author=agent, body="On it.")

    # then
    found = clocks(ticket)
    assert found[("first_response", 1)].state == ClockState.FULFILLED
    assert found[("first_response", 1)].breached_at is None
    assert found[("periodic_update", 1)].state == ClockState.RUNNING


def test_pending_pauses_resolution_and_pushes_its_due_instant(customer: User, agent: User) -> None:
    # given
    ticket = open_ticket(customer)
    with time_machine.travel(MONDAY_9 + timedelta(hours=1), tick=False):
        ticket_services.message_create(ticket_id=ticket.pk, author=agent, body="Which browser?")
        ticket_services.ticket_change_status(ticket_id=ticket.pk, to="pending", actor=agent)
    paused = clocks(ticket)[("resolution", 1)]
    assert (paused.state, paused.pause_reason, paused.due_at, paused.next_check_at) == (
        "paused",
        "pending",
        None,
        None,
    )

    # when: the customer answers three business hours later
    with time_machine.travel(MONDAY_9 + timedelta(hours=4), tick=False):
        ticket_services.message_create(ticket_id=ticket.pk, author=customer, body="Firefox.")

    # then: 1 h used, 11 h left from Monday 13:00 -> Tuesday 16:00
    resumed = clocks(ticket)[("resolution", 1)]
    assert resumed.state == ClockState.RUNNING
    assert resumed.due_at == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)


def test_priority_change_retargets_from_the_original_start(customer: User, agent: User) -> None:
    # given
    ticket = open_ticket(customer, priority="p4")

    # when
    with time_machine.travel(MONDAY_9 + timedelta(minutes=10), tick=False):
        ticket_services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"priority": "p2"})

    # then: enterprise P2 first response is 30 business minutes from creation
    assert clocks(ticket)[("first_response", 1)].due_at == MONDAY_9 + timedelta(minutes=30)


def test_imported_history_gets_the_clocks_it_implies_and_rebuild_agrees(
    customer: User, agent: User, admin_user: User
) -> None:
    # given
    payload = ticket_services.TicketImport(
        source="zendesk",
        external_id="42",
        created_at=MONDAY_9,
        fields={"requester": customer, "subject": "Old", "priority": "p3"},
        messages=[
            ticket_services.ImportedMessage(
                author=agent, body="Hi", created_at=MONDAY_9 + timedelta(hours=3)
            ),
        ],
        statuses=[ticket_services.ImportedStatus(status="resolved", at=MONDAY_9 + timedelta(days=3))],
    )

    # when
    ticket, _ = ticket_services.ticket_import(payload=payload, actor=admin_user)

    # then: answered after 3 h against a 2 h target: breached at 11:00 as if it had been live
    first = clocks(ticket)[("first_response", 1)]
    assert (first.state, first.breached_at) == (ClockState.FULFILLED, MONDAY_9 + timedelta(hours=2))
    resolution = clocks(ticket)[("resolution", 1)]
    assert resolution.state == ClockState.FULFILLED
    assert sla_services.clocks_check(ticket_id=ticket.pk, now=datetime.now(UTC)) == []


def test_rebuild_check_reports_a_clock_that_differs_from_the_event_log(customer: User) -> None:
    # given
    ticket = open_ticket(customer)
    SlaClock.objects.filter(ticket=ticket, metric="resolution").update(due_at=MONDAY_9)

    # when / then
    with pytest.raises(CommandError, match="1 clock values differ"):
        call_command("sla_rebuild", "--check", "--ticket", str(ticket.pk))


def test_sweep_fires_each_level_once_to_the_right_people(
    customer: User, agent: User, lead: User, support: Team, manager: User
) -> None:
    # given: an assigned P3 ticket whose 2 h first-response target runs out
    ticket = open_ticket(customer, team=support, assignee=agent)

    # when: sweeps at 85%, then past 200%, then again
    sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(minutes=102))
    sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(hours=5))
    again = sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(hours=5))

    # then
    first = SlaClock.objects.get(ticket=ticket, metric="first_response")
    levels = sorted(SlaEvent.objects.filter(clock=first).exclude(level=None).values_list("kind", "level"))
    assert levels == [
        ("breached", 100),
        ("severely_breached", 200),
        ("warned", 50),
        ("warned", 80),
        ("warned", 90),
    ]
    assert again == 0
    assert first.breached_at == MONDAY_9 + timedelta(hours=2)
    assert first.warned_level == 200
    alerts = Notification.objects.filter(source__startswith=f"sla.clock:{first.pk}:")
    assert sorted((n.source.rsplit(":", 1)[1], n.recipient.email) for n in alerts) == sorted(
        [
            ("80", agent.email),
            ("90", lead.email),
            ("90", agent.email),
            ("100", manager.email),
            ("100", agent.email),
            ("200", manager.email),
        ]
    )


def test_a_paused_clock_does_not_warn(customer: User, agent: User) -> None:
    # given
    ticket = open_ticket(customer)
    with time_machine.travel(MONDAY_9 + timedelta(minutes=5), tick=False):
        ticket_services.message_create(ticket_id=ticket.pk, author=agent, body="Please send logs")
        ticket_services.ticket_change_status(ticket_id=ticket.pk, to="pending", actor=agent)

    # when: far past the resolution target while still waiting on the customer
    sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(days=10))

    # then
    resolution = SlaClock.objects.get(ticket=ticket, metric="resolution")
    assert SlaEvent.objects.filter(clock=resolution, kind__in=["warned", "breached"]).count() == 0


def test_breach_escalates_the_ticket_exactly_once(
    customer: User, agent: User, support: Team, manager: User
) -> None:
    # given
    ticket = open_ticket(customer, team=support, assignee=agent)
    sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(hours=3))

    # when
    first_run = ticket_services.tickets_escalate_breached(now=MONDAY_9 + timedelta(hours=3))
    second_run = ticket_services.tickets_escalate_breached(now=MONDAY_9 + timedelta(hours=3))

    # then
    ticket.refresh_from_db()
    assert (first_run, second_run) == (1, 0)
    assert (ticket.status, ticket.support_tier) == ("escalated", "l2")
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").count() == 1
    assert ticket.messages.filter(visibility="internal", author=None).count() == 1


def test_levels_crossed_before_an_import_are_recorded_silently(customer: User, admin_user: User) -> None:
    # given: an open ticket imported long after its deadline
    payload = ticket_services.TicketImport(
        source="zendesk",
        external_id="7",
        created_at=MONDAY_9,
        fields={"requester": customer, "subject": "Old"},
    )
    with time_machine.travel(MONDAY_9 + timedelta(days=20), tick=False):
        ticket, _ = ticket_services.ticket_import(payload=payload, actor=admin_user)

    # when
    sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(days=20))

    # then
    breach = SlaEvent.objects.get(ticket=ticket, kind="breached", clock__metric="first_response")
    assert breach.data["silent"] is True
    assert Notification.objects.filter(ticket=ticket).count() == 0
    assert SlaClock.objects.filter(ticket=ticket, escalate_pending=True).count() == 0


def test_a_policy_edit_applies_to_open_tickets_only_after_a_reapply(customer: User, admin_user: User) -> None:
    # given
    ticket = open_ticket(customer)
    policy = SlaPolicy.objects.get(is_default=True)
    policy.targets.filter(priority="p3", tier="enterprise", metric="first_response").update(minutes=30)
    version = sla_services.policy_publish(policy_id=policy.pk, actor=admin_user)
    with time_machine.travel(MONDAY_9 + timedelta(minutes=1), tick=False):
        ticket_services.ticket_update(ticket_id=ticket.pk, actor=admin_user, changes={"severity": "sev3"})
    assert clocks(ticket)[("first_response", 1)].target_seconds == 120 * 60

    # when
    job = sla_services.reapply_job_create(actor=admin_user, policy=policy)
    sla_services.reapply_job_run(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.percent) == (ReapplyStatus.DONE, 1, 1, 100)
    assert TicketSla.objects.get(ticket=ticket).policy_version == version
    assert clocks(ticket)[("first_response", 1)].target_seconds == 30 * 60


def test_a_tier_change_queues_a_reapply_of_the_organizations_tickets(
    customer: User, organization: Organization, admin_user: User
) -> None:
    # given
    ticket = open_ticket(customer)

    # when: Acme drops from Enterprise to Free (4x the reference's targets)
    account_services.organization_update(organization_id=organization.pk, tier="free", actor=admin_user)
    sla_services.reapply_jobs_run_pending()

    # then
    assert SlaReapplyJob.objects.get(organization=organization).status == ReapplyStatus.DONE
    assert clocks(ticket)[("first_response", 1)].target_seconds == 4 * 240 * 60


def test_a_customer_does_not_become_an_alert_recipient(customer: User) -> None:
    # given: nobody assigned, no team, a manager exists
    manager = UserFactory(email="boss@helpdesk.test", role=Role.MANAGER)
    ticket = open_ticket(customer)

    # when
    sla_services.clocks_sweep_due(now=MONDAY_9 + timedelta(hours=3))

    # then
    recipients = set(Notification.objects.filter(ticket=ticket).values_list("recipient__email", flat=True))
    assert recipients == {manager.email}
    assert all(n.kind == NotificationKind.SLA_BREACH for n in Notification.objects.filter(ticket=ticket))


def test_the_worked_example_in_docs_sla_md(customer: User, agent: User) -> None:
    # given: Monday 09:00 P3 for an Enterprise customer; reply and pending at 10:00; answer at 13:00
    ticket = open_ticket(customer)
    with time_machine.travel(MONDAY_9 + timedelta(hours=1), tick=False):
        ticket_services.message_create(ticket_id=ticket.pk, author=agent, body="Which browser?")
        ticket_services.ticket_change_status(ticket_id=ticket.pk, to="pending", actor=agent)
    with time_machine.travel(MONDAY_9 + timedelta(hours=4), tick=False):
        ticket_services.message_create(ticket_id=ticket.pk, author=customer, body="Firefox.")
    at_13 = {key: clock.due_at for key, clock in clocks(ticket).items()}

    # when: the priority goes up to P2 at 14:30
    with time_machine.travel(MONDAY_9 + timedelta(hours=5, minutes=30), tick=False):
        ticket_services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"priority": "p2"})

    # then
    monday = MONDAY_9.replace(hour=0)
    assert at_13[("resolution", 1)] == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    assert at_13[("periodic_update", 1)] == monday + timedelta(hours=17)
    assert at_13[("next_reply", 1)] == monday + timedelta(hours=15)
    after = clocks(ticket)
    assert after[("resolution", 1)].due_at == monday + timedelta(hours=16)
    assert after[("next_reply", 1)].due_at == monday + timedelta(hours=13, minutes=30)
    assert after[("next_reply", 1)].next_check_at == MONDAY_9 + timedelta(hours=5, minutes=30)
    assert after[("first_response", 1)].target_seconds == 120 * 60
