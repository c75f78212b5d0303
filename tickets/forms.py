"""Forms of the agent's ticket page. They parse and validate input; tickets.services does the writing.

A service refusal (DomainError) comes back with `field_errors`; `add_domain_errors` puts each
message on the field it names, so the page re-renders with everything the agent typed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile

from helpdesk.models import SupportTier, Team, User
from helpdesk.widgets import FastSelect, FastSelectMultiple
from tickets.models import (
    Category,
    LinkKind,
    MessageVisibility,
    Priority,
    Severity,
    Tag,
    Ticket,
    TicketStatus,
)
from tickets.services import HANDOFF_FIELDS, UploadedFile

# Statuses offered by the "Send and set …" buttons of the composer.
SEND_AND_SET_STATUSES = (TicketStatus.PENDING, TicketStatus.ON_HOLD, TicketStatus.RESOLVED)


def add_domain_errors(
    form: forms.Form,
    field_errors: Mapping[str, Sequence[str]],
    message: str,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Attach a service's field errors to the form's fields; errors on unknown fields go on top."""
    aliases = aliases or {}
    if not field_errors:
        form.add_error(None, message)
        return
    for name, errors in field_errors.items():
        target = aliases.get(name, name)
        for error in errors:
            form.add_error(target if target in form.fields else None, error)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files; size and type are the service's to check."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[DjangoUploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ComposerForm(forms.Form):
    visibility = forms.ChoiceField(
        label="Message type",
        choices=MessageVisibility.choices,
        initial=MessageVisibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label="Message",
        required=False,  # message_create refuses an empty body with its own wording
        strip=False,
        help_text="Markdown: **bold**, _italic_, `code`, lists and links.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    cc = forms.CharField(
        label="CC",
        required=False,
        help_text="Email addresses, separated by commas (public replies only).",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    attachments = MultipleFileField(label="Attachments")
    then_status = forms.ChoiceField(
        required=False,
        choices=[("", "Keep status"), *[(s.value, s.label) for s in SEND_AND_SET_STATUSES]],
    )

    def cc_list(self) -> list[str]:
        raw = self.cleaned_data.get("cc") or ""
        return [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]

    def uploads(self) -> list[UploadedFile]:
        return [
            UploadedFile(
                filename=upload.name or "attachment",
                content_type=upload.content_type or "application/octet-stream",
                content=upload.read(),
            )
            for upload in self.cleaned_data.get("attachments", [])
        ]


CHOICES_CACHE_SECONDS = 30.0
_choices_cache: dict[str, tuple[float, list[tuple[Any, str]]]] = {}


def cached_choices(name: str, field: forms.ChoiceField) -> list[tuple[Any, str]]:
    """Return the field's (value, label) options, read at most every CHOICES_CACHE_SECONDS per process.

    Only for option lists every agent sees alike (agents, teams, categories, tags): a new tag or
    agent shows up in the side panel within that time.
    """
    now = time.monotonic()
    cached = _choices_cache.get(name)
    if cached is None or now - cached[0] > CHOICES_CACHE_SECONDS:
        cached = _choices_cache[name] = (now, [(str(value), str(label)) for value, label in field.choices])
    return cached[1]


def choices_cache_clear() -> None:
    """Forget the cached option lists (tests, or right after an admin edit in this process)."""
    _choices_cache.clear()


class TicketFieldsForm(forms.Form):
    """The side panel: every routing field of the ticket; only changed ones are sent to ticket_update."""

    status = forms.ChoiceField(choices=TicketStatus.choices, widget=FastSelect)
    priority = forms.ChoiceField(choices=Priority.choices, widget=FastSelect)
    severity = forms.ChoiceField(choices=Severity.choices, widget=FastSelect)
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, empty_label="None", widget=FastSelect
    )
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.none(),
        required=False,
        widget=FastSelectMultiple(attrs={"size": 4}),
        help_text="Ctrl/⌘-click to pick several.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="None", widget=FastSelect
    )
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned", widget=FastSelect
    )
    support_tier = forms.ChoiceField(label="Support tier", choices=SupportTier.choices, widget=FastSelect)

    def __init__(
        self,
        *args: Any,
        ticket: Ticket,
        categories: Any,
        tags: Any,
        teams: Any,
        agents: Any,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "status": ticket.status,
                "priority": ticket.priority,
                "severity": ticket.severity,
                "category": ticket.category_id,
                "tags": [tag.pk for tag in ticket.tags.all()],
                "team": ticket.team_id,
                "assignee": ticket.assignee_id,
                "support_tier": ticket.support_tier,
            },
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["category"].queryset = categories
        self.fields["tags"].queryset = tags
        self.fields["team"].queryset = teams
        self.fields["assignee"].queryset = agents
        if not self.is_bound:
            # Showing the form: options from a short-lived per-process copy of the same querysets
            # (a hundred agents cost more to load and label than the rest of the page). A bound
            # form validates against the querysets themselves.
            for name in ("category", "tags", "team", "assignee"):
                field = self.fields[name]
                field.widget.choices = cached_choices(name, field)

    def changes(self) -> dict[str, Any]:
        """Return only the fields whose submitted value differs from the ticket's."""
        data = self.cleaned_data
        ticket = self.ticket
        found: dict[str, Any] = {}
        for name in ("status", "priority", "severity", "support_tier"):
            if data[name] != getattr(ticket, name):
                found[name] = data[name]
        for name in ("category", "team", "assignee"):
            value = data[name]
            if (value.pk if value else None) != getattr(ticket, f"{name}_id"):
                found[name] = value
        if {tag.pk for tag in data["tags"]} != {tag.pk for tag in ticket.tags.all()}:
            found["tags"] = list(data["tags"])
        return found


