"""Celery tasks: thin and idempotent; they receive an id and call a service."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import services

SOFT_TIME_LIMIT = 120
HARD_TIME_LIMIT = 150


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=HARD_TIME_LIMIT,
    ignore_result=True,
)
def render_report(report_id: int) -> None:
    try:
        services.report_render(report_id=report_id)
    except SoftTimeLimitExceeded:
        return  # already marked failed with a clear message by the service
    except Exception:  # the service recorded the failure on the report
        return


@shared_task(name="reports.fail_stale", ignore_result=True)
def fail_stale_reports() -> None:
    """Scheduled (CELERY_BEAT_SCHEDULE): fail the reports no worker finished in time."""
    services.reports_fail_stale()
