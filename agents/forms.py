"""Forms of the agent registry: registering an agent and editing its records (as formsets), a
risk assessment and a permission review.

Forms only decode what the browser sends (text, numbers, dates, ticks) into the plain data the
services take; the bounds and the words of each refusal are agents/inputs.py's, checked once by
the service (docs/adr/0009-validate-once.md), whose InvalidInput errors are shown beside the
fields they name. The browser is told the bounds (`maxlength`, `min`, `max`), a hint only.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms

from core.forms import ServiceErrorsMixin, TextField, hinted

from . import inputs
from .models import DecisionBoundary, RiskAssessment, ToolPermission

BLANK = [("", "—")]


def member_choices(members) -> list[tuple[str, str]]:
    return [(m.user.get_username(), m.user.get_username()) for m in members]


class MemberChoiceField(forms.ChoiceField):
    """A member of the organization, by username (what the services take)."""

    def __init__(self, *, members, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": "Choose a member of this organization: "
                "%(value)s is not one of them.",
                "required": "Choose a member of this organization.",
            },
        )
        super().__init__(choices=BLANK + member_choices(members), **kwargs)


class AgentForm(ServiceErrorsMixin, forms.Form):
    """What registering an agent asks: name, purpose, business unit, named owner."""

    name = hinted(
        TextField(help_text="Unique in your organization, e.g. “Invoice triage agent”."),
        maxlength=inputs.NAME_MAX,
    )
    purpose = TextField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the agent does and for whom, in a sentence or two.",
    )
    business_unit = hinted(
        TextField(
            required=False, help_text="The business unit it serves; the gate board filters by it."
        ),
        maxlength=inputs.BUSINESS_UNIT_MAX,
    )

    def __init__(self, *args, members, business_units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(
            members=members,
            help_text="The named human accountable for the agent's decision boundary. The owner "
            "may not decide the agent's gates (separation of duties).",
        )
        self.fields["business_unit"].widget.attrs["list"] = "business-units"
        self.business_units = list(business_units)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("name", autofocus=True), "purpose", "business_unit", "owner"
        )

    def service_data(self) -> dict:
        return {
            key: self.cleaned_data[key] for key in ("name", "purpose", "business_unit", "owner")
        }


GUARDRAIL_HELP = {
    "api_calls_per_hour": "Hard limit on API call volume.",
    "tokens_per_session": "Token spend limit per session.",
    "sequential_actions_before_confirmation": "How many actions in a row before a human "
    "must confirm.",
    "monthly_budget": "Budget limit; usage alerts fire against it.",
}


class AgentEditForm(AgentForm):
    """The basic fields and the guardrail limits, with the version the page was opened on."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    api_calls_per_hour = hinted(
        forms.IntegerField(
            label="API calls per hour",
            required=False,
            help_text=GUARDRAIL_HELP["api_calls_per_hour"],
        ),
        min=0,
        max=inputs.LIMIT_MAX,
    )
    tokens_per_session = hinted(
        forms.IntegerField(
            label="Tokens per session",
            required=False,
            help_text=GUARDRAIL_HELP["tokens_per_session"],
        ),
        min=0,
        max=inputs.LIMIT_MAX,
    )
    sequential_actions_before_confirmation = hinted(
        forms.IntegerField(
            label="Sequential actions before human confirmation",
            required=False,
            help_text=GUARDRAIL_HELP["sequential_actions_before_confirmation"],
        ),
        min=0,
        max=inputs.LIMIT_MAX,
    )
    monthly_budget = hinted(
        forms.DecimalField(
            label="Monthly budget", required=False, help_text=GUARDRAIL_HELP["monthly_budget"]
        ),
        min=0,
        step="0.01",
    )

    GUARDRAILS = tuple(GUARDRAIL_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout("version", "name", "purpose", "business_unit", "owner")
        self.guardrail_helper = FormHelper()
        self.guardrail_helper.form_tag = False
        self.guardrail_helper.disable_csrf = True
        self.guardrail_helper.layout = Layout(
            Div(
                *(Div(name, css_class="col-md-6") for name in self.GUARDRAILS),
                css_class="row",
            )
        )

    @classmethod
    def initial_for(cls, agent) -> dict:
        return {
            "version": agent.version,
            "name": agent.name,
            "purpose": agent.purpose,
            "business_unit": agent.business_unit,
            "owner": agent.owner.get_username(),
            **{key: getattr(agent, key) for key in cls.GUARDRAILS},
        }

    def service_data(self) -> dict:
        data = super().service_data()
        guardrails = {key: self.cleaned_data.get(key) for key in self.GUARDRAILS}
        if guardrails["monthly_budget"] is not None:
            guardrails["monthly_budget"] = float(guardrails["monthly_budget"])
        data["guardrails"] = guardrails
        return data

    def service_error_field(self, key: str) -> str | None:
        """ "guardrails.monthly_budget" goes beside the monthly budget field."""
        return super().service_error_field(key.removeprefix("guardrails."))


class DecisionBoundaryForm(forms.Form):
    decision = TextField(
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. Refund up to €50", "maxlength": inputs.DECISION_MAX}
        )
    )
    mode = forms.ChoiceField(label="The agent", choices=BLANK + DecisionBoundary.Mode.choices)


