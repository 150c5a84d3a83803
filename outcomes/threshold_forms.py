"""The form of an agent's thresholds page: advance thresholds, alert limits and the
stabilization minimum, rates as percentages (outcomes/forms.py's PercentField). A minimum below
AgentThresholds.STABILIZATION_USUAL_WEEKS asks for a confirmation and a written reason
(docs/short-stabilization.md); `outcomes.services.thresholds_update` checks the reason again.
"""

from crispy_forms.bootstrap import AppendedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout
from django import forms

from core.forms import ServiceErrorsMixin, TextField

from . import metrics
from .forms import PercentField, as_percent
from .models import THRESHOLD_FRACTIONS, THRESHOLD_SWITCHES, AgentThresholds

USUAL_WEEKS = AgentThresholds.STABILIZATION_USUAL_WEEKS
REASON = "stabilization_reason"


class FormPercentField(PercentField):
    """A percentage decoded to a fraction, its bounds left to outcomes.inputs (checked once,
    by the service); the browser is told them."""

    def __init__(self, **kwargs):
        super().__init__(min_value=None, max_value=None, **kwargs)
        self.widget.attrs.update({"min": 0, "max": 100})


# What the page says, in its own units, when outcomes.inputs refuses a value.
FORM_MESSAGES = {
    "alert_quality_min": "Enter a score from 0 to 1, e.g. 0.7.",
    "alert_policy_violations_max": "Enter a whole number from 0 to 1000.",
    "stabilization_weeks": "Enter a whole number of weeks from 0 to 1000.",
    "budget_alert_percent": "Enter a whole percentage from 1 to 100, or leave it empty.",
}


ERROR_MODE_CHOICES = [
    ("baseline", "The snapshot's human baseline error rate"),
    ("fixed", "A fixed error rate"),
]


