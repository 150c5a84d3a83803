from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Organization
from core.rules import worker_silence
from core.selectors import heartbeat_latest

from . import rules
from .models import Report


def report_list(*, organization: Organization) -> QuerySet[Report]:
    return (
        Report.objects.filter(organization=organization)
        .select_related("requested_by")
        .defer("snapshot")
    )


def report_page(*, organization: Organization, offset: int, limit: int) -> tuple[list[Report], int]:
    qs = report_list(organization=organization).order_by("-requested_at", "-id")
    return list(qs[offset : offset + limit]), qs.count()


def report_get(*, organization: Organization, pk) -> Report:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such report.") from None
    report = report_list(organization=organization).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report


def report_previous_done(*, organization: Organization) -> Report | None:
    return (
        Report.objects.filter(organization=organization, status=Report.Status.DONE)
        .order_by("-requested_at", "-id")
        .first()
    )


def report_ids_unfinished_since(*, before: datetime) -> list[int]:
    """Every organization's queued or running reports requested before `before`: the
    candidates of the scheduled stale check (which decides each with the pure rule). Not scoped
    to an organization: only the scheduler calls it, and it answers ids."""
    return list(
        Report.objects.filter(
            status__in=[Report.Status.QUEUED, Report.Status.RUNNING], requested_at__lt=before
        )
        .order_by("requested_at", "id")
        .values_list("id", flat=True)
    )


def report_worker_warning(*, report: Report, now: datetime | None = None) -> str | None:
    """What an unfinished report's page says when no worker has run anything for a while (the
    heartbeat: core.selectors.heartbeat_latest); None when done, failed or a worker answers."""
    if report.is_finished:
        return None
    beat = heartbeat_latest()
    silence = worker_silence(
        last_ran_at=beat.last_ran_at if beat else None,
        now=now or timezone.now(),
        interval_seconds=settings.HEARTBEAT_SECONDS,
        waiting_since=rules.report_waiting_since(
            status=report.status,
            requested_at=report.requested_at,
            queued_at=report.queued_at,
            started_at=report.started_at,
        ),
    )
    return rules.worker_silence_warning(status=report.status, silence=silence)
