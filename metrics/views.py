"""HTML views of surveys: the customer's one-click rating and comment pages (no login) and the
team lead's open follow-ups (and their CSV). Views validate input and call metrics.services (STYLE.md C4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpdesk.exceptions import DomainError, PermissionDeniedError
from metrics import selectors, services
from metrics.forms import FollowUpDoneForm, SurveyCommentForm
from metrics.models import Survey, SurveyKind, SurveySettings
from metrics.reporting import csv_export

if TYPE_CHECKING:
    from helpdesk.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    status = getattr(error, "status_code", 400)
    return render(request, "metrics/survey_link_invalid.html", {"reason": error.message}, status=status)


def _page(
    request: HttpRequest,
    survey: Survey,
    token: str,
    config: SurveySettings,
    *,
    form: SurveyCommentForm | None = None,
    status: int = 200,
    saved: bool = False,
) -> HttpResponse:
    ask_effort = config.ces_enabled and survey.kind == SurveyKind.CSAT
    form = form or SurveyCommentForm(
        initial={"comment": survey.comment, "effort_score": survey.effort_score}, ask_effort=ask_effort
    )
    context = {
        "survey": survey,
        "token": token,
        "links": services.survey_links(survey=survey, token=token, base_url=""),
        "form": form,
        "saved": saved,
        "is_csat": survey.kind == SurveyKind.CSAT,
    }
    return render(request, "metrics/survey.html", context, status=status)


@never_cache
@require_safe
def survey_rate(request: HttpRequest, token: str, score: int) -> HttpResponse:
    """Record the score of a one-click link (GET only: HEAD probes record nothing) and thank."""
    config = selectors.survey_settings_get()
    try:
        survey = services.survey_from_token(token=token, config=config)
        if request.method == "GET":
            survey = services.survey_answer(
                survey_id=survey.pk, score=score, now=timezone.now(), config=config
            )
    except DomainError as error:
        return _refused(request, error)
    return _page(request, survey, token, config)


@never_cache
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the survey (rating links, comment form); POST stores the comment and effort score."""
    config = selectors.survey_settings_get()
    try:
        survey = services.survey_from_token(token=token, config=config)
    except DomainError as error:
        return _refused(request, error)
    if request.method == "GET":
        return _page(request, survey, token, config)
    form = SurveyCommentForm(request.POST, ask_effort=config.ces_enabled and survey.kind == SurveyKind.CSAT)
    if not form.is_valid():
        return _page(request, survey, token, config, form=form, status=400)
    try:
        survey = services.survey_comment(
            survey_id=survey.pk,
            comment=form.cleaned_data["comment"],
            effort_score=form.cleaned_data.get("effort_score"),
            now=timezone.now(),
            config=config,
        )
    except DomainError as error:
        return _refused(request, error)
    return _page(request, survey, token, config, saved=True)


@login_required
def follow_up_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open follow-ups of low scores for the signed-in lead (every one for managers); staff only."""
    if not request.user.is_agent:
        raise Http404("No such page.")
    follow_ups = list(selectors.follow_up_list_open_for(request.user)[:200])
    return render(
        request,
        "metrics/follow_ups.html",
        {"follow_ups": follow_ups, "now": timezone.now(), "form": FollowUpDoneForm()},
    )


FOLLOW_UP_CSV_HEADER = (
    "follow_up_id",
    "due_at",
    "is_overdue",
    "ticket_id",
    "subject",
    "customer",
    "score",
    "comment",
    "agent",
    "owner",
)


@login_required
@require_safe
def follow_up_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Download the open follow-ups the page lists (all of them, not only the first 200) as CSV."""
    if not request.user.is_agent:
        raise Http404("No such page.")
    now = timezone.now()
    rows = (
        (
            follow_up.pk,
            follow_up.due_at,
            "yes" if follow_up.due_at < now else "no",
            follow_up.survey.ticket_id,
            follow_up.survey.ticket.subject if follow_up.survey.ticket else "",
            str(follow_up.survey.requester),
            follow_up.survey.score,
            follow_up.survey.comment,
            str(follow_up.survey.agent) if follow_up.survey.agent else "",
            str(follow_up.owner) if follow_up.owner else "Managers",
        )
        for follow_up in selectors.follow_up_list_open_for(request.user).iterator(chunk_size=500)
    )
    return csv_export.csv_response(f"survey-follow-ups-{now:%Y-%m-%d}.csv", FOLLOW_UP_CSV_HEADER, rows)


@login_required
@require_POST
def follow_up_done(request: AuthenticatedHttpRequest, follow_up_id: int) -> HttpResponse:
    if not request.user.is_agent:
        raise Http404("No such page.")
    form = FollowUpDoneForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        closed = services.follow_up_mark_done(
            follow_up_id=follow_up_id, actor=request.user, note=note, now=timezone.now()
        )
    except PermissionDeniedError as error:
        raise Http404("No such follow-up.") from error
    if closed:
        messages.success(request, "Follow-up marked done.")
    return redirect("metrics:follow-ups")
