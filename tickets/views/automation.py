"""The automation screens: rules (list, edit, order, switch on/off, dry run) and team routing.

Managers and admins only (others get 404). Views parse a form and call one service; a refused
save re-renders with each message on the field it concerns. A dry run reads only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.exceptions import DomainError
from helpdesk.models import Team, WebhookEventType
from helpdesk.webhooks import selectors as webhook_selectors
from tickets.automation import actions as action_spec
from tickets.automation import conditions
from tickets.automation.dry_run import DryRunResult, action_names, rule_dry_run
from tickets.automation.forms import RuleForm, TeamRoutingForm
from tickets.automation.models import AutomationRule, RoutingStrategy, TeamRouting
from tickets.automation.placeholders import PLACEHOLDERS
from tickets.automation.selectors import rule_firing_counts, rule_list
from tickets.automation.snapshot import FIELDS
from tickets.forms import add_domain_errors
from tickets.services import automation as rule_services
from tickets.services.routing import team_routing_set

if TYPE_CHECKING:
    from helpdesk.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User

else:
    AuthenticatedHttpRequest = HttpRequest

MANAGER_ROLES = ("manager", "admin")


def _require_manager(request: AuthenticatedHttpRequest) -> None:
    if request.user.role not in MANAGER_ROLES:
        raise Http404("No such page.")


def _summary(rule: AutomationRule) -> tuple[str, list[str]]:
    try:
        group = conditions.parse(rule.conditions)
        parsed_actions = action_spec.parse(rule.actions)
    except conditions.RuleFormatError:
        return "(invalid)", []
    names = action_names(parsed_actions)
    return conditions.describe(group, names), [
        action_spec.describe(action, names) for action in parsed_actions
    ]


@login_required
def rule_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_manager(request)
    now = timezone.now()
    counts = rule_firing_counts(since=now - timedelta(days=7))
    rows = []
    for rule in rule_list():
        when, does = _summary(rule)
        rows.append({"rule": rule, "when": when, "does": does, "fired": counts.get(rule.pk, 0)})
    return render(request, "tickets/automation/rules.html", {"rows": rows})


def _rule_form(data: Any = None, **kwargs: Any) -> RuleForm:
    endpoints = webhook_selectors.subscriptions_callable_by_automation(WebhookEventType.AUTOMATION_RULE_FIRED)
    return RuleForm(data, endpoints=endpoints, **kwargs)


def _reference() -> dict[str, Any]:
    return {
        "fields": [(name, spec.label, spec.kind.value, spec.choices) for name, spec in FIELDS.items()],
        "operators": conditions.OPERATORS,
        "action_types": action_spec.ACTION_TYPES,
        "placeholders": PLACEHOLDERS.items(),
    }


def _editor(
    request: AuthenticatedHttpRequest,
    form: RuleForm,
    *,
    rule: AutomationRule | None,
    status: int = 200,
    dry_run: DryRunResult | None = None,
) -> HttpResponse:
    context = {"form": form, "rule": rule, "dry_run": dry_run, **_reference()}
    return render(request, "tickets/automation/rule_form.html", context, status=status)


def _dry_run(form: RuleForm) -> DryRunResult | None:
    data = form.cleaned_data
    try:
        return rule_dry_run(
            kind=data["kind"],
            triggers=data["triggers"],
            conditions_json=data["conditions"],
            actions_json=data["actions"],
            now=timezone.now(),
        )
    except conditions.RuleFormatError as error:
        for path_, problems in error.errors.items():
            target = "actions" if path_.startswith("actions") else "conditions"
            for problem in problems:
                form.add_error(target, f"{path_}: {problem}")
        return None


def _save(request: AuthenticatedHttpRequest, rule: AutomationRule | None) -> HttpResponse:
    form = _rule_form(request.POST)
    if not form.is_valid():
        return _editor(request, form, rule=rule, status=400)
    if "dry_run" in request.POST:
        result = _dry_run(form)
        return _editor(request, form, rule=rule, status=200 if result else 400, dry_run=result)
    changes = form.changes()
    try:
        if rule is None:
            rule = rule_services.rule_create(
                actor=request.user,
                name=changes["name"],
                description=changes["description"],
                kind=changes["kind"],
                triggers=changes["triggers"],
                conditions_json=changes["conditions"],
                actions_json=changes["actions"],
                stop_processing=changes["stop_processing"],
                is_active=changes["is_active"],
            )
        else:
            rule = rule_services.rule_update(rule_id=rule.pk, actor=request.user, changes=changes)
    except DomainError as error:
        add_domain_errors(form, error.field_errors, error.message)
        return _editor(request, form, rule=rule, status=400)
    messages.success(request, f"Rule “{rule.name}” saved.")
    return redirect("tickets:automation-rules")


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_manager(request)
    if request.method == "POST":
        return _save(request, None)
    form = _rule_form(
        initial={"kind": "event", "triggers": ["created"], "conditions": {"all": []}, "actions": []}
    )
    return _editor(request, form, rule=None)


def _rule(rule_id: int) -> AutomationRule:
    try:
        return AutomationRule.objects.get(pk=rule_id)
    except AutomationRule.DoesNotExist as error:
        raise Http404("No such rule.") from error


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    _require_manager(request)
    rule = _rule(rule_id)
    if request.method == "POST":
        return _save(request, rule)
    form = _rule_form(
        initial={
            "name": rule.name,
            "description": rule.description,
            "kind": rule.kind,
            "triggers": rule.triggers,
            "conditions": rule.conditions,
            "actions": rule.actions,
            "stop_processing": rule.stop_processing,
            "is_active": rule.is_active,
        }
    )
    return _editor(request, form, rule=rule)


@login_required
@require_POST
def rule_move(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    _require_manager(request)
    try:
        rule_services.rule_move(
            rule_id=_rule(rule_id).pk, direction=request.POST.get("direction", ""), actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("tickets:automation-rules")


@login_required
@require_POST
def rule_toggle(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    _require_manager(request)
    rule = rule_services.rule_set_active(
        rule_id=_rule(rule_id).pk, is_active=request.POST.get("is_active") == "1", actor=request.user
    )
    messages.success(request, f"Rule “{rule.name}” switched {'on' if rule.is_active else 'off'}.")
    return redirect("tickets:automation-rules")


@login_required
@require_POST
def rule_delete(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    _require_manager(request)
    rule = _rule(rule_id)
    rule_services.rule_delete(rule_id=rule.pk, actor=request.user)
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("tickets:automation-rules")


@login_required
@require_http_methods(["GET", "POST"])
def routing_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each team's routing strategy; one small form per team."""
    _require_manager(request)
    teams = list(Team.objects.order_by("name"))
    settings = {row.team_id: row for row in TeamRouting.objects.select_related("last_assigned")}
    if request.method == "POST":
        team = next((team for team in teams if str(team.pk) == request.POST.get("team")), None)
        form = TeamRoutingForm(request.POST, prefix=f"team-{team.pk}" if team else None)
        if team is not None and form.is_valid():
            try:
                team_routing_set(
                    team=team,
                    strategy=form.cleaned_data["strategy"],
                    auto_assign=form.cleaned_data["auto_assign"],
                    actor=request.user,
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Routing of {team.name} saved.")
            return redirect("tickets:automation-routing")
        messages.error(request, "Pick a team and a strategy.")
    rows = [
        {
            "team": team,
            "routing": settings.get(team.pk),
            "form": TeamRoutingForm(
                prefix=f"team-{team.pk}",
                initial={
                    "strategy": settings[team.pk].strategy if team.pk in settings else RoutingStrategy.MANUAL,
                    "auto_assign": settings[team.pk].auto_assign if team.pk in settings else True,
                },
            ),
        }
        for team in teams
    ]
    return render(
        request, "tickets/automation/routing.html", {"rows": rows, "strategies": RoutingStrategy.choices}
    )


urlpatterns = [
    path("automation/", rule_list_page, name="automation-rules"),
    path("automation/rules/new/", rule_new, name="automation-rule-new"),
    path("automation/rules/<int:rule_id>/", rule_edit, name="automation-rule-edit"),
    path("automation/rules/<int:rule_id>/move/", rule_move, name="automation-rule-move"),
    path("automation/rules/<int:rule_id>/active/", rule_toggle, name="automation-rule-toggle"),
    path("automation/rules/<int:rule_id>/delete/", rule_delete, name="automation-rule-delete"),
    path("automation/routing/", routing_page, name="automation-routing"),
]
