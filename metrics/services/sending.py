"""Sending decided surveys by e-mail, each once, and the signed links in them.

A pending survey is locked (SKIP LOCKED, so parallel sweeps share the queue), re-checked,
e-mailed and marked sent in one transaction. A sweep that dies before its commit leaves the row
pending and the next sweep sends it; only a crash between the mail server accepting the message
and the commit could send it twice (the same trade notifications_email_due makes).

Rating links carry a TimestampSigner token naming the survey; the token expires after the
policy's link_lifetime, counted from when the e-mail was signed, and needs no login.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from helpdesk.exceptions import DomainError
from metrics.models import SkipReason, Survey, SurveyKind, SurveySettings, SurveyStatus
from metrics.services.planning import is_reachable
from tickets import selectors as ticket_selectors

logger = logging.getLogger(__name__)

SURVEY_LINK_SALT = "metrics.survey-link"
MAX_SEND_ATTEMPTS = 5


class SurveyLinkError(DomainError):
    """A survey link that is malformed, forged, expired or no longer answerable."""

    code = "invalid_survey_link"

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired
        self.status_code = 410 if expired else 400


def survey_token_make(*, survey_id: int) -> str:
    """Return the signed token of a survey's links (valid for the policy's link_lifetime from now)."""
    return TimestampSigner(salt=SURVEY_LINK_SALT).sign_object({"s": survey_id})


def survey_from_token(*, token: str, config: SurveySettings) -> Survey:
    """Return the sent survey the token names.

    Raises SurveyLinkError (expired=True past link_lifetime) for a forged, malformed or expired
    token, or when the survey is gone or was never sent.
    """
    try:
        payload = TimestampSigner(salt=SURVEY_LINK_SALT).unsign_object(token, max_age=config.link_lifetime)
    except SignatureExpired as error:
        raise SurveyLinkError("This survey has closed.", expired=True) from error
    except (BadSignature, ValueError) as error:
        raise SurveyLinkError("This survey link is not valid.") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise SurveyLinkError("This survey link is not valid.")
    survey = Survey.objects.select_related("ticket").filter(pk=payload["s"]).first()
    if survey is None or survey.status != SurveyStatus.SENT:
        raise SurveyLinkError("This survey is no longer available.")
    return survey


def survey_links(*, survey: Survey, token: str, base_url: str) -> list[tuple[int, str]]:
    """Return (score, absolute URL) of the one-click rating links of a survey, lowest score first."""
    low, high = survey.scale
    return [
        (score, base_url + reverse("metrics:survey-rate", kwargs={"token": token, "score": score}))
        for score in range(low, high + 1)
    ]


def _send(survey: Survey, config: SurveySettings) -> None:
    token = survey_token_make(survey_id=survey.pk)
    base_url = settings.SITE_URL
    context = {
        "survey": survey,
        "customer": survey.requester,
        "ticket": survey.ticket,
        "links": survey_links(survey=survey, token=token, base_url=base_url),
        "page_url": base_url + reverse("metrics:survey", kwargs={"token": token}),
        "days": config.link_lifetime.days,
    }
    if survey.kind == SurveyKind.CSAT:
        assert survey.ticket is not None
        subject = f"How did we do? Ticket #{survey.ticket_id}: {survey.ticket.subject}"
        template = "metrics/email/csat.txt"
    else:
        subject = "How likely are you to recommend us?"
        template = "metrics/email/nps.txt"
    send_mail(
        subject=f"[Helpdesk] {subject}"[:200],
        message=render_to_string(template, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[survey.requester.email],
    )


def _skip_reason_now(survey: Survey, config: SurveySettings) -> str:
    """Return why a pending survey must not go out after all ("" when it may)."""
    enabled = config.csat_enabled if survey.kind == SurveyKind.CSAT else config.nps_enabled
    if not enabled:
        return SkipReason.DISABLED
    if not is_reachable(survey.requester):
        return SkipReason.UNREACHABLE
    if (
        survey.kind == SurveyKind.CSAT
        and survey.ticket_id is not None
        and survey.resolved_at is not None
        and not ticket_selectors.ticket_resolution_stands(survey.ticket_id, survey.resolved_at)
    ):
        return SkipReason.REOPENED
    return SkipReason.NONE


def surveys_send_pending(
    *, now: datetime, config: SurveySettings, limit: int = 500, time_budget_seconds: float = 40.0
) -> int:
    """E-mail pending surveys, each once; return how many were sent.

    A survey whose ticket was reopened (or whose customer can no longer be reached, or whose
    kind was turned off) since it was decided is skipped instead. A refused send is retried by
    later sweeps, up to MAX_SEND_ATTEMPTS, then skipped. Stops after `limit` surveys or
    `time_budget_seconds`, inside the task's time limit.
    """
    sent = 0
    tried: list[int] = []
    deadline = time.monotonic() + time_budget_seconds
    for _ in range(limit):
        if time.monotonic() > deadline:
            break
        with transaction.atomic():
            survey = (
                Survey.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("requester", "ticket")
                .filter(status=SurveyStatus.PENDING)
                .exclude(pk__in=tried)
                .order_by("due_at", "id")
                .first()
            )
            if survey is None:
                break
            reason = _skip_reason_now(survey, config)
            if reason:
                survey.status, survey.skip_reason = SurveyStatus.SKIPPED, reason
                survey.save(update_fields=["status", "skip_reason"])
                continue
            try:
                _send(survey, config)
            except (SMTPException, OSError):
                tried.append(survey.pk)
                survey.send_attempts += 1
                if survey.send_attempts >= MAX_SEND_ATTEMPTS:
                    survey.status, survey.skip_reason = SurveyStatus.SKIPPED, SkipReason.SEND_FAILED
                logger.warning(
                    "survey e-mail refused",
                    exc_info=True,
                    extra={"survey_id": survey.pk, "attempts": survey.send_attempts},
                )
                survey.save(update_fields=["send_attempts", "status", "skip_reason"])
                continue
            survey.status, survey.sent_at = SurveyStatus.SENT, now
            survey.save(update_fields=["status", "sent_at"])
            sent += 1
    return sent
