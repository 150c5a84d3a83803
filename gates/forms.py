"""Forms of the gate pages: a gate's checklist and its go / no-go decision."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms

from core.forms import TextField

from .checklists import PhaseDefinition


class _RadioSelectWithDisabled(forms.RadioSelect):
    """Radio buttons whose options named in `disabled_values` cannot be chosen."""

    def __init__(self, *args, disabled_values=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = set(disabled_values)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class ChecklistForm(forms.Form):
    """A gate's checklist: per item, met or not, and an evidence note or link."""

    def __init__(self, *args, definition: PhaseDefinition, items, read_only=False, **kwargs):
        initial = {}
        for key in definition.keys:
            item = items.get(key)
            initial[f"met_{key}"] = bool(item and item.met)
            initial[f"evidence_{key}"] = item.evidence if item else ""
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition.items:
            self.fields[f"met_{item.key}"] = forms.BooleanField(
                label="Met", required=False, disabled=read_only
            )
            self.fields[f"evidence_{item.key}"] = TextField(
                label="Evidence",
                required=False,
                max_length=5000,
                disabled=read_only,
                widget=forms.Textarea(
                    attrs={
                        "rows": 1,
                        "class": "form-control",
                        "placeholder": "A note or a link (runbook, ticket, document)",
                        "aria-label": f"Evidence: {item.label}",
                    }
                ),
            )

    def rows(self) -> list[dict]:
        return [
            {"item": item, "met": self[f"met_{item.key}"], "evidence": self[f"evidence_{item.key}"]}
            for item in self.definition.items
        ]

    def changes(self) -> dict[str, dict]:
        """Only the items whose met flag or evidence changed."""
        changed = set(self.changed_data)
        return {
            item.key: {
                "met": self.cleaned_data[f"met_{item.key}"],
                "evidence": self.cleaned_data[f"evidence_{item.key}"],
            }
            for item in self.definition.items
            if {f"met_{item.key}", f"evidence_{item.key}"} & changed
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            item, _, part = key.partition(".")
            field = f"{part or 'evidence'}_{item}"
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class DecisionForm(forms.Form):
    """An approver's go / no-go, with the rationale and the gate version they saw."""

    decision = forms.ChoiceField(
        choices=[("go", "Go"), ("no_go", "No-go")],
        widget=_RadioSelectWithDisabled,
        error_messages={"required": "Choose go or no-go."},
    )
    rationale = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Required for both: what you checked and why you decided so. It is kept with "
        "the decision for good.",
        error_messages={"required": "Write the rationale for this decision."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, go_blocked=False, **kwargs):
        super().__init__(*args, **kwargs)
        if go_blocked:
            self.fields["decision"].widget.disabled_values = {"go"}
            self.fields["decision"].help_text = (
                "Go is not available until the reasons above are resolved; a no-go is "
                "always possible."
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("version", "decision", "rationale")

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)
