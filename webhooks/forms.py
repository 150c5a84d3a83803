"""The form that registers a webhook endpoint (the service checks it again: docs/webhooks.md)."""

from crispy_forms.helper import FormHelper
from django import forms

from core.forms import ServiceErrorsMixin, TextField

from . import rules


class EndpointForm(ServiceErrorsMixin, forms.Form):
    url = TextField(
        label="URL",
        max_length=rules.MAX_URL_LENGTH,
        help_text="An https address that accepts POST requests, e.g. your gateway's webhook "
        "receiver or a Slack incoming-webhook URL.",
        error_messages={"required": "Give the endpoint's URL."},
    )
    events = forms.MultipleChoiceField(
        choices=[(key, f"{key}: {text}") for key, text in rules.EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    format = forms.ChoiceField(
        choices=[
            ("standard", "Standard Webhooks: signed JSON {type, timestamp, data}"),
            ("slack", 'Slack: {"text": …} for an incoming webhook'),
        ],
        initial="standard",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
