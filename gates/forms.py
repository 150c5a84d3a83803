"""Forms of the gate pages: a gate's checklist, its go / no-go decision, and a prompt version
recorded in the browser."""

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms

from core.forms import ServiceErrorsMixin, TextField

from .evidence import ATTESTABLE
from .inputs import TAG_MAX


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


class AttestationForm(ServiceErrorsMixin, forms.Form):
    """Attest an item that may be attested (tracing, the quality threshold), with the evidence
    of where it can be checked, or withdraw the attestation."""

    ERRORS_TO = "evidence"

    key = forms.ChoiceField(choices=[(k, k) for k in sorted(ATTESTABLE)], widget=forms.HiddenInput)
    action = forms.ChoiceField(
        choices=[("attest", "Attest"), ("withdraw", "Withdraw")], widget=forms.HiddenInput
    )
    evidence = TextField(
        label="Evidence",
        required=False,
        max_length=5000,
        help_text="A link or a note saying where this can be checked (your tracing tool's "
        "dashboard, the evaluation report).",
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def changes(self) -> dict[str, dict]:
        data = self.cleaned_data
        if data["action"] == "withdraw":
            return {data["key"]: {"met": False}}
        return {data["key"]: {"met": True, "evidence": data["evidence"]}}


class DecisionForm(ServiceErrorsMixin, forms.Form):
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


RESULTS_MAX_BYTES = 20 * 1024 * 1024  # as the API route (docs/ci.md "Size")
SUITES = {"regression": "Regression", "adversarial": "Adversarial"}
SUITE_CHOICES = [
    ("results", "promptfoo results file"),
    ("passed", "Passed"),
    ("failed", "Failed"),
]


def _number(label, help_text, *, required=False, **kwargs):
    return forms.FloatField(
        label=label,
        required=required,
        help_text=help_text,
        error_messages={"invalid": "Enter a number.", "required": "This field is required."},
        widget=forms.NumberInput(attrs={"step": "any"}),
        **kwargs,
    )


class PromptVersionForm(ServiceErrorsMixin, forms.Form):
    """A prompt version recorded in the browser, for teams without CI: the same fields the API
    takes (docs/ci.md), each suite as passed / failed or as promptfoo's results file. The
    form only decodes (text to numbers, a file to its JSON); `gates.services.prompt_version_post`
    checks the values with gates.inputs.PromptVersionInput and decides. The browser is told
    the tags' length as a hint."""

    tag = forms.CharField(
        label="Tag",
        widget=forms.TextInput(attrs={"maxlength": TAG_MAX}),
        help_text="The version's tag, e.g. v8 (at most 100 characters, new for this agent).",
        error_messages={"required": "Give the version's tag."},
    )
    regression = forms.ChoiceField(
        label="Regression suite",
        choices=SUITE_CHOICES,
        initial="results",
        widget=forms.RadioSelect,
    )
    regression_file = forms.FileField(
        label="Regression results file",
        required=False,
        help_text="The JSON that promptfoo eval -o results.json writes, at most 20 MiB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    adversarial = forms.ChoiceField(
        label="Adversarial suite",
        choices=SUITE_CHOICES,
        initial="results",
        widget=forms.RadioSelect,
    )
    adversarial_file = forms.FileField(
        label="Adversarial results file",
        required=False,
        help_text="The results of promptfoo eval of the adversarial configuration, at most 20 MiB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    pass_rate_threshold = _number(
        "Pass-rate threshold (%)",
        "Optional, 0 to 100, for suites sent as results files: a suite passes when its pass "
        "rate reaches it. Without it, a suite passes with no failure and no error.",
    )
    delta = _number(
        "Delta",
        "Optional: the change against the prior version's outputs (0 or more). Left empty, it "
        "is computed from the current version's stored regression results.",
    )
    tolerance = _number(
        "Tolerance", "The largest delta that may ship.", required=True, initial=0.05
    )
    rollback_target = forms.CharField(
        label="Rollback target",
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TAG_MAX}),
        help_text="The tag to roll back to if this version misbehaves.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.results: dict[str, object] = {}

    def _clean_suite(self, suite: str) -> None:
        label = SUITES[suite]
        choice = self.cleaned_data.get(suite)
        upload = self.cleaned_data.get(f"{suite}_file")
        field = f"{suite}_file"
        if choice is None or field in self.errors:
            return
        if choice != "results":
            if upload:
                self.add_error(
                    field,
                    f"You chose {choice} for the {label.lower()} suite: remove the file, or "
                    "choose the results file.",
                )
            return
        if not upload:
            self.add_error(
                field,
                f"Choose the {label.lower()} suite's results.json, or mark it passed or failed.",
            )
            return
        if upload.size > RESULTS_MAX_BYTES:
            self.add_error(
                field,
                f"The file is {upload.size / 1024 / 1024:.1f} MiB: a results file may be at "
                "most 20 MiB.",
            )
            return
        try:
            self.results[suite] = json.loads(upload.read())
        except (ValueError, RecursionError):
            self.add_error(
                field,
                "The file is not JSON: upload the file that promptfoo eval -o results.json writes.",
            )

    def clean(self):
        data = super().clean()
        for suite in SUITES:
            self._clean_suite(suite)
        return data

    def service_data(self) -> dict:
        """The post as the API sends it to `prompt_version_post`: optional numbers only when
        given, each suite as `<suite>_passed` or as `<suite>` (the decoded results)."""
        data = {
            "tag": self.cleaned_data["tag"],
            "tolerance": self.cleaned_data["tolerance"],
            "rollback_target": self.cleaned_data["rollback_target"],
        }
        for key in ("pass_rate_threshold", "delta"):
            if self.cleaned_data.get(key) is not None:
                data[key] = self.cleaned_data[key]
        for suite in SUITES:
            if self.cleaned_data[suite] == "results":
                data[suite] = self.results[suite]
            else:
                data[f"{suite}_passed"] = self.cleaned_data[suite] == "passed"
        return data

    def service_error_field(self, key: str) -> str | None:
        """The service names the API's keys: `regression_passed` is the suite's choice,
        `regression` and `regression.results.stats...` its file."""
        head = key.partition(".")[0]
        if head in SUITES:
            return f"{head}_file"
        if head.endswith("_passed") and head.removesuffix("_passed") in SUITES:
            return head.removesuffix("_passed")
        return head if head in self.fields else None

    def service_error_message(self, key: str, message: str) -> str:
        """The place inside a results file is kept in the message."""
        path = key.partition(".")[2]
        return f"{path}: {message}" if path else message
