"""Forms of the outcome pages: one metric snapshot, a CSV upload and its confirmation, and a
horizon advance (the thresholds form is in outcomes/threshold_forms.py).

Pages show rates as percentages (0 to 100); the services take fractions (0 to 1), so the
percentage fields convert on the way in and out. The quality score stays a score from 0 to 1,
as the runtime's evaluation reports it. Forms decode what the browser sends into the plain
values the services take; the services check them (outcomes/inputs.py, one definition) and
decide, and their InvalidInput errors are shown beside the fields they name.
"""

from crispy_forms.bootstrap import AppendedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout
from django import forms

from core.forms import ServiceErrorsMixin, TextField

from . import metrics
from .charts import percent
from .inputs import MAX_NUMBER, REQUIRED

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
LEGEND = "fs-6 fw-semibold"


class PercentField(forms.FloatField):
    """A rate entered as a percentage from 0 to 100; `cleaned_data` holds the fraction."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100)
        kwargs.setdefault(
            "error_messages",
            {
                "min_value": "Enter a percentage from 0 to 100.",
                "max_value": "Enter a percentage from 0 to 100.",
                "invalid": "Enter a percentage from 0 to 100, e.g. 4.5 for 4.5%.",
            },
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("step", "any")

    def clean(self, value):
        number = super().clean(value)
        return None if number is None else number / 100


def as_percent(fraction: float | None):
    """0.9 -> 90 (what a percentage field shows), None -> None."""
    if fraction is None:
        return None
    value = round(fraction * 100, 4)
    return int(value) if value == int(value) else value


class _RequiredByTheService(forms.Field):
    """Shown required (the browser's hint, the label's mark), but an empty value is handed to
    the service as None: outcomes.inputs.SnapshotInput says which fields are required, and
    names each one missing at once with the other refusals."""

    def validate(self, value):
        if value not in self.empty_values:
            super().validate(value)


class DayField(_RequiredByTheService, forms.DateField):
    pass


class WholeNumberField(_RequiredByTheService, forms.IntegerField):
    pass


class NumberField(_RequiredByTheService, forms.FloatField):
    pass


class SnapshotPercentField(_RequiredByTheService, PercentField):
    """A percentage decoded to a fraction, its bounds left to outcomes.inputs."""

    def __init__(self, **kwargs):
        super().__init__(min_value=None, max_value=None, **kwargs)
        self.widget.attrs.update({"min": 0, "max": 100})


def _day_field(*, label, help_text):
    return DayField(
        label=label,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _number_field(*, label, help_text, integer=False, required=True):
    """A count (whole) or an amount, decoded from its text; its bounds are outcomes.inputs',
    told to the browser as a hint."""
    field_class = WholeNumberField if integer else NumberField
    field = field_class(
        label=label,
        help_text=help_text,
        required=required,
        error_messages={"invalid": "Enter a whole number." if integer else "Enter a number."},
    )
    field.widget.attrs.update({"min": 0, "max": MAX_NUMBER})
    if not integer:
        field.widget.attrs["step"] = "any"
    return field


# What the page says, in its own units, when outcomes.inputs refuses a value.
FORM_MESSAGES = {
    "baseline_error_rate": "Enter a percentage from 0 to 100.",
    "quality_score": "Enter a score from 0 to 1, e.g. 0.82.",
}


class SnapshotForm(ServiceErrorsMixin, forms.Form):
    """All the docs/rules.md §3 fields of one period; the runtime signals are optional. The
    form decodes what the browser sends; the service checks it (outcomes.inputs.SnapshotInput)
    and its refusals come back beside the fields."""

    period_start = _day_field(
        label="Period start", help_text="The first day of the period (inclusive)."
    )
    period_end = _day_field(
        label="Period end",
        help_text="The last day of the period (inclusive). The latest snapshot is the one "
        "with the latest period end.",
    )
    tasks = _number_field(
        label="Tasks", integer=True, help_text="Every task the agent received in the period."
    )
    tasks_completed = _number_field(
        label="Tasks completed", integer=True, help_text="Of those tasks, how many it completed."
    )
    escalations = _number_field(
        label="Escalations",
        integer=True,
        help_text="Of those tasks, how many it handed to a person.",
    )
    errors = _number_field(
        label="Errors", integer=True, help_text="Of those tasks, how many ended in an error."
    )
    cost = _number_field(
        label="Cost",
        help_text="What running the agent cost over the period, in your organization's currency.",
    )
    avg_cycle_time_s = _number_field(
        label="Average cycle time (seconds)",
        help_text="The average time from a task's arrival to its resolution, in seconds.",
    )
    baseline_cost_per_case = _number_field(
        label="People's cost per case",
        help_text="The baseline: what one case costs when people handle it today, in the same "
        "currency.",
    )
    baseline_cycle_time_s = _number_field(
        label="People's cycle time (seconds)",
        help_text="The baseline: how long people take per case today, in seconds.",
    )
    baseline_error_rate = SnapshotPercentField(
        label="People's error rate",
        help_text="The baseline: the share of cases people get wrong today, as a percentage "
        "(4.5 for 4.5%).",
    )
    failed_tool_calls = _number_field(
        label="Failed tool calls", integer=True, required=False, help_text=""
    )
    policy_violations = _number_field(
        label="Policy violations", integer=True, required=False, help_text=""
    )
    quality_score = NumberField(
        label="Quality score (0 to 1)",
        required=False,
        error_messages={"invalid": FORM_MESSAGES["quality_score"]},
        widget=forms.NumberInput(attrs={"step": "any", "min": 0, "max": 1}),
    )
    calls_per_hour = _number_field(label="Calls per hour", required=False, help_text="")

    OPTIONAL = metrics.OPTIONAL_FIELDS

    def __init__(self, *args, thresholds: metrics.Thresholds, api_calls_limit=None, **kwargs):
        super().__init__(*args, **kwargs)
        t = thresholds
        self.fields["failed_tool_calls"].help_text = (
            "Tool calls that failed in the period. Suspends the agent above "
            f"{percent(t.alert_failed_tool_calls_max)} of tasks."
        )
        self.fields["policy_violations"].help_text = (
            "Policy violations detected in the period. Suspends the agent above "
            f"{t.alert_policy_violations_max}"
            + (" (any violation)." if t.alert_policy_violations_max == 0 else ".")
        )
        self.fields["quality_score"].help_text = (
            "Your evaluation's quality score for the period. Suspends the agent below "
            f"{t.alert_quality_min:g}."
        )
        self.fields["calls_per_hour"].help_text = (
            f"The peak API calls per hour. Suspends the agent above its limit of {api_calls_limit}."
            if api_calls_limit is not None
            else "The peak API calls per hour. The agent has no API-call limit, so this alerts "
            "on nothing yet."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            HTML(f'<fieldset class="mb-2"><legend class="{LEGEND}">Period</legend>'),
            Div(
                Div("period_start", css_class="col-sm-6"),
                Div("period_end", css_class="col-sm-6"),
                css_class="row",
            ),
            HTML(f'</fieldset><fieldset class="mb-2"><legend class="{LEGEND}">The agent</legend>'),
            Div(
                Div("tasks", css_class="col-sm-6 col-lg-3"),
                Div("tasks_completed", css_class="col-sm-6 col-lg-3"),
                Div("escalations", css_class="col-sm-6 col-lg-3"),
                Div("errors", css_class="col-sm-6 col-lg-3"),
                css_class="row",
            ),
            Div(
                Div("cost", css_class="col-sm-6"),
                Div("avg_cycle_time_s", css_class="col-sm-6"),
                css_class="row",
            ),
            HTML(
                '</fieldset><fieldset class="mb-2">'
                f'<legend class="{LEGEND}">People today (the baseline)</legend>'
                '<p class="small text-muted">What people achieve today on the '
                "same work, so the page can say whether the agent does better or worse.</p>"
            ),
            Div(
                Div("baseline_cost_per_case", css_class="col-sm-4"),
                Div("baseline_cycle_time_s", css_class="col-sm-4"),
                Div(AppendedText("baseline_error_rate", "%"), css_class="col-sm-4"),
                css_class="row",
            ),
            HTML(
                '</fieldset><details class="runtime-signals border rounded px-3 py-2 mb-3"'
                '{% if form.runtime_open %} open{% endif %}><summary class="fw-semibold">'
                'Runtime signals (optional)</summary><p class="small text-muted mt-2">Fill '
                "these where your runtime reports them; each one is checked against the "
                "agent's alert thresholds.</p>"
            ),
            Div(
                Div("failed_tool_calls", css_class="col-sm-6"),
                Div("policy_violations", css_class="col-sm-6"),
                Div(Field("quality_score"), css_class="col-sm-6"),
                Div("calls_per_hour", css_class="col-sm-6"),
                css_class="row",
            ),
            HTML("</details>"),
        )

    @property
    def runtime_open(self) -> bool:
        """Show the optional fieldset open when it holds a value or an error."""
        if any(name in self.errors for name in self.OPTIONAL):
            return True
        return any(self.data.get(self.add_prefix(name)) for name in self.OPTIONAL)

    def service_data(self) -> dict:
        """The snapshot as plain Python values: dates, ints for counts, floats for numbers,
        fractions for rates, None for an empty field."""
        return {name: self.cleaned_data.get(name) for name in metrics.ALL_FIELDS}

    def service_error_message(self, key: str, message: str) -> str:
        """The service speaks of fractions; this form of percentages and of a score, in the
        field's own words (a missing value is told as it is)."""
        if message == REQUIRED:
            return message
        return FORM_MESSAGES.get(key, message)


