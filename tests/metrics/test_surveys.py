"""CSAT and NPS surveys: when each is owed, decided and sent (once), and when it is skipped."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from helpdesk.exceptions import DomainError
from metrics import selectors, services
from metrics.models import (
    NpsSchedule,
    SkipReason,
    Survey,
    SurveyFollowUp,
    SurveyKind,
    SurveySettings,
    SurveyStatus,
)
from tests.factories import CustomerFactory, TagFactory
from tests.metrics.conftest import DELAY, T0, World, click, links_in, only_survey, resolved_ticket, sweep
from tickets import services as ticket_services
from tickets.models import TicketEvent, TicketEventKind, TicketStatus

pytestmark = pytest.mark.django_db


# --- When a CSAT survey is owed ----------------------------------------------------------------------


def test_survey_goes_out_exactly_delay_after_resolution(
    world: World, survey_settings: SurveySettings
) -> None:
    # given a ticket resolved at T0 with the default 2-hour delay
    ticket = resolved_ticket(world, at=T0)

    # when the sweep runs a microsecond before it is due
    early = sweep(T0 + DELAY - timedelta(microseconds=1))

    # then nothing is decided or sent
    assert (early.csat_decided, early.sent) == (0, 0)
    assert Survey.objects.count() == 0
    assert mail.outbox == []

    # when it runs at the due instant
    due = sweep(T0 + DELAY)

    # then one survey is sent to the requester, for this resolution, crediting the agent and team
    assert (due.csat_decided, due.sent) == (1, 1)
    survey = only_survey()
    assert (survey.kind, survey.status, survey.skip_reason) == (SurveyKind.CSAT, SurveyStatus.SENT, "")
    assert (survey.ticket_id, survey.resolved_at, survey.due_at) == (ticket.pk, T0, T0 + DELAY)
    assert (survey.agent_id, survey.team_id, survey.sent_at) == (world.agent.pk, world.team.pk, T0 + DELAY)
    [message] = mail.outbox
    assert message.to == ["carol@customer.test"]
    assert message.subject == f"[Helpdesk] How did we do? Ticket #{ticket.pk}: Printer on fire"
    assert sorted(links_in(message.body)) == [1, 2, 3, 4, 5]


def test_delay_comes_from_the_settings_row(world: World, survey_settings: SurveySettings) -> None:
    # given a 10-minute delay
    services.survey_settings_update(csat_delay=timedelta(minutes=10))
    resolved_ticket(world, at=T0)

    # when swept just before and at T0 + 10 min
    assert sweep(T0 + timedelta(minutes=10) - timedelta(seconds=1)).sent == 0
    assert sweep(T0 + timedelta(minutes=10)).sent == 1


def test_sweeping_again_sends_nothing_twice(world: World, survey_settings: SurveySettings) -> None:
    # given a survey sent when due
    resolved_ticket(world, at=T0)
    sweep(T0 + DELAY)

    # when later sweeps run
    reports = [sweep(T0 + DELAY + timedelta(minutes=minutes)) for minutes in (0, 1, 60)]

    # then nothing more is decided or sent
    assert [(r.csat_decided, r.sent) for r in reports] == [(0, 0)] * 3
    assert Survey.objects.count() == 1
    assert len(mail.outbox) == 1


def test_reopened_ticket_gets_no_survey_until_resolved_again(
    world: World, survey_settings: SurveySettings
) -> None:
    # given a ticket resolved at T0 and reopened an hour later
    ticket = resolved_ticket(world, at=T0)
    ticket_services.ticket_reopen(ticket_id=ticket.pk, actor=world.customer, at=T0 + timedelta(hours=1))

    # when the sweep runs past the first resolution's due instant
    sweep(T0 + DELAY + timedelta(hours=1))

    # then no survey is owed for the reopened resolution
    assert Survey.objects.count() == 0
    assert mail.outbox == []

    # when it is resolved again and that resolution comes due
    resolved_again = T0 + timedelta(hours=4)
    ticket_services.ticket_change_status(
        ticket_id=ticket.pk, to=TicketStatus.RESOLVED, actor=world.agent, at=resolved_again
    )
    sweep(resolved_again + DELAY)

    # then exactly one survey goes out, for the new resolution
    survey = only_survey()
    assert (survey.resolved_at, survey.status) == (resolved_again, SurveyStatus.SENT)
    assert len(mail.outbox) == 1


def test_reopen_between_decision_and_send_skips_the_survey(
    world: World, survey_settings: SurveySettings
) -> None:
    # given a survey decided (pending) but not yet sent, e.g. the mail server was away
    ticket = resolved_ticket(world, at=T0)
    services.csat_surveys_plan_due(now=T0 + DELAY, config=survey_settings)
    assert only_survey().status == SurveyStatus.PENDING

    # when the customer reopens, then the sender runs
    ticket_services.ticket_reopen(ticket_id=ticket.pk, actor=world.customer, at=T0 + DELAY)
    sent = services.surveys_send_pending(now=T0 + DELAY, config=survey_settings)

    # then it is skipped, not sent
    assert sent == 0
    survey = only_survey()
    assert (survey.status, survey.skip_reason) == (SurveyStatus.SKIPPED, SkipReason.REOPENED)
    assert mail.outbox == []


def test_ticket_tagged_no_survey_is_skipped(world: World, survey_settings: SurveySettings) -> None:
    # given a resolved ticket carrying the no-survey tag
    ticket = resolved_ticket(world, at=T0)
    ticket_services.ticket_update(
        ticket_id=ticket.pk, actor=world.agent, changes={"tags": [TagFactory(name="no-survey")]}
    )

    # when it comes due
    sweep(T0 + DELAY)

    # then the decision is recorded as skipped, and nothing is sent
    survey = only_survey()
    assert (survey.status, survey.skip_reason) == (SurveyStatus.SKIPPED, SkipReason.SKIP_TAG)
    assert mail.outbox == []


def test_quiet_period_skips_a_customer_surveyed_recently(
    world: World, survey_settings: SurveySettings
) -> None:
    # given a customer surveyed at T0 + 2 h (14-day quiet period)
    resolved_ticket(world, at=T0)
    sweep(T0 + DELAY)

    # when another of their tickets comes due 13 days later, and a third 15 days later
    second = resolved_ticket(world, at=T0 + timedelta(days=13))
    sweep(T0 + timedelta(days=13) + DELAY)
    third = resolved_ticket(world, at=T0 + timedelta(days=15))
    sweep(T0 + timedelta(days=15) + DELAY)

    # then the second is skipped for the quiet period, the third is sent
    assert Survey.objects.get(ticket=second).skip_reason == SkipReason.QUIET_PERIOD
    assert Survey.objects.get(ticket=third).status == SurveyStatus.SENT
    assert len(mail.outbox) == 2


def test_two_resolutions_due_together_survey_the_customer_once(
    world: World, survey_settings: SurveySettings
) -> None:
    # given two tickets of one customer resolved a minute apart, and one of another customer
    first = resolved_ticket(world, at=T0)
    second = resolved_ticket(world, at=T0 + timedelta(minutes=1))
    other = resolved_ticket(world, at=T0, requester=CustomerFactory(email="dan@customer.test"))

    # when one sweep finds all three due
    report = sweep(T0 + DELAY + timedelta(minutes=5))

    # then the older resolution is surveyed, the newer skipped; the other customer gets theirs
    assert (report.csat_decided, report.sent) == (3, 2)
    assert Survey.objects.get(ticket=first).status == SurveyStatus.SENT
    assert Survey.objects.get(ticket=second).skip_reason == SkipReason.QUIET_PERIOD
    assert Survey.objects.get(ticket=other).status == SurveyStatus.SENT
    assert sorted(m.to[0] for m in mail.outbox) == ["carol@customer.test", "dan@customer.test"]


def test_inactive_requester_is_skipped(world: World, survey_settings: SurveySettings) -> None:
    resolved_ticket(world, at=T0)
    world.customer.is_active = False
    world.customer.save(update_fields=["is_active"])

    sweep(T0 + DELAY)

    assert only_survey().skip_reason == SkipReason.UNREACHABLE
    assert mail.outbox == []


def test_resolution_older_than_the_send_window_is_never_surveyed(
    world: World, survey_settings: SurveySettings
) -> None:
    # given a resolution whose survey was due 7 days and a second ago (a very long outage)
    resolved_ticket(world, at=T0)

    # when the first sweep after the outage runs
    report = sweep(T0 + DELAY + timedelta(days=7, seconds=1))

    # then it is dropped rather than sent a week late
    assert report.csat_decided == 0
    assert Survey.objects.count() == 0


def test_ticket_closed_as_spam_is_not_surveyed(world: World, survey_settings: SurveySettings) -> None:
    ticket = resolved_ticket(world, at=T0)
    ticket.close_reason = "spam"
    ticket.save(update_fields=["close_reason"])

    sweep(T0 + DELAY)

    assert Survey.objects.count() == 0


def test_refused_send_is_retried_by_the_next_sweep(
    world: World, survey_settings: SurveySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a mail server that refuses once
    resolved_ticket(world, at=T0)
    calls: list[str] = []

    def refuse(**kwargs: Any) -> None:
        calls.append(kwargs["recipient_list"][0])
        raise SMTPException("421 try later")

    monkeypatch.setattr("metrics.services.sending.send_mail", refuse)

    # when the sweep runs
    first = sweep(T0 + DELAY)

    # then the survey stays pending with one attempt counted
    assert (first.sent, calls) == (0, ["carol@customer.test"])
    survey = only_survey()
    assert (survey.status, survey.send_attempts) == (SurveyStatus.PENDING, 1)

    # when the server accepts again
    monkeypatch.undo()
    second = sweep(T0 + DELAY + timedelta(seconds=10))

    # then it is sent, once
    assert second.sent == 1
    assert only_survey().status == SurveyStatus.SENT
    assert len(mail.outbox) == 1


# --- NPS --------------------------------------------------------------------------------------------


def test_nps_goes_out_one_interval_after_the_first_surveyed_resolution(
    world: World, survey_settings: SurveySettings
) -> None:
    # given a customer whose first resolution was decided at T0 + 2 h (91-day interval)
    resolved_ticket(world, at=T0)
    sweep(T0 + DELAY)
    first_due = T0 + DELAY + timedelta(days=91)
    assert NpsSchedule.objects.get(customer=world.customer).next_due_at == first_due

    # when swept a second before, and at, the NPS instant
    before = sweep(first_due - timedelta(seconds=1))
    due = sweep(first_due)

    # then one 0–10 survey goes out at the instant, and the next is one interval later
    assert (before.nps_created, due.nps_created, due.sent) == (0, 1, 1)
    nps = Survey.objects.get(kind=SurveyKind.NPS)
    assert (nps.requester_id, nps.due_at, nps.status, nps.ticket_id) == (
        world.customer.pk,
        first_due,
        SurveyStatus.SENT,
        None,
    )
    assert mail.outbox[-1].subject == "[Helpdesk] How likely are you to recommend us?"
    assert sorted(links_in(mail.outbox[-1].body)) == list(range(11))
    assert NpsSchedule.objects.get(customer=world.customer).next_due_at == first_due + timedelta(days=91)
    assert sweep(first_due + timedelta(days=90)).nps_created == 0


def test_nps_waits_out_the_quiet_period(world: World, survey_settings: SurveySettings) -> None:
    # given a customer due an NPS at T0 + 2 h + 91 d who was sent a CSAT 3 days before that
    resolved_ticket(world, at=T0)
    sweep(T0 + DELAY)
    nps_due = T0 + DELAY + timedelta(days=91)
    resolved_ticket(world, at=nps_due - timedelta(days=3) - DELAY)
    sweep(nps_due - timedelta(days=3))

    # when the NPS instant comes
    postponed = sweep(nps_due)

    # then it waits until 14 days after that CSAT, and goes out then
    assert postponed.nps_created == 0
    assert NpsSchedule.objects.get().next_due_at == nps_due + timedelta(days=11)
    assert sweep(nps_due + timedelta(days=11)).nps_created == 1


def test_nps_rating_records_score_without_a_ticket_event(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    resolved_ticket(world, at=T0)
    sweep(T0 + DELAY)
    nps_due = T0 + DELAY + timedelta(days=91)
    sweep(nps_due)
    links = links_in(mail.outbox[-1].body)

    response = click(client, links[0], at=nps_due + timedelta(hours=1))

    assert response.status_code == 200
    assert Survey.objects.get(kind=SurveyKind.NPS).score == 0
    assert not TicketEvent.objects.filter(kind=TicketEventKind.SATISFACTION_RATED).exists()
    assert not SurveyFollowUp.objects.exists()


def test_nps_disabled_sends_none(world: World, survey_settings: SurveySettings) -> None:
    services.survey_settings_update(nps_enabled=False)
    resolved_ticket(world, at=T0)
    sweep(T0 + DELAY)

    assert sweep(T0 + DELAY + timedelta(days=92)).nps_created == 0
    assert not Survey.objects.filter(kind=SurveyKind.NPS).exists()


def test_settings_refuse_a_negative_delay(survey_settings: SurveySettings) -> None:
    with pytest.raises(DomainError) as raised:
        services.survey_settings_update(csat_delay=timedelta(hours=-1))

    assert raised.value.field_errors == {"csat_delay": ["Must not be negative."]}
    assert selectors.survey_settings_get().csat_delay == timedelta(hours=2)
