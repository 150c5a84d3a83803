"""Request, render and verify board reports (docs/rules.md §5).

The request freezes a snapshot in its own transaction and queues the worker on commit; the
worker renders only from the snapshot, stores the PDF through Django's storage API and
records its SHA-256. A report that is done is never rendered again; a failed one may be
retried from the same snapshot.
"""

import hashlib
import logging
from datetime import date

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import Conflict, ConflictReason, InvalidInput

from .models import Report
from .selectors import report_previous_done
from .snapshot import build_snapshot, default_period

logger = logging.getLogger(__name__)


def _parse_date(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[field] = ["Use an ISO date (YYYY-MM-DD)."]
    return None


def validate_period(period_start, period_end, *, today: date) -> tuple[date, date]:
    errors: dict = {}
    start = _parse_date(period_start, "period_start", errors)
    end = _parse_date(period_end, "period_end", errors)
    if errors:
        raise InvalidInput(errors)
    default_start, default_end = default_period(today)
    end = end or default_end
    start = start or min(default_start, end)
    if end > today:
        errors["period_end"] = [f"The period cannot end after today ({today.isoformat()})."]
    if start > end:
        errors["period_start"] = ["The period must start on or before its end."]
    if errors:
        raise InvalidInput(errors)
    return start, end


def _enqueue(report: Report) -> None:
    from .tasks import render_report

    transaction.on_commit(lambda: render_report.delay(report.pk))


@transaction.atomic
def report_request(*, membership, title=None, period_start=None, period_end=None) -> Report:
    """Any member asks for a report: freeze the snapshot now, render in a worker later."""
    now = timezone.now()
    start, end = validate_period(period_start, period_end, today=now.date())
    if title is not None and not isinstance(title, str):
        raise InvalidInput({"title": ["Must be text."]})
    title = (title or "").strip() or f"Board report {start.isoformat()} to {end.isoformat()}"
    if len(title) > 200:
        raise InvalidInput({"title": ["Keep the title to 200 characters or fewer."]})
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
        snapshot=snapshot,
        previous=previous,
        stage="Waiting for a worker",
    )
    audit_record(
        organization=organization,
        actor=membership.user,
        action="report.requested",
        target=report,
        after={"title": title, "period_start": start.isoformat(), "period_end": end.isoformat()},
    )
    _enqueue(report)
    return report


@transaction.atomic
def report_retry(*, report: Report, membership) -> Report:
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
    locked.save(update_fields=["status", "progress", "stage", "error"])
    audit_record(
        organization=locked.organization,
        actor=membership.user,
        action="report.retried",
        target=locked,
        before={"status": "failed"},
        after={"status": "queued"},
    )
    _enqueue(locked)
    return locked


def _set_progress(report_id: int, progress: int, stage: str) -> None:
    Report.objects.filter(pk=report_id).exclude(status=Report.Status.DONE).update(
        progress=progress, stage=stage
    )


def report_file_name(report: Report) -> str:
    return f"reports/{report.organization_id}/report-{report.pk}.pdf"


def report_render(*, report_id: int) -> Report | None:
    """Render one report from its snapshot. Idempotent: a done report is left alone, and a
    re-run (a redelivered message) overwrites the one file rather than adding another."""
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
    try:
        pdf, pages = render_pdf(report.snapshot, lambda p, s: _set_progress(report_id, p, s))
        _set_progress(report_id, 90, "Storing the PDF")
        name = report_file_name(report)
        if default_storage.exists(name):
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(pdf))
        digest = hashlib.sha256(pdf).hexdigest()
        with transaction.atomic():
            Report.objects.filter(pk=report_id).update(
                status=Report.Status.DONE,
                progress=100,
                stage="Done",
                file=saved,
                size=len(pdf),
                sha256=digest,
                pages=pages,
                finished_at=timezone.now(),
            )
            audit_record(
                organization=report.organization,
                actor=None,
                action="report.done",
                target=report,
                after={"sha256": digest, "size": len(pdf), "pages": pages},
            )
    except Exception as exc:
        report_fail(report_id=report_id, error=_failure_message(exc))
        raise
    return Report.objects.get(pk=report_id)


def _failure_message(exc: Exception) -> str:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        return "Rendering took longer than the time limit and was stopped. Retry it."
    return f"Rendering failed: {type(exc).__name__}: {exc}"[:2000]


def report_fail(*, report_id: int, error: str) -> None:
    """Mark a report failed with the reason; remove any half-written file."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None or report.status == Report.Status.DONE:
        return
    name = report_file_name(report)
    if default_storage.exists(name):
        default_storage.delete(name)
    Report.objects.filter(pk=report_id).update(
        status=Report.Status.FAILED,
        stage="Failed",
        error=error,
        file="",
        finished_at=timezone.now(),
    )
    logger.warning("Report %s failed: %s", report_id, error)


def report_verify(*, report: Report, data: bytes) -> bool:
    """Whether the bytes are exactly the PDF this report produced."""
    return report.status == Report.Status.DONE and hashlib.sha256(data).hexdigest() == report.sha256
