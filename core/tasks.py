"""Scheduled tasks of the core room (the schedule: CELERY_BEAT_SCHEDULE in
readiness/settings/base.py)."""

from celery import shared_task

from .services import heartbeat_record


@shared_task(bind=True, name="core.heartbeat", ignore_result=True)
def heartbeat(self) -> None:
    """Record that this worker is alive and running scheduled work (idempotent)."""
    heartbeat_record(worker=self.request.hostname or "worker")
