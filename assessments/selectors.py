"""Reads of frameworks and assessments, always scoped to an organization."""

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404

from .framework_data import load_framework, read_definition
from .models import Assessment, Criterion, Dimension, Framework


def _with_structure(queryset):
    return queryset.prefetch_related(
        Prefetch(
            "dimensions",
            queryset=Dimension.objects.order_by("position").prefetch_related(
                Prefetch("criteria", queryset=Criterion.objects.order_by("position"))
            ),
        )
    )


def framework_in_use(*, framework: Framework) -> bool:
    """Whether any assessment is pinned to this framework version (then it is read-only)."""
    return Assessment.objects.filter(framework=framework).exists()


def framework_default() -> Framework:
    """The default framework with its dimensions and criteria (loaded on first use if the
    table was emptied, as a flushed test database is)."""
    framework = _with_structure(Framework.objects.filter(is_default=True)).first()
    if framework is None:
        with transaction.atomic():
            load_framework(Framework, Dimension, Criterion, read_definition())
        framework = _with_structure(Framework.objects.filter(is_default=True)).get()
    return framework


def _attach_frameworks(assessments: list[Assessment], known=()) -> list[Assessment]:
    """Give every assessment one shared, fully loaded Framework instance per version; the
    `known` frameworks (already loaded) are reused rather than read again (three queries
    each)."""
    frameworks = {f.pk: f for f in known}
    ids = {a.framework_id for a in assessments} - set(frameworks)
    if ids:
        loaded = _with_structure(Framework.objects.filter(pk__in=ids))
        frameworks.update((f.pk, f) for f in loaded)
    for assessment in assessments:
        assessment.framework = frameworks[assessment.framework_id]
    return assessments


def _base(organization):
    return (
        Assessment.objects.filter(organization=organization)
        .select_related("created_by", "submitted_by")
        .prefetch_related("scores")
    )


def assessment_list(*, organization, status: str | None = None) -> list[Assessment]:
    qs = _base(organization)
    if status:
        qs = qs.filter(status=status)
    return _attach_frameworks(list(qs.order_by("-created_at", "-id")))


def assessment_slice(*, organization, offset: int, limit: int) -> list[Assessment]:
    """The organization's assessments from `offset`, newest first, with their scores and
    frameworks (no count: a paginator counts once, before it asks for its page)."""
    qs = _base(organization).order_by("-created_at", "-id")
    return _attach_frameworks(list(qs[offset : offset + limit]))


def assessment_rows(*, organization, offset: int, limit: int, frameworks=()) -> list[Assessment]:
    """The organization's assessments from `offset`, newest first, as a list shows them: a
    submitted assessment's total and verdict are stored, so only the drafts' scores are read
    (their progress and total so far). Reading every score of every row was most of the
    list's time. A submitted row's `score_map` would query: use `assessment_slice` for that.
    The `frameworks` a page already loaded are reused."""
    qs = (
        Assessment.objects.filter(organization=organization)
        .select_related("created_by", "submitted_by")
        .order_by("-created_at", "-id")
    )
    rows = _attach_frameworks(list(qs[offset : offset + limit]), known=frameworks)
    prefetch_related_objects([a for a in rows if a.is_draft], "scores")
    return rows


def assessment_count(*, organization) -> int:
    return Assessment.objects.filter(organization=organization).count()


def assessment_page(*, organization, offset: int, limit: int) -> tuple[list[Assessment], int]:
    rows = assessment_slice(organization=organization, offset=offset, limit=limit)
    return rows, assessment_count(organization=organization)


def assessment_get(*, organization, pk) -> Assessment:
    """One assessment of this organization; anything else (another tenant's, unknown, not a
    number) is a 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such assessment.") from None
    assessment = _base(organization).filter(pk=pk).first()
    if assessment is None:
        raise Http404("No such assessment.")
    return _attach_frameworks([assessment])[0]


def assessment_latest_submitted(*, organization) -> Assessment | None:
    assessment = (
        _base(organization)
        .filter(status=Assessment.Status.SUBMITTED)
        .order_by("-submitted_at", "-id")
        .first()
    )
    return _attach_frameworks([assessment])[0] if assessment else None


def assessment_latest_verdict(*, organization) -> Assessment | None:
    """The latest submitted assessment as a readiness fact (title, verdict, total, when it
    was submitted), in one query: no scores, no framework. What a gate's phase 4 and My work
    judge by; `assessment_latest_submitted` reads four queries more for its scores."""
    return (
        Assessment.objects.filter(organization=organization, status=Assessment.Status.SUBMITTED)
        .only("organization_id", "title", "status", "verdict", "total", "submitted_at")
        .order_by("-submitted_at", "-id")
        .first()
    )


def assessment_trend(*, organization, limit: int = 12, frameworks=()) -> list[Assessment]:
    """Submitted assessments, oldest first, for the trend chart (the latest `limit`); the
    `frameworks` a page already loaded are reused."""
    qs = (
        _base(organization)
        .filter(status=Assessment.Status.SUBMITTED)
        .order_by("-submitted_at", "-id")
    )
    return list(reversed(_attach_frameworks(list(qs[:limit]), known=frameworks)))
