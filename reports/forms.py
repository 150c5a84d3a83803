"""Forms of the report pages: ask for a board report, and check a downloaded file."""

from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms

from core.forms import ServiceErrorsMixin

from .inputs import TITLE_MAX
from .snapshot import default_period

DATE_ERROR = "Enter a date as YYYY-MM-DD, for example 2025-03-31."


def _date_field(label: str, help_text: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=help_text,
        error_messages={"invalid": DATE_ERROR},
    )


class ReportRequestForm(ServiceErrorsMixin, forms.Form):
    """Title and period of a new report. The form only decodes its widgets (text to dates);
    the title's length and the period's rules (order, not in the future) are the service's
    (reports.inputs.ReportRequest, reports.services), and its errors are shown beside these
    fields. The browser is told the bounds as a hint."""

    title = forms.CharField(
        label="Title", required=False, widget=forms.TextInput(attrs={"maxlength": TITLE_MAX})
    )
    period_start = _date_field("Period start", "The first day the report covers (inclusive).")
    period_end = _date_field(
        "Period end", "The last day it covers (inclusive); the end no later than today."
    )

    # Service error keys that belong to a field of this form.
    ERROR_FIELDS = {"title": "title", "period_start": "period_start", "period_end": "period_end"}

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = default_period(today)
        self.fields["period_start"].initial = start
        self.fields["period_end"].initial = end
        for name in ("period_start", "period_end"):
            self.fields[name].widget.attrs["max"] = today.isoformat()
        default_title = f"Board report {start.isoformat()} to {end.isoformat()}"
        self.fields["title"].widget.attrs["placeholder"] = default_title
        self.fields["title"].help_text = (
            "Optional. Left empty, it is named after the period, like “" + default_title + "”."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("title"),
            Row(
                Column("period_start", css_class="col-sm-6"),
                Column("period_end", css_class="col-sm-6"),
            ),
        )


class ReportVerifyForm(forms.Form):
    """A file to compare with the report's recorded SHA-256."""

    file = forms.FileField(
        label="File to check",
        help_text="The PDF you downloaded or were sent (20 MB at most). "
        "It is compared with this report's SHA-256 and not kept.",
        error_messages={"required": "Choose the PDF file to check."},
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
