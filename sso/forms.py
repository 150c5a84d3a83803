from django import forms

from core.forms import ServiceErrorsMixin, TextField
from core.roles import ROLE_LABELS, Role

from .selectors import organization_choices

ROLE_FIELD_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]


class MappingForm(ServiceErrorsMixin, forms.Form):
    claim_value = TextField(
        max_length=200,
        label="Claim value",
        help_text="A value of the groups claim, exactly as the provider sends it (a group's "
        "name, or its id for Entra ID).",
    )
    organization = forms.ModelChoiceField(queryset=None, empty_label="Choose an organization")
    roles = forms.MultipleChoiceField(
        choices=ROLE_FIELD_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Granted at each sign-in while the claim carries the value, taken back when "
        "it no longer does.",
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organization_choices()
        if editing:
            self.fields["organization"].disabled = True
            self.fields["organization"].help_text = "A mapping keeps its organization."


class RequireSsoForm(forms.Form):
    require_sso = forms.BooleanField(
        required=False,
        label="Require single sign-on for this organization's members",
        help_text="Members then cannot sign in with a password, only with the provider's "
        "button. Superusers still can, should the provider be down.",
    )
