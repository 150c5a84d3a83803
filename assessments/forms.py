"""Forms of the assessment pages: a new assessment, and one step (dimension) of scores."""

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, LayoutObject
from django import forms
from django.template.loader import render_to_string
from django.utils.formats import date_format

from core.forms import ServiceErrorsMixin, TextField, hinted

from . import inputs, scoring

SCORE_CHOICES = [(str(v), str(v)) for v in range(scoring.MIN_SCORE, scoring.MAX_SCORE + 1)]


class _RadioSelectWithDisabled(forms.RadioSelect):
    """A radio list whose options named in `disabled_values` cannot be chosen."""

    def __init__(self, *args, disabled_values=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = set(disabled_values)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class NewAssessmentForm(ServiceErrorsMixin, forms.Form):
    BLANK = "blank"
    COPY = "copy"

    title = hinted(
        TextField(help_text="A name your board will recognise, for example “Q3 readiness review”."),
        maxlength=inputs.TITLE_MAX,
    )
    start = forms.ChoiceField(
        label="How to start",
        choices=[(BLANK, "Start blank"), (COPY, "Start from my last submitted assessment")],
        initial=BLANK,
        widget=_RadioSelectWithDisabled,
    )

    # Service error keys that belong to a field of this form.
    ERROR_FIELDS = {"title": "title", "copy_from_last": "start"}

    def __init__(self, *args, last_submitted=None, **kwargs):
        super().__init__(*args, **kwargs)
        start = self.fields["start"]
        if last_submitted is None:
            start.widget.disabled_values = {self.COPY}
            start.help_text = (
                "Nothing to copy yet: no assessment has been submitted in this organization, "
                "so this one starts blank."
            )
        else:
            when = date_format(last_submitted.submitted_at, "j M Y")
            count = len(last_submitted.framework.shape.criterion_keys)
            start.choices = [
                (self.BLANK, "Start blank: every criterion unscored"),
                (
                    self.COPY,
                    f"Start from my last submitted assessment (“{last_submitted.title}”, "
                    f"submitted {when}): its {count} scores are filled in, change what has changed",
                ),
            ]
            start.help_text = "Copying saves time: you only change the scores that moved."
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field("title", autofocus=True), "start")

    @property
    def copy_from_last(self) -> bool:
        return self.cleaned_data.get("start") == self.COPY


class Rubric(LayoutObject):
    """The rubric for levels 1, 3 and 5 of one criterion, shown beside its radio buttons."""

    template = "assessments/includes/rubric.html"

    def __init__(self, criterion):
        self.criterion = criterion
        self.fields = []

    def render(self, form, context, template_pack=None, **kwargs):
        return render_to_string(self.template, {"criterion": self.criterion})


class StepScoresForm(ServiceErrorsMixin, forms.Form):
    """The three criteria of one dimension, each a choice 1-5 (unscored stays unscored), and
    the version of the assessment the form was opened on. The form only decodes its radios to
    whole numbers; the scores and the version are checked by the service
    (assessments.inputs.ScoresChange), whose errors go beside the criterion they name."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, dimension, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = dimension.ordered_criteria
        for criterion in self.criteria:
            self.fields[criterion.key] = forms.TypedChoiceField(
                label=criterion.name,
                choices=SCORE_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                disabled=read_only,
                widget=forms.RadioSelect,
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "version",
            *(
                Div(
                    Div(
                        InlineRadios(c.key, template="assessments/includes/score_radios.html"),
                        css_class="col-md-5",
                    ),
                    Div(Rubric(c), css_class="col-md-7"),
                    css_class="row criterion g-3 py-3 border-bottom",
                    css_id=f"criterion-{c.key}",
                )
                for c in self.criteria
            ),
        )

    def service_error_field(self, key: str) -> str | None:
        """The service names a score `scores.<criterion>`: its radios, when on this step."""
        field = key.removeprefix("scores.")
        return field if field in self.fields else None

    def scores(self) -> dict[str, int]:
        """The scores chosen on this step (cleaned), unscored criteria left out."""
        return {
            c.key: self.cleaned_data[c.key]
            for c in self.criteria
            if self.cleaned_data.get(c.key) is not None
        }
