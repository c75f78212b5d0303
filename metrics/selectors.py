"""Every read of the survey data: the policy row, CSAT figures per agent, open follow-ups (STYLE.md C5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Q, QuerySet

from helpdesk.models import Role, User
from metrics.models import Survey, SurveyFollowUp, SurveyKind, SurveySettings

SETTINGS_ID = 1
# On the 1–5 scale, 4 and 5 count as satisfied (the usual CSAT percentage).
SATISFIED_FROM = 4


def survey_settings_get() -> SurveySettings:
    """Return the survey policy: the settings row, or an unsaved row of defaults when there is none."""
    return SurveySettings.objects.filter(pk=SETTINGS_ID).first() or SurveySettings(pk=SETTINGS_ID)


@dataclass(frozen=True)
class CsatSummary:
    responses: int
    average: float | None  # mean score, 1–5
    satisfied_percent: float | None  # share of 4s and 5s, 0–100


def agent_csat(*, agent_id: int, since: datetime, until: datetime) -> CsatSummary:
    """Return the CSAT ratings of tickets `agent_id` resolved, answered in [since, until).

    A survey counts once, with its latest score, in the window of its first answer.
    """
    row = Survey.objects.filter(
        kind=SurveyKind.CSAT,
        agent_id=agent_id,
        score__isnull=False,
        answered_at__gte=since,
        answered_at__lt=until,
    ).aggregate(
        responses=Count("id"),
        average=Avg("score"),
        satisfied=Count("id", filter=Q(score__gte=SATISFIED_FROM)),
    )
    responses = int(row["responses"])
    if not responses:
        return CsatSummary(0, None, None)
    return CsatSummary(
        responses=responses,
        average=round(float(row["average"]), 2),
        satisfied_percent=round(100 * row["satisfied"] / responses, 1),
    )


def follow_up_list_open_for(user: User) -> QuerySet[SurveyFollowUp]:
    """Return open follow-ups `user` should work, soonest due first.

    Their own; managers and admins also see every other one (those without a team lead included).
    Customers see none.
    """
    queryset = (
        SurveyFollowUp.objects.filter(done_at__isnull=True)
        .select_related("owner", "survey", "survey__ticket", "survey__requester", "survey__agent")
        .order_by("due_at", "id")
    )
    if not user.is_active or not user.is_agent:
        return queryset.none()
    if user.role in (Role.MANAGER, Role.ADMIN):
        return queryset
    return queryset.filter(owner=user)


def follow_up_get_for(user: User, follow_up_id: int) -> SurveyFollowUp:
    """Return one follow-up `user` may close (see follow_up_list_open_for, done ones included).

    Raises SurveyFollowUp.DoesNotExist otherwise.
    """
    queryset = SurveyFollowUp.objects.select_related("survey")
    if not user.is_active or not user.is_agent:
        raise SurveyFollowUp.DoesNotExist
    if user.role not in (Role.MANAGER, Role.ADMIN):
        queryset = queryset.filter(owner=user)
    return queryset.get(pk=follow_up_id)
