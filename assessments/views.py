"""Assessment pages: the list, a new assessment, the step-by-step scores with
their live result, the result page and submission.

Each view reads through one selector or writes through one service; the services decide
(roles, read-only, stale versions) and their errors become messages here.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core import permissions
from core.errors import Conflict, Forbidden, InvalidInput
from core.page_cache import cached_page
from core.permissions import by_roles
from core.tenancy import member_required, role_needed_message

from . import scoring, services
from .charts import VERDICT_LABELS, dimension_progress
from .forms import NewAssessmentForm
from .page_parts import DETAIL_PREFIX, chart_key, moment
from .selectors import (
    assessment_count,
    assessment_get,
    assessment_latest_submitted,
    assessment_rows,
    assessment_trend,
)
from .wording import way_to_ready_words

PAGE_SIZE = 20
STALE_MESSAGE = (
    "Someone else saved this assessment since you opened it: their scores are shown now; "
    "yours were not saved — re-enter them."
)


def can_edit(request) -> bool:
    return bool(permissions.may_edit_assessment(request.membership))


# --------------------------------------------------------------------------- home and list


class _AssessmentPages:
    """The organization's assessments, newest first, as a lazy sequence for Django's
    Paginator: the count is one query (read once: the paginator asks for it before the
    page), each page one selector call (prefetched)."""

    def __init__(self, organization):
        self.organization = organization
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = assessment_count(organization=self.organization)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("page through assessments with a slice")
        start = index.start or 0
        return assessment_rows(
            organization=self.organization, offset=start, limit=index.stop - start
        )


@member_required
@cached_page
def assessment_list(request):
    paginator = Paginator(_AssessmentPages(request.membership.organization), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/list.html",
        {"page": page, "rows": [_row(a) for a in page], "can_edit": can_edit(request)},
    )


def _row(assessment) -> dict:
    """What one line of the list shows (a draft's from its prefetched scores, a submitted
    one's from its stored total and verdict: no query)."""
    of = len(assessment.framework.shape.criterion_keys)
    if assessment.is_draft:
        scored = len(assessment.score_map)
        result = assessment.result
        total, verdict = (result.total, None) if result else (None, None)
    else:
        scored = of  # submitted: every criterion was scored
        total, verdict = assessment.total, assessment.verdict
    return {
        "assessment": assessment,
        "url": f"{DETAIL_PREFIX}{assessment.pk}/",  # joined, not reversed, per row
        "scored": scored,
        "of": of,
        "total": total,
        "max_total": assessment.framework.shape.max_total,
        "verdict": verdict,
        "created": moment(assessment.created_at),
        "submitted": moment(assessment.submitted_at),
    }


# --------------------------------------------------------------------------- new


@member_required(allow=by_roles(permissions.may_edit_assessment))
def assessment_new(request):
    last = assessment_latest_submitted(organization=request.membership.organization)
    form = NewAssessmentForm(request.POST or None, last_submitted=last)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_create(
                membership=request.membership,
                title=form.cleaned_data["title"],
                copy_from_last=form.copy_from_last,
            )
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        else:
            if form.copy_from_last:
                messages.success(
                    request,
                    f"Draft created from “{last.title}”: its scores are filled in. "
                    "Change what has changed; every step is saved as you go.",
                )
            else:
                messages.success(
                    request,
                    "Draft created. Score each criterion against its rubric; "
                    "every step is saved as you go.",
                )
            return redirect("assessments:step", pk=assessment.pk, step=1)
    return render(
        request,
        "assessments/new.html",
        {"form": form, "last": last},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------- steps


def live_result(assessment, scores: dict[str, int]) -> dict:
    """The live result panel: dimension scores so far, the total and, once every criterion
    is scored, the verdict, its reasons and the way to ready."""
    shape = assessment.framework.shape
    progress = dimension_progress(shape, scores)
    result = scoring.assessment_result(shape, scores)
    return {
        "progress": progress,
        "scored": len([k for k in shape.criterion_keys if k in scores]),
        "of": len(shape.criterion_keys),
        "total_so_far": sum(p.score for p in progress if p.complete),
        "complete_dimensions": sum(1 for p in progress if p.complete),
        "max_total": shape.max_total,
        "blockers": [p for p in progress if p.below_minimum],
        "result": result,
        "to_ready": _changes(assessment, result, scores),
    }


def _changes(assessment, result, scores: dict[str, int]) -> dict | None:
    """The way to ready in words (assessments.wording): per dimension it lifts, the criterion
    scores to raise (with their step, for links), then the total before and after."""
    if result is None or not result.to_ready:
        return None
    framework = assessment.framework
    step_of = {
        c.key: number
        for number, dim in enumerate(framework.ordered_dimensions, start=1)
        for c in dim.ordered_criteria
    }
    names = {key: c.name for key, c in framework.criteria_by_key.items()}
    way = way_to_ready_words(framework.shape, names, scores, result.to_ready)
    if way is None:
        return None
    return {
        "way": way,
        "lifts": [
            {
                "lift": lift,
                "raises": [{"raise": r, "step": step_of[r.key]} for r in lift.raises],
            }
            for lift in way.lifts
        ],
        "criteria": len(way.raises),
    }


def verdict_outcome(assessment) -> dict | None:
    """Verdict, total and reasons of a complete assessment, for the result panel."""
    result = assessment.result
    if result is None:
        return None
    framework = assessment.framework
    return {
        "result": result,
        "verdict": assessment.verdict or result.verdict,
        "total": assessment.total if assessment.total is not None else result.total,
        "max_total": framework.shape.max_total,
        "to_ready": _changes(assessment, result, assessment.score_map),
        "dimensions": [
            {"name": dim.name, "score": result.dimension_scores[dim.key]}
            for dim in framework.ordered_dimensions
        ],
    }


def _criteria_table(assessment) -> list[dict]:
    """Per dimension, each criterion with its score and the rubric text for that level
    (for 2 and 4, the two levels it lies between)."""
    saved = assessment.score_map
    result = assessment.result
    rows = []
    for number, dim in enumerate(assessment.framework.ordered_dimensions, start=1):
        criteria = []
        for c in dim.ordered_criteria:
            score = saved.get(c.key)
            levels = c.levels
            if score is None:
                rubric = []
            elif str(score) in levels:
                rubric = [{"level": score, "text": levels[str(score)]}]
            else:
                rubric = [
                    {"level": score - 1, "text": levels[str(score - 1)]},
                    {"level": score + 1, "text": levels[str(score + 1)]},
                ]
            criteria.append({"key": c.key, "name": c.name, "score": score, "rubric": rubric})
        rows.append(
            {
                "name": dim.name,
                "step": number,
                "score": result.dimension_scores[dim.key] if result else None,
                "criteria": criteria,
            }
        )
    return rows


def _missing(assessment) -> list[dict]:
    framework = assessment.framework
    saved = assessment.score_map
    return [
        {"key": c.key, "name": c.name, "step": number}
        for number, dim in enumerate(framework.ordered_dimensions, start=1)
        for c in dim.ordered_criteria
        if c.key not in saved
    ]


@member_required
@cached_page
def assessment_detail(request, pk):
    organization = request.membership.organization
    assessment = assessment_get(organization=organization, pk=pk)
    trend = assessment_trend(organization=organization, frameworks=[assessment.framework])
    return render(
        request,
        "assessments/detail.html",
        {
            "assessment": assessment,
            "outcome": verdict_outcome(assessment),
            "live": live_result(assessment, assessment.score_map),
            "criteria_table": _criteria_table(assessment),
            "missing": _missing(assessment) if assessment.is_draft else [],
            "trend": trend,
            "chart_key": chart_key(assessment, trend),  # the charts' fragment cache
            "can_edit": can_edit(request) and assessment.is_draft,
        },
    )


@member_required
def assessment_submit(request, pk):
    """Submitting fixes the scores for good, so a complete draft asks first: a GET, or a POST
    without `confirm`, shows the confirm page (the result page's button lands there)."""
    assessment = assessment_get(organization=request.membership.organization, pk=pk)
    if not can_edit(request):
        allow = by_roles(permissions.may_edit_assessment)
        raise PermissionDenied(role_needed_message(request.membership, allow))
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    if not confirmed and assessment.is_draft and not _missing(assessment):
        outcome = verdict_outcome(assessment)
        return render(request, "assessments/submit.html", {"assessment": assessment, **outcome})
    if request.method != "POST":
        return redirect("assessments:detail", pk=assessment.pk)
    try:
        assessment = services.assessment_submit(
            assessment=assessment, membership=request.membership
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput:
        missing = _missing(assessment)
        url = {
            m["key"]: reverse("assessments:step", args=[assessment.pk, m["step"]]) for m in missing
        }
        messages.error(
            request,
            format_html(
                "Not submitted: score every criterion first. {} still unscored: {}.",
                f"{len(missing)} criterion is"
                if len(missing) == 1
                else f"{len(missing)} criteria are",
                format_html_join(
                    ", ",
                    '<a href="{}#criterion-{}" class="alert-link">{}</a> (step {})',
                    ((url[m["key"]], m["key"], m["name"], m["step"]) for m in missing),
                ),
            ),
        )
    except Conflict as conflict:
        messages.error(request, conflict.text)
    else:
        messages.success(
            request,
            f"Submitted. Verdict: {VERDICT_LABELS[assessment.verdict]}, total "
            f"{assessment.total}/{assessment.framework.shape.max_total}. "
            "Its scores are now read-only; start a new assessment to reassess.",
        )
    return redirect("assessments:detail", pk=assessment.pk)
