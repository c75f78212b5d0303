"""Answering surveys: one-click signed links, the comment page and CES, low-score follow-ups, agent CSAT."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from helpdesk.exceptions import DomainError
from helpdesk.models import Notification
from metrics import selectors, services
from metrics.models import SurveyFollowUp, SurveyKind, SurveySettings
from tests.factories import CustomerFactory
from tests.metrics.conftest import DELAY, T0, World, click, links_in, resolved_ticket, sent_survey, sweep
from tickets.models import TicketEvent, TicketEventKind
from tickets.ticket_page import event_rows_for

pytestmark = pytest.mark.django_db


# --- One-click links ----------------------------------------------------------------------------------


def test_signed_link_records_the_score_without_login(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    # given a sent survey
    survey, links = sent_survey(world)

    # when the customer clicks "4" a day later, signed out
    response = click(client, links[4], at=T0 + timedelta(days=1))

    # then the score is recorded, the thank-you page with its comment form is shown
    assert response.status_code == 200
    assert b"Thank you for your feedback" in response.content
    assert b'name="comment"' in response.content
    survey.refresh_from_db()
    assert (survey.score, survey.answered_at) == (4, T0 + timedelta(days=1))


def test_rating_lands_on_the_ticket_history(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    # given a sent survey
    survey, links = sent_survey(world)

    # when the customer rates 5
    click(client, links[5], at=T0 + timedelta(days=1))

    # then the ticket's event log has the rating, by the customer, and the history says so
    [event] = TicketEvent.objects.filter(ticket_id=survey.ticket_id, kind=TicketEventKind.SATISFACTION_RATED)
    assert event.actor_id == world.customer.pk
    assert event.occurred_at == T0 + timedelta(days=1)
    assert event.data == {
        "survey_id": survey.pk,
        "kind": "csat",
        "score": 5,
        "scale_max": 5,
        "previous": None,
    }
    assert survey.ticket is not None
    rows = [row for row in event_rows_for(world.agent, survey.ticket) if row.event.pk == event.pk]
    assert [(row.title, row.detail) for row in rows] == [("Customer rated the support", "5/5")]


def test_a_later_click_changes_the_score(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    # given a survey rated 4
    survey, links = sent_survey(world)
    click(client, links[4], at=T0 + timedelta(days=1))

    # when the customer clicks 3 the next day, then 3 again
    click(client, links[3], at=T0 + timedelta(days=2))
    click(client, links[3], at=T0 + timedelta(days=2, minutes=1))

    # then the score is 3, answered_at stays the first answer, and the log has one change
    survey.refresh_from_db()
    assert (survey.score, survey.answered_at) == (3, T0 + timedelta(days=1))
    rated = TicketEvent.objects.filter(kind=TicketEventKind.SATISFACTION_RATED).order_by("id")
    assert [(e.data["score"], e.data["previous"]) for e in rated] == [(4, None), (3, 4)]


@pytest.mark.parametrize(
    ("_case", "tamper"),
    [
        ("forged signature", lambda token: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")),
        ("another salt's token", lambda token: "eyJzIjoxfQ:1uAAAA:bad"),
        ("garbage", lambda token: "not-a-token"),
    ],
)
def test_forged_link_is_refused_and_records_nothing(
    client: Client, world: World, survey_settings: SurveySettings, _case: str, tamper: Any
) -> None:
    survey, links = sent_survey(world)
    token = links[5].split("/")[3]
    path = links[5].replace(token, tamper(token))

    response = click(client, path, at=T0 + timedelta(days=1))

    assert response.status_code == 400
    assert b"This survey link cannot be used" in response.content
    survey.refresh_from_db()
    assert survey.score is None
    assert not TicketEvent.objects.filter(kind=TicketEventKind.SATISFACTION_RATED).exists()


def test_expired_link_is_gone(client: Client, world: World, survey_settings: SurveySettings) -> None:
    # given a survey sent at T0 + 2 h with 30-day links
    survey, links = sent_survey(world)

    # when clicked just inside and just past the lifetime
    inside = click(client, links[2], at=T0 + DELAY + timedelta(days=30) - timedelta(seconds=1))
    past = click(client, links[5], at=T0 + DELAY + timedelta(days=30, seconds=1))

    # then the first counts, the second is refused as expired (410) and changes nothing
    assert inside.status_code == 200
    assert past.status_code == 410
    assert b"This survey has closed." in past.content
    survey.refresh_from_db()
    assert survey.score == 2


def test_score_outside_the_scale_is_refused(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    survey, links = sent_survey(world)

    response = click(client, links[5].replace("/rate/5/", "/rate/9/"), at=T0 + timedelta(days=1))

    assert response.status_code == 400
    survey.refresh_from_db()
    assert survey.score is None


def test_head_request_records_nothing(client: Client, world: World, survey_settings: SurveySettings) -> None:
    survey, links = sent_survey(world)

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        response = client.head(links[1])

    assert response.status_code == 200
    survey.refresh_from_db()
    assert survey.score is None


# --- Comment page and CES ------------------------------------------------------------------------------


def test_comment_is_stored(client: Client, world: World, survey_settings: SurveySettings) -> None:
    survey, links = sent_survey(world)
    click(client, links[5], at=T0 + timedelta(days=1))
    page = links[5].split("rate/")[0]

    with time_machine.travel(T0 + timedelta(days=1, minutes=1), tick=False):
        response = client.post(page, {"comment": "  Quick and friendly.  ", "effort_score": "2"})

    assert response.status_code == 200
    assert b"we have your comment" in response.content
    survey.refresh_from_db()
    assert (survey.comment, survey.effort_score) == ("Quick and friendly.", None)  # CES is off


def test_effort_question_is_asked_only_when_ces_is_enabled(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    # given a rated survey, CES off
    survey, links = sent_survey(world)
    rated = click(client, links[4], at=T0 + timedelta(days=1))
    assert b"How easy was it" not in rated.content

    # when CES is turned on
    services.survey_settings_update(ces_enabled=True)
    page = links[4].split("rate/")[0]
    with time_machine.travel(T0 + timedelta(days=1, minutes=1), tick=False):
        shown = client.get(page)
        answered = client.post(page, {"comment": "", "effort_score": "6"})

    # then the question is shown and its answer stored
    assert b"How easy was it" in shown.content
    assert answered.status_code == 200
    survey.refresh_from_db()
    assert survey.effort_score == 6


def test_effort_is_refused_on_nps_surveys(world: World, survey_settings: SurveySettings) -> None:
    services.survey_settings_update(ces_enabled=True)
    survey, _ = sent_survey(world)
    survey.kind = SurveyKind.NPS
    survey.ticket, survey.resolved_at = None, None
    survey.save()

    with pytest.raises(DomainError):
        services.survey_comment(survey_id=survey.pk, comment="", effort_score=3, now=T0)


# --- Low scores -----------------------------------------------------------------------------------------


def test_low_score_opens_one_follow_up_for_the_team_lead(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    # given a sent survey
    survey, links = sent_survey(world)
    answered = T0 + timedelta(days=1)

    # when the customer rates 1, then changes it to 2 (still low)
    click(client, links[1], at=answered)
    click(client, links[2], at=answered + timedelta(minutes=5))

    # then one follow-up is open for the team lead, due 24 h after the low score
    follow_up = SurveyFollowUp.objects.get()
    assert (follow_up.survey_id, follow_up.owner_id) == (survey.pk, world.lead.pk)
    assert (follow_up.due_at, follow_up.done_at) == (answered + timedelta(hours=24), None)
    # and the lead has one notification about it
    [note] = Notification.objects.filter(kind=services.FOLLOW_UP_NOTIFICATION_KIND)
    assert (note.recipient_id, note.ticket_id) == (world.lead.pk, survey.ticket_id)
    assert note.title == f"Low satisfaction (1/5) on #{survey.ticket_id}: follow up within 24 h"


def test_score_above_threshold_opens_nothing(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    _, links = sent_survey(world)

    click(client, links[3], at=T0 + timedelta(days=1))

    assert not SurveyFollowUp.objects.exists()
    assert not Notification.objects.filter(kind=services.FOLLOW_UP_NOTIFICATION_KIND).exists()


def test_team_without_lead_alerts_the_managers(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    world.team.lead = None
    world.team.save(update_fields=["lead"])
    _, links = sent_survey(world)

    click(client, links[2], at=T0 + timedelta(days=1))

    follow_up = SurveyFollowUp.objects.get()
    assert follow_up.owner_id is None
    assert list(
        Notification.objects.filter(kind=services.FOLLOW_UP_NOTIFICATION_KIND).values_list(
            "recipient_id", flat=True
        )
    ) == [world.manager.pk]


def test_lead_sees_and_closes_their_follow_up(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    # given a follow-up owned by the lead
    _, links = sent_survey(world)
    click(client, links[1], at=T0 + timedelta(days=1))
    follow_up = SurveyFollowUp.objects.get()

    # when another agent tries to close it, then the lead does
    client.force_login(world.agent)
    refused = client.post(f"/surveys/follow-ups/{follow_up.pk}/done/", {"note": "x"})
    client.force_login(world.lead)
    listed = client.get("/surveys/follow-ups/")
    closed = client.post(f"/surveys/follow-ups/{follow_up.pk}/done/", {"note": "Called her, sorted."})

    # then only the lead's closing counts
    assert refused.status_code == 404
    assert listed.status_code == 200
    assert b"Printer on fire" in listed.content
    assert closed.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.done_by_id, follow_up.note) == (world.lead.pk, "Called her, sorted.")
    assert list(selectors.follow_up_list_open_for(world.lead)) == []


def test_customers_cannot_see_follow_ups(client: Client, world: World) -> None:
    client.force_login(world.customer)

    assert client.get("/surveys/follow-ups/").status_code == 404


# --- Agent CSAT -------------------------------------------------------------------------------------


def test_agent_csat_counts_each_answered_survey_once(
    client: Client, world: World, survey_settings: SurveySettings
) -> None:
    # given two customers' surveys on the agent's tickets, rated 5 and (after a change) 2
    _, first = sent_survey(world)
    resolved_ticket(world, at=T0, requester=CustomerFactory(email="dan@customer.test"))
    sweep(T0 + DELAY)
    second = links_in(mail.outbox[-1].body)
    click(client, first[5], at=T0 + timedelta(days=1))
    click(client, second[4], at=T0 + timedelta(days=1))
    click(client, second[2], at=T0 + timedelta(days=2))

    # when the agent's CSAT for the period is read
    summary = selectors.agent_csat(agent_id=world.agent.pk, since=T0, until=T0 + timedelta(days=30))

    # then
    assert summary == selectors.CsatSummary(responses=2, average=3.5, satisfied_percent=50.0)
    assert (
        selectors.agent_csat(agent_id=world.lead.pk, since=T0, until=T0 + timedelta(days=30)).responses == 0
    )
