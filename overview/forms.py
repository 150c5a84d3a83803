"""Forms of the pages that join the rooms: the gate board's filters."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms

from agents.forms import member_choices
from gates.models import Gate


class BoardFilterForm(forms.Form):
    """The gate board's filters (a GET form: it works without JavaScript)."""

    SUSPENDED_CHOICES = [("", "Any"), ("yes", "Suspended"), ("no", "Active")]
    ORDERS = ("name", "-name", "business_unit", "owner", "phase", "-phase")

    business_unit = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(required=False)
    state = forms.ChoiceField(
        label="Any gate",
        required=False,
        choices=[("", "In any state"), *Gate.State.choices],
    )
    suspended = forms.ChoiceField(label="Kill switch", required=False, choices=SUSPENDED_CHOICES)
    order = forms.ChoiceField(
        required=False, choices=[(o, o) for o in ORDERS], widget=forms.HiddenInput
    )

    def __init__(self, *args, members, business_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].choices = [("", "Any"), *((u, u) for u in business_units)]
        self.fields["owner"].choices = [("", "Anyone"), *member_choices(members)]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Div(
                Div(
                    Field("business_unit", css_class="form-select-sm"), css_class="col-sm-6 col-lg"
                ),
                Div(Field("owner", css_class="form-select-sm"), css_class="col-sm-6 col-lg"),
                Div(Field("state", css_class="form-select-sm"), css_class="col-sm-6 col-lg"),
                Div(Field("suspended", css_class="form-select-sm"), css_class="col-sm-6 col-lg"),
                "order",
                css_class="row g-2",
            )
        )

    def filters(self) -> dict[str, str]:
        """The valid filters; an unknown value is ignored rather than refused."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "business_unit": data.get("business_unit", ""),
            "owner": data.get("owner", ""),
            "state": data.get("state", ""),
            "suspended": data.get("suspended", ""),
            "order": data.get("order") or "name",
        }

    @property
    def is_filtered(self) -> bool:
        filters = self.filters()
        return any(filters[k] for k in ("business_unit", "owner", "state", "suspended"))
