"""Every write of the metrics app (STYLE.md C3): deciding, sending and answering surveys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from metrics import selectors
from metrics.services.answers import (
    FOLLOW_UP_NOTIFICATION_KIND,
    follow_up_mark_done,
    follow_up_open,
    survey_answer,
    survey_comment,
    survey_settings_update,
)
from metrics.services.planning import csat_surveys_plan_due, nps_surveys_plan_due
from metrics.services.sending import (
    SurveyLinkError,
    survey_from_token,
    survey_links,
    survey_token_make,
    surveys_send_pending,
)
from metrics.services.voc import (
    weekly_report_compute,
    weekly_report_email,
    weekly_report_get,
    weekly_report_list,
    weekly_report_send_last_week,
)


@dataclass(frozen=True)
class SweepReport:
    csat_decided: int
    nps_created: int
    sent: int


def surveys_sweep_due(*, now: datetime) -> SweepReport:
    """Decide the CSAT and NPS surveys due by `now`, then e-mail every pending one, each once.

    Reads the policy afresh each time, so an admin's change applies at the next sweep.
    """
    config = selectors.survey_settings_get()
    return SweepReport(
        csat_decided=csat_surveys_plan_due(now=now, config=config),
        nps_created=nps_surveys_plan_due(now=now, config=config),
        sent=surveys_send_pending(now=now, config=config),
    )


__all__ = [
    "FOLLOW_UP_NOTIFICATION_KIND",
    "SurveyLinkError",
    "SweepReport",
    "csat_surveys_plan_due",
    "follow_up_mark_done",
    "follow_up_open",
    "nps_surveys_plan_due",
    "survey_answer",
    "survey_comment",
    "survey_from_token",
    "survey_links",
    "survey_settings_update",
    "survey_token_make",
    "surveys_send_pending",
    "surveys_sweep_due",
    "weekly_report_compute",
    "weekly_report_email",
    "weekly_report_get",
    "weekly_report_list",
    "weekly_report_send_last_week",
]
