"""The step-by-step scores of an assessment, with their live result, and the preview of a
step's result (split from assessments/views.py, which keeps the other assessment pages).

Each view reads through one selector or writes through one service; the services decide
(roles, read-only, stale versions) and their errors become messages here.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import Conflict, Forbidden, InvalidInput
from core.tenancy import member_required

from . import scoring, services
from .charts import dimension_progress
from .forms import StepScoresForm
from .models import Assessment
from .selectors import assessment_get
from .views import STALE_MESSAGE, can_edit, live_result


def _step_dimension(assessment, step: int):
    dimensions = assessment.framework.ordered_dimensions
    if not 1 <= step <= len(dimensions):
        raise Http404("No such step.")
    return dimensions[step - 1]


def _step_initial(assessment, dimension) -> dict:
    saved = assessment.score_map
    initial = {"version": assessment.version}
    initial.update({c.key: saved[c.key] for c in dimension.ordered_criteria if c.key in saved})
    return initial


def _step_nav(assessment, scores, current: int) -> list[dict]:
    progress = dimension_progress(assessment.framework.shape, scores)
    return [
        {
            "number": number,
            "name": p.name,
            "scored": p.scored,
            "of": p.of,
            "current": number == current,
            "url": reverse("assessments:step", args=[assessment.pk, number]),
        }
        for number, p in enumerate(progress, start=1)
    ]


def _step_page(request, assessment, step, form, *, status=200, stale=None, saved_scores=None):
    scores = assessment.score_map if saved_scores is None else saved_scores
    steps = len(assessment.framework.ordered_dimensions)
    return render(
        request,
        "assessments/step.html",
        {
            "assessment": assessment,
            "dimension": _step_dimension(assessment, step),
            "step": step,
            "steps": steps,
            "previous_step": step - 1 if step > 1 else None,
            "next_step": step + 1 if step < steps else None,
            "nav": _step_nav(assessment, scores, step),
            "form": form,
            "live": live_result(assessment, scores),
            "can_edit": can_edit(request),
            "stale": stale,
        },
        status=status,
    )


@member_required
def assessment_step(request, pk, step):
    assessment = assessment_get(organization=request.membership.organization, pk=pk)
    dimension = _step_dimension(assessment, step)
    if request.method != "POST":
        return _step_show(request, assessment, step, dimension)
    if not can_edit(request):
        raise PermissionDenied("Only an assessor may edit assessments.")
    if not assessment.is_draft:
        messages.error(
            request,
            "This assessment is submitted and read-only: nothing was saved. Start a new "
            "assessment (you can copy this one) to change scores.",
        )
        return redirect("assessments:detail", pk=assessment.pk)
    form = StepScoresForm(request.POST, dimension=dimension)
    if not form.is_valid():
        return _step_page(request, assessment, step, form, status=400)
    saved = _step_save(request, assessment, step, dimension, form)
    if not isinstance(saved, Assessment):
        return saved  # the page again with the service's refusal, or the result page
    messages.success(
        request,
        f"Saved “{dimension.name}”. " + _scored_sentence(saved),
    )
    return _step_next(request, saved, step)


def _step_show(request, assessment, step, dimension):
    """GET of a step: the form (read-only for a member who may not edit); a submitted
    assessment goes to its result page."""
    if not assessment.is_draft:
        messages.info(request, "This assessment is submitted: its scores are read-only.")
        return redirect("assessments:detail", pk=assessment.pk)
    form = StepScoresForm(
        initial=_step_initial(assessment, dimension),
        dimension=dimension,
        read_only=not can_edit(request),
    )
    return _step_page(request, assessment, step, form)


def _step_save(request, assessment, step, dimension, form):
    """Save the step's valid scores through the service: the saved assessment, or the
    response that tells why nothing was saved (field errors, a stale version, a conflict)."""
    scores = form.scores()
    saved = assessment.score_map
    # Nothing to save when every choice equals what is saved: skip the write, so that
    # paging through steps does not bump the version under a colleague's open form.
    if all(saved.get(key) == value for key, value in scores.items()):
        return assessment
    try:
        return services.assessment_set_scores(
            assessment=assessment,
            membership=request.membership,
            scores=scores,
            expected_version=form.cleaned_data["version"],
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        for key, errors in error.errors.items():
            field = key.removeprefix("scores.")
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        return _step_page(request, assessment, step, form, status=400)
    except Conflict as conflict:
        if any(r.code == "stale_version" for r in conflict.reasons):
            return _stale_step(request, assessment, step, dimension, scores)
        messages.error(request, conflict.text)
        return redirect("assessments:detail", pk=assessment.pk)


def _step_next(request, assessment, step):
    """Where a saved step goes: "Back" one step back; anything else on, and after the last
    step to the result page to review."""
    if request.POST.get("go") == "back":
        return redirect("assessments:step", pk=assessment.pk, step=max(step - 1, 1))
    if step < len(assessment.framework.ordered_dimensions):
        return redirect("assessments:step", pk=assessment.pk, step=step + 1)
    return redirect("assessments:detail", pk=assessment.pk)


def _stale_step(request, assessment, step, dimension, yours: dict[str, int]):
    """Someone saved since this form was opened: show their scores, list the choices of
    this member that were not saved, and let them re-enter them (nothing is lost)."""
    fresh = assessment_get(organization=assessment.organization, pk=assessment.pk)
    theirs = fresh.score_map
    lost = [
        {"criterion": c.name, "yours": yours[c.key], "theirs": theirs.get(c.key)}
        for c in dimension.ordered_criteria
        if c.key in yours and yours[c.key] != theirs.get(c.key)
    ]
    form = StepScoresForm(initial=_step_initial(fresh, dimension), dimension=dimension)
    return _step_page(
        request, fresh, step, form, status=409, stale={"message": STALE_MESSAGE, "lost": lost}
    )


def _scored_sentence(assessment) -> str:
    scored = len(assessment.score_map)
    of = len(assessment.framework.shape.criterion_keys)
    if scored == of:
        return f"All {of} criteria are scored: review the result and submit when ready."
    return f"{scored} of {of} criteria scored so far."


@member_required
@require_POST
def assessment_preview(request, pk):
    """The live result from saved scores merged with the form's unsaved choices (htmx).
    Saves nothing."""
    assessment = assessment_get(organization=request.membership.organization, pk=pk)
    saved = assessment.score_map
    merged = dict(saved)
    if assessment.is_draft:
        for key in assessment.framework.criteria_by_key:
            value = request.POST.get(key, "")
            if value.isdigit() and scoring.MIN_SCORE <= int(value) <= scoring.MAX_SCORE:
                merged[key] = int(value)
    return render(
        request,
        "assessments/step.html#result_panel",
        {
            "assessment": assessment,
            "live": live_result(assessment, merged),
            "unsaved": merged != saved,
        },
    )


# --------------------------------------------------------------------------- result
