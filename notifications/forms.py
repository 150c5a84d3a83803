"""The email preferences form: one "also by email" box per kind of notification."""

from django import forms

from core.forms import ServiceErrorsMixin

from .kinds import LABELS, Kind


class PreferencesForm(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args, current: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = forms.BooleanField(
                label=LABELS[kind],
                required=False,
                initial=current.get(kind.value, False),
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )

    def email_choices(self) -> dict[str, bool]:
        return {kind.value: bool(self.cleaned_data.get(kind.value)) for kind in Kind}
