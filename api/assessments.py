"""/api/v1/framework and /api/v1/assessments (docs/api.md)."""

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from assessments import selectors, services
from assessments.inputs import AssessmentCreate, ScoresChange
from assessments.models import Assessment
from core import permissions

from .auth import MemberToken, member, tenant_lookup
from .schemas import ERRORS, WRITE_ERRORS, PageIn, paginate

router = Router(tags=["assessments"])
assessor = MemberToken(ask=permissions.may_edit_assessment)


@tenant_lookup("assessment_id")
def _assessment(organization, raw):
    return selectors.assessment_get(organization=organization, pk=raw)


# --- framework -------------------------------------------------------------------------------


class CriterionOut(Schema):
    key: str
    name: str
    levels: dict[str, str]


class DimensionOut(Schema):
    key: str
    name: str
    criteria: list[CriterionOut]


class FrameworkOut(Schema):
    name: str
    version: int
    dimensions: list[DimensionOut]


def framework_out(framework) -> dict:
    return {
        "name": framework.name,
        "version": framework.version,
        "dimensions": [
            {
                "key": d.key,
                "name": d.name,
                "criteria": [
                    {"key": c.key, "name": c.name, "levels": c.levels} for c in d.ordered_criteria
                ],
            }
            for d in framework.ordered_dimensions
        ],
    }


@router.get("/framework", response={200: FrameworkOut, **ERRORS}, auth=member)
def framework_get(request):
    """The framework the organization assesses against."""
    return framework_out(selectors.framework_default())


# --- assessments -----------------------------------------------------------------------------


class ScoresIn(ScoresChange):
    """assessments.inputs.ScoresChange as the PATCH's body: the criteria are those of the
    path's assessment, looked up (api.auth) before the body is read, so that an unknown one
    is named with every bad score."""

    @classmethod
    def criteria_in(cls, context: Any) -> Collection[str] | None:
        request = context.get("request") if isinstance(context, Mapping) else None
        assessment = getattr(request, "tenant_objects", {}).get("assessment_id")
        if assessment is None:
            return super().criteria_in(context)
        return tuple(assessment.framework.criteria_by_key)


class VerdictReasonOut(Schema):
    code: Literal["dimension_below_3", "total_below_14"]
    dimension: str | None
    message: str


class ChangeOut(Schema):
    criterion: str
    from_: int = Field(alias="from")
    to: int

    model_config = {"populate_by_name": True}


class ResultOut(Schema):
    dimension_scores: dict[str, int]
    total: int
    verdict: Literal["ready", "not_ready", "blocked"]
    reasons: list[VerdictReasonOut]
    to_ready: list[ChangeOut]


class FrameworkRef(Schema):
    name: str
    version: int


class AssessmentOut(Schema):
    id: str
    title: str
    status: Literal["draft", "submitted"]
    framework: FrameworkRef
    version: int
    scores: dict[str, int]
    missing: list[str]
    result: ResultOut | None
    created_by: str
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None


class AssessmentListOut(Schema):
    items: list[AssessmentOut]
    count: int


def result_out(result) -> dict | None:
    if result is None:
        return None
    return {
        "dimension_scores": result.dimension_scores,
        "total": result.total,
        "verdict": result.verdict,
        "reasons": [
            {"code": r.code, "dimension": r.dimension, "message": r.message} for r in result.reasons
        ],
        "to_ready": [
            {"criterion": c.criterion, "from": c.from_score, "to": c.to_score}
            for c in result.to_ready
        ],
    }


def assessment_out(a: Assessment) -> dict:
    scores = a.score_map
    return {
        "id": str(a.pk),
        "title": a.title,
        "status": a.status,
        "framework": {"name": a.framework.name, "version": a.framework.version},
        "version": a.version,
        "scores": scores,
        "missing": [k for k in a.framework.shape.criterion_keys if k not in scores],
        "result": result_out(a.result),
        "created_by": a.created_by.get_username(),
        "created_at": a.created_at,
        "submitted_by": a.submitted_by.get_username() if a.submitted_by else None,
        "submitted_at": a.submitted_at,
    }


@router.get("/assessments", response={200: AssessmentListOut, **ERRORS}, auth=member, by_alias=True)
def assessment_list(request, params: Query[PageIn]):
    """The organization's assessments, newest first, 50 a page."""
    offset, limit = paginate(params.page)
    items, count = selectors.assessment_page(
        organization=request.auth.organization, offset=offset, limit=limit
    )
    return {"items": [assessment_out(a) for a in items], "count": count}


@router.post(
    "/assessments", response={201: AssessmentOut, **WRITE_ERRORS}, auth=assessor, by_alias=True
)
def assessment_create(request, payload: AssessmentCreate):
    """Start a draft; with copy_from_last its scores start as the last submitted one's."""
    created = services.assessment_create(membership=request.auth, data=payload)
    fresh = selectors.assessment_get(organization=request.auth.organization, pk=created.pk)
    return Status(201, assessment_out(fresh))


@router.get(
    "/assessments/{assessment_id}",
    response={200: AssessmentOut, **ERRORS},
    auth=member,
    by_alias=True,
)
def assessment_get(request, assessment_id: str):
    return assessment_out(request.tenant_objects["assessment_id"])


@router.patch(
    "/assessments/{assessment_id}/scores",
    response={200: AssessmentOut, **WRITE_ERRORS},
    auth=assessor,
    by_alias=True,
)
def assessment_scores(request, assessment_id: str, payload: ScoresIn):
    """Set some or all scores of a draft; all or nothing. Send the `version` you read to be
    told (409) when someone saved in between."""
    updated = services.assessment_set_scores(
        assessment=request.tenant_objects["assessment_id"],
        membership=request.auth,
        scores=payload,  # checked by ninja with assessments.inputs.ScoresChange
    )
    return assessment_out(updated)


@router.post(
    "/assessments/{assessment_id}/submit",
    response={200: AssessmentOut, **WRITE_ERRORS},
    auth=assessor,
    by_alias=True,
)
def assessment_submit(request, assessment_id: str):
    """Submit a complete draft (400 naming unscored criteria; 409 if already submitted)."""
    submitted = services.assessment_submit(
        assessment=request.tenant_objects["assessment_id"], membership=request.auth
    )
    return assessment_out(submitted)
