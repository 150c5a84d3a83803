"""Forms of the kill switch: the reason for suspending or resuming, and a runtime token."""

from crispy_forms.helper import FormHelper
from django import forms

from core.forms import ServiceErrorsMixin, TextField


class ReasonForm(ServiceErrorsMixin, forms.Form):
    """The reason for suspending or resuming an agent (required, kept in the audit log)."""

    ERROR_FIELDS = {"reason": "reason"}

    reason = TextField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give a reason: it is recorded with who and when."},
    )

    def __init__(self, *args, label="Reason", help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text
        self.helper = FormHelper()
        self.helper.form_tag = False


class AgentTokenForm(forms.Form):
    name = TextField(
        max_length=100,
        initial="Runtime token",
        help_text="Where the token is used, e.g. “production runtime”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
