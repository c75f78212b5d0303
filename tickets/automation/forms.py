"""Forms of the rules, routing and macro screens. They parse input; the services validate and write."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from django import forms

from helpdesk.models import Team, WebhookSubscription
from tickets.automation.models import Macro, RoutingStrategy, RuleKind, RuleTrigger


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large a number.")
    return number


class JsonField(forms.CharField):
    """A textarea holding JSON; the value is the decoded structure."""

    def __init__(self, *, empty: Any, **kwargs: Any) -> None:
        self.empty = empty
        kwargs.setdefault(
            "widget", forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "code"})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return value
        return json.dumps(value if value is not None else self.empty, indent=2, ensure_ascii=False)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text.strip():
            return self.empty
        try:
            return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
            ) from error
        except ValueError as error:  # NaN, Infinity, 1e999: not JSON, and the JSON column refuses them
            raise forms.ValidationError(f"Not valid JSON: {error}") from error


class WebhookCallMixin(forms.Form):
    """A "Call a webhook" picker that appends {"type": "webhook", "endpoint": id} to the actions.

    `endpoints`: the webhooks the form may offer (active, accepting the automation event); None
    drops the picker (a user who may not see webhooks). Saving checks the id again (services).
    """

    webhook = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label="Call a webhook",
        help_text='Adds {"type": "webhook", "endpoint": <id>} to the actions: a signed POST of the '
        "firing (rule or macro, ticket, trigger) to that webhook, sent after the change commits.",
    )

    def __init__(
        self, *args: Any, endpoints: Sequence[WebhookSubscription] | None = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if endpoints is None:
            del self.fields["webhook"]
            return
        self.fields["webhook"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((endpoint.pk, f"{endpoint.name} ({endpoint.url})") for endpoint in endpoints),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        endpoint, actions = data.get("webhook"), data.get("actions")
        if endpoint is not None and isinstance(actions, list):
            call = {"type": "webhook", "endpoint": endpoint}
            if call not in actions:
                data["actions"] = [*actions, call]
        return data


class RuleForm(WebhookCallMixin, forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(choices=RuleKind.choices, initial=RuleKind.EVENT)
    triggers = forms.MultipleChoiceField(
        choices=RuleTrigger.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Event rules only: when to check the conditions.",
    )
    conditions = JsonField(
        empty={},
        help_text='{"all": [...], "any": [...]} of {"field", "operator", "value"}; empty matches every ticket.',
    )
    actions = JsonField(empty=[], help_text='A list of {"type": …} actions; see the reference below.')
    stop_processing = forms.BooleanField(
        required=False, label="Stop here: no later rules run when this one fires"
    )
    is_active = forms.BooleanField(required=False, label="Switched on")
    field_order = [
        "name", "description", "kind", "triggers", "conditions", "actions", "webhook", "stop_processing", "is_active"
    ]  # fmt: skip

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "kind": data["kind"],
            "triggers": data["triggers"],
            "conditions": data["conditions"],
            "actions": data["actions"],
            "stop_processing": data["stop_processing"],
            "is_active": data["is_active"],
        }


class TeamRoutingForm(forms.Form):
    strategy = forms.ChoiceField(choices=RoutingStrategy.choices)
    auto_assign = forms.BooleanField(required=False, label="Assign new and waiting tickets automatically")


class MacroForm(WebhookCallMixin, forms.Form):
    name = forms.CharField(max_length=120)
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown with {{ placeholders }}; leave empty for an actions-only macro.",
    )
    visibility = forms.ChoiceField(choices=Macro._meta.get_field("visibility").choices)
    actions = JsonField(empty=[], help_text='Optional: a list of {"type": …} actions, as in rules.')
    shared = forms.BooleanField(required=False, label="Shared (team leads, managers and admins)")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="Share with this team only."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Offered on the ticket page")
    field_order = ["name", "body", "visibility", "actions", "webhook", "shared", "team", "is_active"]

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.all()  # type: ignore[attr-defined]


class ApplyMacroForm(forms.Form):
    macro = forms.IntegerField(min_value=1)
