"""The audit log's filters: dates, who, what and which object (all optional)."""

import re

from django import forms

from core.dates import parse_iso_date
from core.forms import TextField

from .actions import Action


def _type_label(object_type: str) -> str:
    """ "accounts.ApiToken" -> "Api token": the model's name in words."""
    name = object_type.rpartition(".")[2]
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize() or object_type


def _label(action: str) -> str:
    return Action(action).label if action in Action.values else action


class IsoDateField(forms.CharField):
    """A date typed as YYYY-MM-DD, with a message that says what is wrong with it."""

    def to_python(self, value):
        text = super().to_python(value).strip()
        if not text:
            return None
        parsed, problem = parse_iso_date(text)
        if parsed is None:
            raise forms.ValidationError(problem, code="date")
        return parsed


class AuditFilterForm(forms.Form):
    date_from = IsoDateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    date_to = IsoDateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    actor = TextField(required=False, max_length=150, label="Who")
    action = forms.CharField(required=False, max_length=80, label="Action", widget=forms.Select)
    object_type = TextField(required=False, max_length=80, label="Object type", widget=forms.Select)
    object = TextField(required=False, max_length=300, label="Object")

    def __init__(self, data, *, actions: list[str], object_types: list[str]):
        super().__init__(data)
        labelled = sorted(((a, _label(a)) for a in actions), key=lambda pair: pair[1])
        self._present = set(actions)
        self.fields["action"].widget.choices = [("", "Any action"), *labelled]
        self.fields["object_type"].widget.choices = [
            ("", "Any object"),
            *((t, _type_label(t)) for t in object_types),
        ]

    def clean_action(self):
        action = self.cleaned_data["action"].strip()
        if action and action not in Action.values and action not in self._present:
            raise forms.ValidationError("Unknown action: choose one from the list.", code="action")
        return action

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date: swap them.")
        return data

    @property
    def filtering(self) -> bool:
        return any(self.data.get(name) for name in self.fields)
