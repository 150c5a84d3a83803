"""Writes of assessments: create, score, submit. Each runs in one transaction and is audited."""

from typing import cast

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Membership
from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.errors import Conflict, ConflictReason, InvalidInput, check_version
from core.inputs import parse

from . import scoring
from .inputs import AssessmentCreate, ScoresChange, unknown_criteria
from .models import Assessment, Framework, Score
from .selectors import assessment_latest_submitted, framework_default


def _require_assessor(membership: Membership) -> None:
    permissions.may_edit_assessment(membership).require()


def _not_submitted(assessment: Assessment) -> None:
    if not assessment.is_draft:
        raise Conflict(
            "This assessment is submitted and read-only.",
            [
                ConflictReason(
                    "already_submitted",
                    f"Submitted on {assessment.submitted_at:%Y-%m-%d %H:%M} UTC; "
                    "start a new assessment (you can copy this one) to change scores.",
                )
            ],
        )


@transaction.atomic
def assessment_create(
    *,
    membership: Membership,
    title: object = None,
    copy_from_last: object = False,
    data: AssessmentCreate | None = None,
) -> Assessment:
    """Start a draft. `data` is the API's checked AssessmentCreate, or the title and the
    choice are given (by the form, a command) and checked here by the same definition."""
    _require_assessor(membership)
    given = data or parse(
        AssessmentCreate,
        {"title": title, "copy_from_last": copy_from_last},
        what="a title and copy_from_last",
    )
    title, copy_from_last = given.title, given.copy_from_last
    organization = membership.organization
    source = assessment_latest_submitted(organization=organization) if copy_from_last else None
    if copy_from_last and source is None:
        raise InvalidInput(
            {"copy_from_last": ["There is no submitted assessment to copy yet: start blank."]}
        )
    framework = source.framework if source else framework_default()
    assessment = Assessment.objects.create(
        organization=organization, framework=framework, title=title, created_by=membership.user
    )
    if source is not None:
        Score.objects.bulk_create(
            Score(assessment=assessment, criterion_id=s.criterion_id, value=s.value)
            for s in source.scores.all()
        )
    audit_record(
        organization=organization,
        actor=membership.user,
        action=Action.ASSESSMENT_CREATED,
        target=assessment,
        after={
            "title": title,
            "framework": str(framework),
            "copied_from": source.pk if source else None,
            "scores": source.score_map if source else {},
        },
    )
    return assessment


def scores_checked(framework: Framework, scores: object, version: object = None) -> ScoresChange:
    """The scores and version checked by ScoresChange against the framework's criteria (as
    stored), or InvalidInput naming every bad score at once."""
    return parse(
        ScoresChange,
        {"scores": scores, "version": version},
        what="scores",
        context={"criteria": tuple(framework.criteria_by_key)},
    )


@transaction.atomic
def assessment_set_scores(
    *,
    assessment: Assessment,
    membership: Membership,
    scores: ScoresChange | object,
    expected_version: object = None,
) -> Assessment:
    """Save some or all scores of a draft: all or nothing, refused on a stale version.
    `scores` is the API's checked ScoresChange (with its version), or the scores with the
    `expected_version`, checked here by the same model."""
    _require_assessor(membership)
    given = (
        scores
        if isinstance(scores, ScoresChange)
        else scores_checked(assessment.framework, scores, expected_version)
    )
    unknown = unknown_criteria(given.scores, assessment.framework.criteria_by_key)
    if unknown:  # a change checked without the framework's criteria
        raise InvalidInput(unknown)
    clean, expected_version = given.scores, given.version
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _not_submitted(locked)
    check_version(expected_version, locked.version, thing="assessment", theirs="their scores")
    before = _reloaded(assessment).score_map
    changed = {k: v for k, v in clean.items() if before.get(k) != v}
    by_key = assessment.framework.criteria_by_key
    for key, value in changed.items():
        Score.objects.update_or_create(
            assessment=locked, criterion=by_key[key], defaults={"value": value}
        )
    Assessment.objects.filter(pk=locked.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if changed:
        audit_record(
            organization=assessment.organization,
            actor=membership.user,
            action=Action.ASSESSMENT_SCORES_CHANGED,
            target=assessment,
            before={k: before.get(k) for k in changed},
            after=changed,
        )
    return _reloaded(assessment)


@transaction.atomic
def assessment_submit(*, assessment: Assessment, membership: Membership) -> Assessment:
    _require_assessor(membership)
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _not_submitted(locked)
    fresh = _reloaded(assessment)
    missing = scoring.missing_criteria(fresh.framework.shape, fresh.score_map)
    if missing:
        by_key = fresh.framework.criteria_by_key
        raise InvalidInput(
            {f"scores.{key}": [f"Score “{by_key[key].name}” before submitting."] for key in missing}
        )
    # Every criterion is scored (checked just above), so there is a result.
    result = cast(scoring.Result, fresh.result)
    now = timezone.now()
    Assessment.objects.filter(pk=locked.pk).update(
        status=Assessment.Status.SUBMITTED,
        submitted_at=now,
        submitted_by=membership.user,
        total=result.total,
        verdict=result.verdict,
        version=F("version") + 1,
        updated_at=now,
    )
    audit_record(
        organization=assessment.organization,
        actor=membership.user,
        action=Action.ASSESSMENT_SUBMITTED,
        target=assessment,
        before={"status": "draft"},
        after={
            "status": "submitted",
            "scores": fresh.score_map,
            "total": result.total,
            "verdict": result.verdict,
        },
    )
    return _reloaded(assessment)


def _reloaded(assessment: Assessment) -> Assessment:
    from .selectors import assessment_get

    return assessment_get(organization=assessment.organization, pk=assessment.pk)
