"""What customers answer, and what a low score sets off: a follow-up for the team lead."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpdesk import selectors as account_selectors
from helpdesk import services as account_services
from helpdesk.exceptions import DomainError, PermissionDeniedError
from helpdesk.models import STAFF_ROLES, NotificationKind, Team, User
from helpdesk.webhooks import services as webhook_services
from metrics import selectors
from metrics.models import (
    EFFORT_SCALE,
    Survey,
    SurveyFollowUp,
    SurveyKind,
    SurveySettings,
    SurveyStatus,
)
from tickets import services as ticket_services

# helpdesk.models.NotificationKind has no member for it yet; the column takes any short string.
FOLLOW_UP_NOTIFICATION_KIND = NotificationKind.SURVEY_FOLLOW_UP
COMMENT_MAX_LENGTH = 4000


def _lock_sent(survey_id: int) -> Survey:
    survey = Survey.objects.select_for_update(of=("self",)).filter(pk=survey_id).first()
    if survey is None or survey.status != SurveyStatus.SENT:
        raise DomainError("This survey is not open for answers.")
    return survey


@transaction.atomic
def survey_answer(
    *, survey_id: int, score: int, now: datetime, config: SurveySettings | None = None
) -> Survey:
    """Record the customer's score; a later, different score replaces it.

    The first score sets answered_at (when the survey counts). A CSAT score is also written to
    the ticket's event log, each time it changes, and a score at or below the policy's
    threshold opens the survey's follow-up (once). The same score again changes nothing.
    Raises DomainError for a score outside the survey's scale or a survey never sent.
    """
    config = config or selectors.survey_settings_get()
    survey = _lock_sent(survey_id)
    low, high = survey.scale
    if not low <= score <= high:
        raise DomainError(
            "Score out of range.", field_errors={"score": [f"Choose a score from {low} to {high}."]}
        )
    previous = survey.score
    if previous == score:
        return survey
    survey.score = score
    survey.answered_at = survey.answered_at or now
    survey.updated_at = now
    survey.save(update_fields=["score", "answered_at", "updated_at"])
    if survey.kind == SurveyKind.NPS:  # no ticket event to send it from (CSAT's is fanned out)
        webhook_services.webhook_survey_answered(
            survey_id=survey.pk,
            kind=survey.kind,
            score=score,
            previous=previous,
            scale_max=high,
            requester_id=survey.requester_id,
            ticket_id=None,
            dedupe_key=f"survey:{survey.pk}:nps:{score}@{now.isoformat()}",
            now=now,
        )
    if survey.kind == SurveyKind.CSAT and survey.ticket_id is not None:
        ticket_services.ticket_satisfaction_record(
            ticket_id=survey.ticket_id,
            survey_id=survey.pk,
            kind=survey.kind,
            score=score,
            previous=previous,
            scale_max=high,
            actor=survey.requester,
            at=now,
        )
        if score <= config.low_score_threshold:
            follow_up_open(survey=survey, now=now, config=config)
    return survey


@transaction.atomic
def survey_comment(
    *,
    survey_id: int,
    comment: str,
    effort_score: int | None = None,
    now: datetime,
    config: SurveySettings | None = None,
) -> Survey:
    """Store the customer's comment (replacing an earlier one) and, when CES is on, their effort score.

    Raises DomainError for an effort score on an NPS survey, while CES is off, or outside 1–7.
    """
    config = config or selectors.survey_settings_get()
    survey = _lock_sent(survey_id)
    previous_effort = survey.effort_score
    fields = ["comment", "updated_at"]
    if effort_score is not None:
        if survey.kind != SurveyKind.CSAT or not config.ces_enabled:
            raise DomainError(
                "Effort is not asked in this survey.", field_errors={"effort_score": ["Not asked."]}
            )
        if not EFFORT_SCALE[0] <= effort_score <= EFFORT_SCALE[1]:
            raise DomainError(
                "Effort out of range.",
                field_errors={"effort_score": [f"Choose from {EFFORT_SCALE[0]} to {EFFORT_SCALE[1]}."]},
            )
        survey.effort_score = effort_score
        fields.append("effort_score")
    survey.comment = comment.strip()[:COMMENT_MAX_LENGTH]
    survey.updated_at = now
    survey.save(update_fields=fields)
    if effort_score is not None and effort_score != previous_effort:  # CES: its own survey.answered
        webhook_services.webhook_survey_answered(
            survey_id=survey.pk,
            kind="ces",
            score=effort_score,
            previous=previous_effort,
            scale_max=EFFORT_SCALE[1],
            requester_id=survey.requester_id,
            ticket_id=survey.ticket_id,
            dedupe_key=f"survey:{survey.pk}:ces:{effort_score}@{now.isoformat()}",
            now=now,
        )
    return survey


def _follow_up_owner(survey: Survey) -> int | None:
    """Return the lead of the team the ticket was resolved by, when that lead can act on it."""
    if survey.team_id is None:
        return None
    lead = (
        Team.objects.filter(pk=survey.team_id, lead__is_active=True, lead__role__in=STAFF_ROLES)
        .values_list("lead_id", flat=True)
        .first()
    )
    return int(lead) if lead is not None else None


def follow_up_open(*, survey: Survey, now: datetime, config: SurveySettings) -> SurveyFollowUp | None:
    """Open the follow-up of a low-scored survey and alert its owner; None when it already has one.

    The owner is the team lead at resolution; without one, it stays unowned and every manager is
    alerted. Call with the survey row locked (survey_answer does).
    """
    if SurveyFollowUp.objects.filter(survey_id=survey.pk).exists():
        return None
    owner_id = _follow_up_owner(survey)
    follow_up = SurveyFollowUp.objects.create(
        survey=survey, owner_id=owner_id, due_at=now + config.follow_up_window, created_at=now
    )
    hours = int(config.follow_up_window.total_seconds() // 3600)
    account_services.notifications_create(
        recipient_ids=[owner_id] if owner_id else account_selectors.manager_ids(),
        kind=FOLLOW_UP_NOTIFICATION_KIND,
        source=f"metrics.follow_up:{follow_up.pk}",
        title=f"Low satisfaction ({survey.score}/5) on #{survey.ticket_id}: follow up within {hours} h",
        ticket_id=survey.ticket_id,
        data={"survey_id": survey.pk, "follow_up_id": follow_up.pk, "score": survey.score},
        now=now,
    )
    return follow_up


def follow_up_mark_done(*, follow_up_id: int, actor: User, note: str = "", now: datetime) -> bool:
    """Close a follow-up with an optional note; return False when it was already closed.

    Raises PermissionDeniedError unless `actor` owns it or is a manager or admin.
    """
    try:
        follow_up = selectors.follow_up_get_for(actor, follow_up_id)
    except SurveyFollowUp.DoesNotExist as error:
        raise PermissionDeniedError("Only its owner or a manager may close this follow-up.") from error
    changes: dict[str, Any] = {"done_at": now, "done_by": actor, "note": note.strip()[:COMMENT_MAX_LENGTH]}
    # Compare-and-swap: two people closing it at once record one closing.
    return bool(SurveyFollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(**changes))


SETTINGS_FIELDS = frozenset(
    field.name for field in SurveySettings._meta.concrete_fields if field.name not in ("id", "updated_at")
)


@transaction.atomic
def survey_settings_update(**fields: Any) -> SurveySettings:
    """Change the survey policy (creating its row if missing); the next sweep applies it.

    Raises DomainError for an unknown setting, a negative duration or a threshold outside 1–4.
    """
    row = SurveySettings.objects.select_for_update().filter(pk=selectors.SETTINGS_ID).first()
    row = row or SurveySettings(pk=selectors.SETTINGS_ID)
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name not in SETTINGS_FIELDS:
            errors[name] = ["Not a survey setting."]
            continue
        if isinstance(value, timedelta) and value < timedelta(0):
            errors[name] = ["Must not be negative."]
        setattr(row, name, value)
    if not 1 <= row.low_score_threshold <= 4:
        errors["low_score_threshold"] = ["Choose from 1 to 4."]
    if errors:
        raise DomainError("Invalid survey settings.", field_errors=errors)
    row.updated_at = timezone.now()
    row.save()
    return row
