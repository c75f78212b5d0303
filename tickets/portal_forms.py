"""Forms of the customer portal. They parse input; tickets.portal and tickets.services decide and write."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.html import format_html

from tickets.forms import MultipleFileField
from tickets.models import Category
from tickets.portal import IMPACT_CHOICES, URGENCY_CHOICES, PortalSubmission
from tickets.services import UploadedFile

# The knowledge base's suggestion endpoint (kb app). If it fails the request errors and the
# error is ignored, so nothing shows.
KB_SUGGEST_URL = "/help/suggest/"


def _explained(choices: tuple[tuple[str, str, str], ...]) -> list[tuple[str, str]]:
    return [
        (
            value,
            format_html(
                '<span class="choice__label">{}</span> <span class="choice__help">{}</span>', label, help_text
            ),
        )
        for value, label, help_text in choices
    ]


def uploads_of(files: list[Any]) -> list[UploadedFile]:
    """Return the uploaded files read into the service's UploadedFile values."""
    return [
        UploadedFile(
            filename=upload.name or "attachment",
            content_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
        )
        for upload in files
    ]


class NewTicketForm(forms.Form):
    subject = forms.CharField(
        label="Subject",
        max_length=250,
        help_text="A short summary, like “Can't export invoices to PDF”.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "hx-get": KB_SUGGEST_URL,
                "hx-trigger": "input changed delay:300ms",  # typing, pasting and autofill alike
                "hx-target": "#kb-suggestions",
                "hx-swap": "innerHTML",
                # The form's one-time token lets the help centre record this attempt: what was
                # suggested, what was opened, and (from the ticket it becomes) whether it was filed.
                "hx-vals": 'js:{"q": event.target.value, "attempt": event.target.form.elements.token.value}',
                # No endpoint yet (404) or a failure: show nothing rather than an error.
                "hx-on::response-error": "document.getElementById('kb-suggestions').replaceChildren()",
                "hx-on::send-error": "document.getElementById('kb-suggestions').replaceChildren()",
                "aria-describedby": "kb-suggestions",
            }
        ),
    )
    description = forms.CharField(
        label="What happened?",
        strip=False,
        help_text="What you did, what you expected and what you saw instead. Markdown works.",
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    impact = forms.ChoiceField(
        label="Who is affected?", choices=_explained(IMPACT_CHOICES), widget=forms.RadioSelect
    )
    urgency = forms.ChoiceField(
        label="How much does it stop your work?",
        choices=_explained(URGENCY_CHOICES),
        widget=forms.RadioSelect,
    )
    category = forms.ModelChoiceField(
        label="Topic", queryset=Category.objects.none(), required=False, empty_label="Not sure"
    )
    attachments = MultipleFileField(
        label="Attachments", help_text="Screenshots or files that show the problem."
    )
    token = forms.CharField(max_length=120, widget=forms.HiddenInput)

    def __init__(self, *args: Any, categories: QuerySet[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        if not self.is_bound:
            # One token per rendered form: a double submit of it files one ticket (tickets.portal).
            self.initial.setdefault("token", secrets.token_urlsafe(24))

    def submission(self) -> PortalSubmission:
        data = self.cleaned_data
        return PortalSubmission(
            subject=data["subject"],
            description=data["description"],
            impact=data["impact"],
            urgency=data["urgency"],
            category=data["category"],
            attachments=uploads_of(data.get("attachments", [])),
            token=data["token"],
        )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        required=False,  # message_create refuses an empty body with its own wording
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(label="Attachments")

    def uploads(self) -> list[UploadedFile]:
        return uploads_of(self.cleaned_data.get("attachments", []))
