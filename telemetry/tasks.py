"""Tasks of telemetry: the scheduled prune (CELERY_BEAT_SCHEDULE in readiness/settings/base.py)."""

from celery import shared_task

from .services import telemetry_prune


@shared_task(name="telemetry.prune", ignore_result=True)
def prune() -> None:
    """Forget old span ids, running counts and hourly figures (idempotent)."""
    telemetry_prune()
