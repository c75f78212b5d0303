"""Demo survey answers and metric rollups, for `manage.py seed_demo` (helpdesk.demo).

About a third of the demo's resolutions get a CSAT survey the customer answered (some with the
effort question), and a few customers answer NPS. Surveys are written as already sent (the demo
sends no e-mail); each answer goes through the same service as a customer's click, so ratings
land on the tickets and low scores open follow-ups. Then every metric fact and rollup is built.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from metrics.models import Survey, SurveyKind, SurveySettings, SurveyStatus
from metrics.reporting.rebuild import RebuildReport, metrics_rebuild
from metrics.services import survey_answer, survey_comment
from tickets import selectors as ticket_selectors

SURVEYED_SHARE = 0.35
CSAT_WEIGHTS = {5: 45, 4: 30, 3: 12, 2: 8, 1: 5}
EFFORT_WEIGHTS = {7: 30, 6: 30, 5: 15, 4: 10, 3: 8, 2: 4, 1: 3}
NPS_WEIGHTS = {10: 20, 9: 20, 8: 18, 7: 14, 6: 10, 5: 6, 4: 4, 3: 3, 2: 2, 1: 2, 0: 1}
NPS_ANSWERS = 40


def _pick(rng: random.Random, weights: dict[int, int]) -> int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def demo_surveys_answer(*, rng: random.Random, since: datetime, now: datetime) -> int:
    """Write answered CSAT and NPS surveys for resolutions since `since`; return how many."""
    config = SurveySettings(pk=1, ces_enabled=True)
    delay = config.csat_delay
    answered = 0
    resolved = ticket_selectors.tickets_resolved_between(after=since, until=now - delay).order_by("id")
    chosen = [
        ticket
        for ticket in resolved.only("id", "requester_id", "assignee_id", "team_id", "resolved_at")
        if rng.random() < SURVEYED_SHARE and ticket.resolved_at is not None
    ]
    # The demo's histories are written before its surveys: an answer is dated after the ticket's
    # last event (an auto-close, say), so every ticket's event log stays in time order.
    last_event_at = ticket_selectors.ticket_last_event_at(ticket.pk for ticket in chosen)
    for ticket in chosen:
        assert ticket.resolved_at is not None
        sent_at = ticket.resolved_at + delay
        answered_at = sent_at + timedelta(minutes=rng.randint(10, 30 * 60))
        answered_at = max(answered_at, last_event_at.get(ticket.pk, sent_at) + timedelta(minutes=1))
        if answered_at > now:
            continue
        survey = Survey.objects.create(
            kind=SurveyKind.CSAT,
            status=SurveyStatus.SENT,
            requester_id=ticket.requester_id,
            ticket_id=ticket.pk,
            resolved_at=ticket.resolved_at,
            agent_id=ticket.assignee_id,
            team_id=ticket.team_id,
            due_at=sent_at,
            created_at=sent_at,
            sent_at=sent_at,
            send_attempts=1,
        )
        survey_answer(survey_id=survey.pk, score=_pick(rng, CSAT_WEIGHTS), now=answered_at, config=config)
        if rng.random() < 0.5:
            survey_comment(
                survey_id=survey.pk,
                comment="",
                effort_score=_pick(rng, EFFORT_WEIGHTS),
                now=answered_at,
                config=config,
            )
        answered += 1
    requesters = sorted(set(resolved.values_list("requester_id", flat=True)))
    for requester_id in rng.sample(requesters, k=min(NPS_ANSWERS, len(requesters))):
        sent_at = since + (now - since) * rng.random()
        survey = Survey.objects.create(
            kind=SurveyKind.NPS,
            status=SurveyStatus.SENT,
            requester_id=requester_id,
            due_at=sent_at,
            created_at=sent_at,
            sent_at=sent_at,
            send_attempts=1,
        )
        survey_answer(
            survey_id=survey.pk,
            score=_pick(rng, NPS_WEIGHTS),
            now=min(now, sent_at + timedelta(hours=rng.randint(1, 48))),
            config=config,
        )
        answered += 1
    return answered


def demo_metrics_build(*, rng: random.Random, since: datetime, now: datetime) -> RebuildReport:
    """Answer the demo surveys, then build every metric fact, rollup and live figure."""
    demo_surveys_answer(rng=rng, since=since, now=now)
    return metrics_rebuild(now=now)