class EscalationPathForm(forms.Form):
    failure_state = TextField(
        widget=forms.TextInput(
            attrs={
                "placeholder": "e.g. Customer disputes the refund",
                "maxlength": inputs.FAILURE_STATE_MAX,
            }
        ),
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(members=members, label="Escalation owner")


class ToolPermissionForm(forms.Form):
    tool = TextField(
        widget=forms.TextInput(attrs={"placeholder": "e.g. CRM API", "maxlength": inputs.TOOL_MAX})
    )
    access = forms.ChoiceField(choices=BLANK + ToolPermission.Access.choices)
    justification = TextField(
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Why it needs this access"}),
    )
    last_used = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_reviewed = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


EXTRA_ROWS = 2


DecisionBoundaryFormSet = forms.formset_factory(
    DecisionBoundaryForm, extra=EXTRA_ROWS, can_delete=True
)


EscalationPathFormSet = forms.formset_factory(EscalationPathForm, extra=EXTRA_ROWS, can_delete=True)


ToolPermissionFormSet = forms.formset_factory(ToolPermissionForm, extra=EXTRA_ROWS, can_delete=True)


def _rows(formset, fields) -> tuple[list[dict], list[int]]:
    """The rows a formset keeps (not deleted, not an untouched empty row) as plain dicts, and
    each row's form index (to put a service error back beside the right field)."""
    rows, indexes = [], []
    for index, form in enumerate(formset.forms):
        if formset.can_delete and formset._should_delete_form(form):
            continue
        is_extra = index >= formset.initial_form_count()
        if is_extra and not form.has_changed():
            continue
        rows.append({key: form.cleaned_data.get(key) for key in fields})
        indexes.append(index)
    return rows, indexes


class AgentRecordsForms:
    """The edit page's forms as one: the basic fields and guardrails, and a formset per record
    list (decision boundaries, escalation paths, tool permissions). Lists are sent whole."""

    LISTS = {
        "decision_boundaries": ("boundaries", ("decision", "mode")),
        "escalation_paths": ("escalations", ("failure_state", "owner")),
        "tool_permissions": (
            "tools",
            ("tool", "access", "justification", "last_used", "last_reviewed"),
        ),
    }

    def __init__(self, data=None, *, agent, members, business_units=()):
        self.form = AgentEditForm(
            data,
            initial=AgentEditForm.initial_for(agent),
            members=members,
            business_units=business_units,
        )
        self.boundaries = DecisionBoundaryFormSet(
            data,
            prefix="boundaries",
            initial=[
                {"decision": b.decision, "mode": b.mode} for b in agent.decision_boundaries.all()
            ],
        )
        self.escalations = EscalationPathFormSet(
            data,
            prefix="escalations",
            form_kwargs={"members": members},
            initial=[
                {"failure_state": p.failure_state, "owner": p.owner.get_username()}
                for p in agent.escalation_paths.all()
            ],
        )
        self.tools = ToolPermissionFormSet(
            data,
            prefix="tools",
            initial=[
                {
                    "tool": t.tool,
                    "access": t.access,
                    "justification": t.justification,
                    "last_used": t.last_used,
                    "last_reviewed": t.last_reviewed,
                }
                for t in agent.tool_permissions.all()
            ],
        )
        self._indexes: dict[str, list[int]] = {}
        for formset in self.formsets.values():
            for number, form in enumerate(formset.forms, start=1):
                for name, field in form.fields.items():
                    label = form[name].label
                    field.widget.attrs.setdefault("aria-label", f"{label}, row {number}")
                    if isinstance(field.widget, forms.Select):
                        field.widget.attrs.setdefault("class", "form-select form-select-sm")
                    elif not isinstance(field.widget, forms.CheckboxInput):
                        field.widget.attrs.setdefault("class", "form-control form-control-sm")

    @property
    def formsets(self) -> dict:
        return {key: getattr(self, attr) for key, (attr, _) in self.LISTS.items()}

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        self._mark_invalid()
        return valid

    def _mark_invalid(self) -> None:
        """Bootstrap's red outline on each formset field with an error."""
        for formset in self.formsets.values():
            for form in formset.forms:
                for name in form.errors:
                    if name in form.fields:
                        widget = form.fields[name].widget
                        css = widget.attrs.get("class", "")
                        if "is-invalid" not in css:
                            widget.attrs["class"] = f"{css} is-invalid".strip()

    @property
    def version(self) -> int:
        return self.form.cleaned_data["version"]

    def service_data(self) -> dict:
        data = self.form.service_data()
        for key, (attr, fields) in self.LISTS.items():
            data[key], self._indexes[key] = _rows(getattr(self, attr), fields)
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Errors named like "tool_permissions.0.tool" go beside that row's field."""
        main = {}
        for key, messages in errors.items():
            head, _, rest = key.partition(".")
            if head in self.LISTS and rest:
                position, _, field = rest.partition(".")
                formset = getattr(self, self.LISTS[head][0])
                try:
                    form = formset.forms[self._indexes[head][int(position)]]
                except (KeyError, IndexError, ValueError):
                    main[key] = messages
                    continue
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            else:
                main[key] = messages
        self.form.add_service_errors(main)
        self._mark_invalid()

    @property
    def errors(self) -> bool:
        return bool(
            self.form.errors or any(f.errors or f.non_form_errors() for f in self.formsets.values())
        )


class RiskAssessmentForm(ServiceErrorsMixin, forms.Form):
    scope = forms.ChoiceField(
        label="It covers",
        choices=RiskAssessment.Scope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose tool or decision."},
    )
    subject = TextField(
        label="Tool or decision",
        max_length=300,
        error_messages={"required": "Name the tool or decision scope it covers."},
        help_text="Its exact name, as it will appear in the agent's tool permissions or "
        "decision boundaries (compared without case).",
    )
    assessment = TextField(
        label="Assessment",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write the assessment."},
        help_text="The risks, their likelihood and impact, and what limits them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class PermissionReviewForm(ServiceErrorsMixin, forms.Form):
    """Revoke, or mark reviewed with a note (the service requires the note, so that a missing
    one is the same 400 from every caller); `confirm` marks the confirm page's button."""

    ACTIONS = [("revoke", "Revoke"), ("mark_reviewed", "Mark reviewed")]

    action = forms.ChoiceField(choices=ACTIONS)
    next = TextField(required=False, max_length=500)
    note = TextField(
        required=False,
        max_length=1000,
        label="Why it is still needed",
        help_text="A sentence for the audit log, e.g. “refunds still go through payments”.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.CharField(required=False, widget=forms.HiddenInput)
