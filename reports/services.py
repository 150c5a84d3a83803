"""Request, render and verify board reports (docs/rules.md §5).

The request freezes a snapshot in its own transaction and queues the worker on commit; the
worker renders only from the snapshot, stores the PDF through Django's storage API and
records its SHA-256. A report that is done is never rendered again; a failed one may be
retried from the same snapshot. A report that no worker finishes within REPORT_STALE_MINUTES
(a worker that is missing, wedged or was killed with its message) is failed by the scheduled
`reports_fail_stale`, so that Retry is offered instead of a spinner.
"""

import hashlib
import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from audit.actions import Action
from audit.checkpoints import audit_checkpoint
from audit.models import AuditCheckpoint
from audit.services import audit_record
from core import permissions
from core.errors import Conflict, ConflictReason, InvalidInput
from core.inputs import parse

from . import rules
from .inputs import ReportRequest
from .models import Report
from .selectors import report_ids_unfinished_since, report_previous_done
from .snapshot import build_snapshot, default_period

logger = logging.getLogger(__name__)


def period_errors(start: date, end: date, *, today: date) -> dict[str, list[str]]:
    """The period's rules, which read the clock: it ends no later than today and starts on or
    before its end (the dates' shape is reports.inputs.ReportRequest's)."""
    errors: dict[str, list[str]] = {}
    if end > today:
        errors["period_end"] = [f"The period cannot end after today ({today.isoformat()})."]
    if start > end:
        errors["period_start"] = ["The period must start on or before its end."]
    return errors


def period_of(given: ReportRequest, *, today: date) -> tuple[date, date]:
    """The period asked for, the default filling what is left out: it ends today, and starts
    89 days before (or on its end, when that is earlier); InvalidInput if a rule refuses it."""
    default_start, default_end = default_period(today)
    end = given.period_end or default_end
    start = given.period_start or min(default_start, end)
    errors = period_errors(start, end, today=today)
    if errors:
        raise InvalidInput(errors)
    return start, end


def _enqueue(report: Report) -> None:
    from .tasks import render_report

    transaction.on_commit(lambda: render_report.delay(report.pk))


def report_request_rate_key(membership: Membership) -> str:
    """What a member's report requests count under (RATE_LIMIT_REPORTS, core.ratelimit)."""
    return f"membership:{membership.pk}"


@transaction.atomic
def report_request(
    *,
    membership: Membership,
    data: ReportRequest | None = None,
    title: object = None,
    period_start: object = None,
    period_end: object = None,
) -> Report:
    """Any member asks for a report: freeze the snapshot now, render in a worker later. `data`
    is the API's checked ReportRequest, or the title and the period are given (by the form,
    a command) and checked here by the same model."""
    permissions.may_request_report(membership).require()
    given = (
        data
        if data is not None
        else parse(
            ReportRequest,
            {"title": title, "period_start": period_start, "period_end": period_end},
            what="a report's title and period",
        )
    )
    now = timezone.now()
    start, end = period_of(given, today=now.date())
    title = given.title or f"Board report {start.isoformat()} to {end.isoformat()}"
    organization = membership.organization
    previous = report_previous_done(organization=organization)
    snapshot = build_snapshot(
        organization=organization,
        title=title,
        period_start=start,
        period_end=end,
        requested_by=membership.user,
        now=now,
        previous=previous,
    )
    report = Report.objects.create(
        organization=organization,
        title=title,
        period_start=start,
        period_end=end,
        requested_by=membership.user,
        requested_at=now,
        queued_at=now,
        snapshot=snapshot,
        previous=previous,
        stage="Waiting for a worker",
    )
    audit_record(
        organization=organization,
        actor=membership.user,
        action=Action.REPORT_REQUESTED,
        target=report,
        after={"title": title, "period_start": start.isoformat(), "period_end": end.isoformat()},
    )
    _enqueue(report)
    return report


@transaction.atomic
def report_retry(*, report: Report, membership: Membership) -> Report:
    permissions.may_request_report(membership).require()
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.status != Report.Status.FAILED:
        raise Conflict(
            "Only a failed report can be retried.",
            [
                ConflictReason(
                    "not_failed", f"This report is {locked.get_status_display().lower()}."
                )
            ],
        )
    locked.status = Report.Status.QUEUED
    locked.progress = 0
    locked.stage = "Waiting for a worker"
    locked.error = ""
    locked.queued_at = timezone.now()
    locked.save(update_fields=["status", "progress", "stage", "error", "queued_at"])
    audit_record(
        organization=locked.organization,
        actor=membership.user,
        action=Action.REPORT_RETRIED,
        target=locked,
        before={"status": "failed"},
        after={"status": "queued"},
    )
    _enqueue(locked)
    return locked


def _set_progress(report_id: int, attempt: int, progress: int, stage: str) -> None:
    Report.objects.filter(pk=report_id, status=Report.Status.RUNNING, attempts=attempt).update(
        progress=progress, stage=stage
    )


def report_file_name(report: Report) -> str:
    return f"reports/{report.organization_id}/report-{report.pk}.pdf"


