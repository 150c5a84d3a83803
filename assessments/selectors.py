"""Reads of frameworks and assessments, always scoped to an organization."""

from django.db import transaction
from django.db.models import Prefetch
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


def framework_default() -> Framework:
    """The default framework with its dimensions and criteria (loaded on first use if the
    table was emptied, as a flushed test database is)."""
    framework = _with_structure(Framework.objects.filter(is_default=True)).first()
    if framework is None:
        with transaction.atomic():
            load_framework(Framework, Dimension, Criterion, read_definition())
        framework = _with_structure(Framework.objects.filter(is_default=True)).get()
    return framework


def _attach_frameworks(assessments: list[Assessment]) -> list[Assessment]:
    """Give every assessment one shared, fully loaded Framework instance per version."""
    ids = {a.framework_id for a in assessments}
    frameworks = {f.pk: f for f in _with_structure(Framework.objects.filter(pk__in=ids))}
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


def assessment_page(*, organization, offset: int, limit: int) -> tuple[list[Assessment], int]:
    qs = _base(organization).order_by("-created_at", "-id")
    return _attach_frameworks(list(qs[offset : offset + limit])), qs.count()


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


def assessment_trend(*, organization, limit: int = 12) -> list[Assessment]:
    """Submitted assessments, oldest first, for the trend chart (the latest `limit`)."""
    qs = (
        _base(organization)
        .filter(status=Assessment.Status.SUBMITTED)
        .order_by("-submitted_at", "-id")
    )
    return list(reversed(_attach_frameworks(list(qs[:limit]))))
