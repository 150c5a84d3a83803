"""Scheduled tasks of the core room (Celery beat: readiness/settings/base.py)."""

from celery import shared_task

from .services import heartbeat_record


@shared_task(name="core.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Record that this worker is alive and running scheduled work."""
    worker = heartbeat.request.hostname or "worker"
    heartbeat_record(worker=worker)
