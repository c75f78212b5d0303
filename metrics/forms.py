"""Forms of the survey pages: the customer's comment (and effort), a lead's closing note."""

from __future__ import annotations

from typing import Any

from django import forms

from metrics.models import EFFORT_SCALE
from metrics.services.answers import COMMENT_MAX_LENGTH

EFFORT_LABELS = {1: "Very difficult", 4: "Neither", 7: "Very easy"}


class SurveyCommentForm(forms.Form):
    comment = forms.CharField(
        label="Anything you would like to tell us?",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    effort_score = forms.TypedChoiceField(
        label="How easy was it to get your issue resolved?",
        choices=[
            (value, f"{value} – {EFFORT_LABELS[value]}" if value in EFFORT_LABELS else str(value))
            for value in range(EFFORT_SCALE[0], EFFORT_SCALE[1] + 1)
        ],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, ask_effort: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ask_effort:
            del self.fields["effort_score"]


class FollowUpDoneForm(forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=COMMENT_MAX_LENGTH)
