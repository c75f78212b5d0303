"""Forms of the Webhooks page. Forms validate input; services do the writing (and the URL checks)."""

from __future__ import annotations

from django import forms

from helpdesk.webhooks.models import WebhookEventType


class WebhookSubscriptionForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the endpoint is, e.g. “CRM sync”.")
    url = forms.CharField(
        label="Payload URL",
        max_length=2000,
        help_text="An http(s) address that accepts POST requests with a JSON body.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    include_internal_notes = forms.BooleanField(
        label="Include internal notes",
        required=False,
        help_text="Also send message.created for agents' internal notes, with their text.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


class RotateSecretForm(forms.Form):
    keep_previous_hours = forms.IntegerField(
        label="Keep the old secret for (hours)",
        min_value=0,
        max_value=168,
        initial=0,
        required=False,
        help_text="Deliveries carry a signature with each secret meanwhile; 0 stops the old one now.",
    )