def report_render(*, report_id: int) -> Report | None:
    """Render one report from its snapshot. Idempotent: a done report is left alone, and a
    re-run (a redelivered message) overwrites the one file rather than adding another.

    Each run is an attempt; only the latest attempt stores its PDF or its failure. So when two
    messages of one report run at once (a report failed as stale, retried, and its first message
    delivered after all), the earlier attempt gives way instead of racing for the file."""
    from .render import render_pdf

    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status == Report.Status.DONE:
            return report
        report.status = Report.Status.RUNNING
        report.progress = 5
        report.stage = "Building the report"
        report.attempts += 1
        report.started_at = timezone.now()
        report.error = ""
        report.save(
            update_fields=["status", "progress", "stage", "attempts", "started_at", "error"]
        )
    attempt = report.attempts
    try:
        pdf, pages = render_pdf(
            report.snapshot, lambda p, s: _set_progress(report_id, attempt, p, s)
        )
        _set_progress(report_id, attempt, 90, "Storing the PDF")
        stored = _store(report_id=report_id, attempt=attempt, pdf=pdf, pages=pages)
    except Exception as exc:
        report_fail(report_id=report_id, error=_failure_message(exc), attempt=attempt)
        raise
    if stored:
        _checkpoint(report)
    return Report.objects.get(pk=report_id)


def _checkpoint(report: Report) -> None:
    """Every board report checkpoints its organization's audit chain outside the database
    (docs/rules.md §6), after its own `report.done` entry has committed. A storage failure
    is logged, not the report's: the hourly checkpoint takes over."""
    try:
        audit_checkpoint(reason=AuditCheckpoint.Reason.REPORT, organization=report.organization)
    except Exception:
        logger.exception("Could not checkpoint the audit chain after report %s", report.pk)


@transaction.atomic
def _store(*, report_id: int, attempt: int, pdf: bytes, pages: int) -> bool:
    """Store the PDF and mark the report done, under the report's lock; unless it is done
    already or a later attempt has taken it over (which stores its own)."""
    report = Report.objects.select_for_update().get(pk=report_id)
    if report.status == Report.Status.DONE or report.attempts != attempt:
        return False
    name = report_file_name(report)
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(pdf))
    digest = hashlib.sha256(pdf).hexdigest()
    Report.objects.filter(pk=report_id).update(
        status=Report.Status.DONE,
        progress=100,
        stage="Done",
        file=saved,
        size=len(pdf),
        sha256=digest,
        pages=pages,
        error="",
        finished_at=timezone.now(),
    )
    audit_record(
        organization=report.organization,
        actor=None,
        action=Action.REPORT_DONE,
        target=report,
        after={"sha256": digest, "size": len(pdf), "pages": pages},
    )
    return True


def _failure_message(exc: Exception) -> str:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        return "Rendering took longer than the time limit and was stopped. Retry it."
    return f"Rendering failed: {type(exc).__name__}: {exc}"[:2000]


@transaction.atomic
def report_fail(*, report_id: int, error: str, attempt: int | None = None) -> bool:
    """Mark a report failed with the reason, with its audit entry; remove any half-written
    file. A done or already failed report is left alone, and so is one that a later attempt
    than `attempt` has taken over. Answers whether it failed the report."""
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None or report.is_finished:
        return False
    if attempt is not None and report.attempts != attempt:
        return False
    _mark_failed(report, error=error)
    return True


def _mark_failed(report: Report, *, error: str, **audit_after: object) -> None:
    """Inside the caller's transaction, with the report locked."""
    name = report_file_name(report)
    if default_storage.exists(name):
        default_storage.delete(name)
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.FAILED,
        stage="Failed",
        error=error,
        file="",
        finished_at=timezone.now(),
    )
    audit_record(
        organization=report.organization,
        actor=None,
        action=Action.REPORT_FAILED,
        target=report,
        before={"status": report.status},
        after={"status": "failed", "error": error, **audit_after},
    )
    logger.warning("Report %s failed: %s", report.pk, error)


def report_stale_limit() -> timedelta:
    return timedelta(minutes=settings.REPORT_STALE_MINUTES)


@transaction.atomic
def report_fail_if_stale(*, report_id: int, now: datetime, limit: timedelta) -> bool:
    """Fail one report if it is still queued or running past `limit` (the rule:
    `rules.report_is_stale`), with a message that says to retry it."""
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None or not rules.report_is_stale(
        status=report.status,
        requested_at=report.requested_at,
        queued_at=report.queued_at,
        started_at=report.started_at,
        now=now,
        limit=limit,
    ):
        return False
    error = rules.stale_failure_message(status=report.status, limit=limit)
    _mark_failed(report, error=error, stale_after_minutes=limit.total_seconds() / 60)
    return True


def reports_fail_stale(*, now: datetime | None = None, limit: timedelta | None = None) -> list[int]:
    """Fail every report that no worker finished within the limit (REPORT_STALE_MINUTES), each
    in its own transaction with its audit entry; answers their ids. Idempotent: a failed
    report is no longer a candidate, and done reports never are."""
    now = now or timezone.now()
    limit = limit if limit is not None else report_stale_limit()
    candidates = report_ids_unfinished_since(before=now - limit)
    return [pk for pk in candidates if report_fail_if_stale(report_id=pk, now=now, limit=limit)]


def report_verify(*, report: Report, data: bytes) -> bool:
    """Whether the bytes are exactly the PDF this report produced."""
    return report.status == Report.Status.DONE and hashlib.sha256(data).hexdigest() == report.sha256