class UploadForm(ServiceErrorsMixin, forms.Form):
    ERRORS_TO = "file"

    file = forms.FileField(
        label="CSV file",
        help_text="A .csv file of at most 2 MB, UTF-8 (with or without BOM), separated by "
        "commas or semicolons, whose first row names the columns, as in the template. Rates "
        "with a % sign are percentages (4%), plain numbers fractions (0.04).",
        error_messages={
            "required": "Choose a .csv file to upload.",
            "empty": "The file is empty: it needs a header row and data rows.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_file(self) -> str:
        """The file's text; refuses another extension, more than 2 MB, or not UTF-8."""
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("Upload a .csv file (the name must end in .csv).")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB: at most 2 MB per upload. "
                "Split it into several files."
            )
        raw = upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."
            ) from None
        if "\x00" in text:
            raise forms.ValidationError("The file is not a text CSV file.")
        return text


class ConfirmUploadForm(forms.Form):
    token = TextField(widget=forms.HiddenInput, max_length=64)


class AdvanceForm(ServiceErrorsMixin, forms.Form):
    ERROR_FIELDS = {"rationale": "rationale"}

    rationale = TextField(
        label="Rationale",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Write the rationale for this advance."},
        help_text="Why the agent may advance now: what the figures show and what changes with "
        "the next horizon. Recorded with your name; decisions are never edited.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_rationale(self) -> str:
        text = self.cleaned_data["rationale"].strip()
        if not text:
            raise forms.ValidationError("Write the rationale for this advance.")
        return text