class ThresholdsForm(ServiceErrorsMixin, forms.Form):
    """The agent's advance thresholds and alert limits; rates as percentages."""

    advance_completion_min = FormPercentField(
        label="Task completion rate at least",
        help_text="Default 90%. An advance needs the latest snapshot at or above it.",
    )
    advance_escalation_max = FormPercentField(
        label="Escalation frequency at most",
        help_text="Default 10%. An advance needs the latest snapshot at or below it.",
    )
    advance_error_mode = forms.ChoiceField(
        label="Error rate at most",
        choices=ERROR_MODE_CHOICES,
        widget=forms.RadioSelect,
        help_text="Default: the human baseline error rate of the same snapshot.",
    )
    advance_error_max = FormPercentField(
        label="Fixed error rate",
        required=False,
        help_text="Used only when the error threshold is a fixed rate.",
    )
    alert_error_rate_max = FormPercentField(
        label="Error rate above",
        help_text="Default 10%.",
    )
    alert_escalation_max = FormPercentField(
        label="Escalation frequency above",
        help_text="Default 30%.",
    )
    alert_completion_min = FormPercentField(
        label="Task completion rate below",
        help_text="Default 50%.",
    )
    alert_failed_tool_calls_max = FormPercentField(
        label="Failed tool calls above",
        help_text="Default 5% of tasks; checked when a snapshot carries failed tool calls.",
    )
    alert_policy_violations_max = forms.IntegerField(
        label="Policy violations above",
        widget=forms.NumberInput(attrs={"min": 0, "max": 1000}),
        error_messages={"invalid": "Enter a whole number from 0 to 1000."},
        help_text="Default 0: any violation suspends the agent.",
    )
    alert_quality_min = forms.FloatField(
        label="Quality score below (0 to 1)",
        error_messages={"invalid": "Enter a score from 0 to 1, e.g. 0.7."},
        widget=forms.NumberInput(attrs={"step": "any", "min": 0, "max": 1}),
        help_text="Default 0.7; checked when a snapshot carries a quality score.",
    )
    alert_unregistered_tool_use = forms.BooleanField(
        label="Unregistered tool use",
        required=False,
        help_text="Default on: suspend when the runtime's traces show a tool the agent holds no "
        "permission for.",
    )
    alert_error_rate_on = forms.BooleanField(
        label="Alert on the error rate", required=False, help_text="Default on."
    )
    alert_escalation_on = forms.BooleanField(
        label="Alert on the escalation frequency", required=False, help_text="Default on."
    )
    alert_completion_on = forms.BooleanField(
        label="Alert on the task completion rate", required=False, help_text="Default on."
    )
    alert_quality_on = forms.BooleanField(
        label="Alert on the quality score",
        required=False,
        help_text="Default on. Phase 4's quality threshold needs it on.",
    )
    auto_suspend = forms.BooleanField(
        label="Suspend the agent automatically when an alert threshold is crossed",
        required=False,
        help_text="Default on. Off, a crossed threshold is recorded but the agent keeps "
        "running; phase 4's item “Thresholds suspend the agent automatically” is then unmet.",
    )
    budget_alert_percent = forms.IntegerField(
        label="Warn at this share of the monthly budget",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 100}),
        error_messages={"invalid": "Enter a whole percentage from 1 to 100, or leave it empty."},
        help_text="Default 80%. Empty switches the budget alert off, and phase 3's item "
        "“Budget limit with usage alerts” is then unmet.",
    )
    stabilization_weeks = forms.IntegerField(
        label="Stabilization lasts at least (weeks)",
        widget=forms.NumberInput(attrs={"min": 0, "max": 1000}),
        error_messages={"invalid": "Enter a whole number of weeks from 0 to 1000."},
        help_text=f"Default {USUAL_WEEKS}, counted from phase 4's go. Fewer than {USUAL_WEEKS} "
        "needs a confirmation and a reason, and is flagged on the gate board and in the board "
        "pack.",
    )
    stabilization_confirm = forms.BooleanField(
        label=f"I confirm a stabilization shorter than {USUAL_WEEKS} weeks",
        required=False,
    )
    stabilization_reason = TextField(
        label="Why a shorter stabilization",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required below the usual minimum: why this agent may leave stabilization "
        "sooner. Recorded in the audit log with your name.",
    )

    # Every fraction of the thresholds but the quality score, which stays a 0–1 score.
    PERCENT_FIELDS = tuple(f for f in THRESHOLD_FRACTIONS if f != "alert_quality_min")

    def __init__(self, *args, thresholds: metrics.Thresholds, read_only=False, **kwargs):
        initial = {
            name: getattr(thresholds, name)
            for name in (
                "advance_error_mode",
                "alert_policy_violations_max",
                "alert_quality_min",
                "alert_unregistered_tool_use",
                *THRESHOLD_SWITCHES,
                "budget_alert_percent",
                "stabilization_weeks",
            )
        }
        initial.update(
            {name: as_percent(getattr(thresholds, name)) for name in self.PERCENT_FIELDS}
        )
        super().__init__(*args, initial=initial, **kwargs)
        self.read_only = read_only
        if read_only:
            for field in self.fields.values():
                field.disabled = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        pct = lambda name: AppendedText(name, "%")  # noqa: E731
        self.helper.layout = Layout(
            HTML(
                '<fieldset class="mb-3"><legend class="fs-5">Advance thresholds</legend>'
                '<p class="small text-muted">A horizon advance needs all three on the latest '
                "snapshot (and an approver's decision).</p>"
            ),
            Div(
                Div(pct("advance_completion_min"), css_class="col-md-6"),
                Div(pct("advance_escalation_max"), css_class="col-md-6"),
                css_class="row",
            ),
            Div(
                Div("advance_error_mode", css_class="col-md-6"),
                Div(pct("advance_error_max"), css_class="col-md-6"),
                css_class="row",
            ),
            HTML(
                '</fieldset><fieldset class="mb-3"><legend class="fs-5">Alert thresholds</legend>'
                '<p class="small text-muted">A snapshot that crosses any of these suspends the '
                "agent at once, through the kill switch, and emails the operators.</p>"
            ),
            Div(
                Div(pct("alert_completion_min"), css_class="col-md-4"),
                Div(pct("alert_escalation_max"), css_class="col-md-4"),
                Div(pct("alert_error_rate_max"), css_class="col-md-4"),
                css_class="row",
            ),
            Div(
                Div(pct("alert_failed_tool_calls_max"), css_class="col-md-4"),
                Div("alert_policy_violations_max", css_class="col-md-4"),
                Div("alert_quality_min", css_class="col-md-4"),
                css_class="row",
            ),
            Div(Div("alert_unregistered_tool_use", css_class="col-md-12"), css_class="row"),
            HTML(
                '<p class="small text-muted mb-1 mt-2">Switching an alert or the automatic '
                "suspension off is recorded in the audit log, and unmeets phase 4's checklist "
                "item that reads it.</p>"
            ),
            Div(
                Div("alert_error_rate_on", css_class="col-md-6"),
                Div("alert_escalation_on", css_class="col-md-6"),
                Div("alert_completion_on", css_class="col-md-6"),
                Div("alert_quality_on", css_class="col-md-6"),
                Div("auto_suspend", css_class="col-md-12"),
                css_class="row",
            ),
            HTML('</fieldset><fieldset class="mb-3"><legend class="fs-5">Budget alert</legend>'),
            Div(Div(pct("budget_alert_percent"), css_class="col-md-6"), css_class="row"),
            HTML('</fieldset><fieldset class="mb-3"><legend class="fs-5">Stabilization</legend>'),
            Div(
                Div("stabilization_weeks", css_class="col-md-4"),
                Div("stabilization_confirm", REASON, css_class="col-md-8"),
                css_class="row",
            ),
            HTML("</fieldset>"),
        )

    def clean(self):
        data = super().clean()
        if data.get("advance_error_mode") == "fixed" and data.get("advance_error_max") is None:
            self.add_error(
                "advance_error_max",
                "Give the fixed error rate (a percentage) when the error threshold is fixed.",
            )
        if self._short_stabilization_set(data):
            if not data.get("stabilization_confirm"):
                self.add_error(
                    "stabilization_confirm",
                    f"Confirm a stabilization shorter than {USUAL_WEEKS} weeks, or set "
                    f"{USUAL_WEEKS} or more.",
                )
            if not data.get(REASON, "").strip():
                self.add_error(
                    REASON,
                    f"Write why {data['stabilization_weeks']} weeks of stabilization are enough "
                    "for this agent.",
                )
        return data

    def _short_stabilization_set(self, data) -> bool:
        """Whether the admin sets (or re-explains) a minimum below the usual one."""
        weeks = data.get("stabilization_weeks")
        changed = {"stabilization_weeks", REASON} & set(self.changed_data)
        return weeks is not None and weeks < USUAL_WEEKS and bool(changed)

    def service_data(self) -> dict:
        """Only what the admin changed, as the service takes it (fractions, ints, the mode),
        so a value shown rounded is never written back. The reason goes with a short minimum
        being set; the confirmation stays here."""
        data = {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name not in ("stabilization_confirm", REASON)
        }
        if self._short_stabilization_set(self.cleaned_data):
            data[REASON] = self.cleaned_data[REASON].strip()
        return data

    def service_error_message(self, key: str, message: str) -> str:
        """The service speaks of fractions and bounds; this form of percentages, in the
        field's own words."""
        if key in self.PERCENT_FIELDS:
            return "Enter a percentage from 0 to 100."
        return FORM_MESSAGES.get(key, message)