HANDOFF_LABELS = {
    "issue_summary": "Issue summary",
    "troubleshooting_done": "Troubleshooting completed",
    "environment": "Environment",
    "why_escalating": "Why escalating",
    "customer_expectation": "What the customer expects",
    "next_steps": "Suggested next steps",
}
HANDOFF_HELP = {
    "issue_summary": "One or two sentences the next tier can act on.",
    "environment": "Product version, OS/browser, account, region.",
}


class HandoffForm(forms.Form):
    """The escalation template; the issue summary is required by ticket_escalate."""

    to_tier = forms.ChoiceField(
        label="Target tier",
        required=False,
        help_text="Leave on “Next tier” to move one step.",
    )
    to_team = forms.ModelChoiceField(
        label="Target team", queryset=Team.objects.none(), required=False, empty_label="Keep current team"
    )

    def __init__(self, *args: Any, teams: Any, up: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.up = up
        self.fields["to_tier"].choices = [("", "Next tier" if up else "Previous tier"), *SupportTier.choices]
        self.fields["to_team"].queryset = teams
        for name in HANDOFF_FIELDS:
            label = HANDOFF_LABELS[name]
            if name == "why_escalating" and not up:
                label = "Why de-escalating"
            self.fields[name] = forms.CharField(
                label=label,
                required=name == "issue_summary",
                help_text=HANDOFF_HELP.get(name, ""),
                widget=forms.Textarea(attrs={"rows": 2 if name != "troubleshooting_done" else 3}),
            )

    def handoff(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in HANDOFF_FIELDS}


class MergeForm(forms.Form):
    original = forms.IntegerField(
        label="Merge into ticket #",
        min_value=1,
        help_text="This ticket is closed as a duplicate; its conversation stays reachable.",
        widget=forms.NumberInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class LinkForm(forms.Form):
    kind = forms.ChoiceField(
        label="Relation",
        choices=[
            (LinkKind.PARENT_OF, "This ticket is the parent of"),
            (LinkKind.RELATED, "This ticket is related to"),
            (LinkKind.DUPLICATE_OF, "This ticket is a duplicate of"),
        ],
    )
    to_ticket = forms.IntegerField(
        label="Ticket #",
        min_value=1,
        widget=forms.NumberInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class PresenceForm(forms.Form):
    mode = forms.ChoiceField(choices=[("viewing", "Viewing"), ("replying", "Replying"), ("left", "Left")])


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, strip=False)
