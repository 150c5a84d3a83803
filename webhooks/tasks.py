"""Celery tasks of webhooks: one attempt of one delivery, and the sweeper (beat)."""

from celery import shared_task

from . import services


@shared_task(
    name="webhooks.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # An attempt gives up on the receiver within WEBHOOK_TIMEOUT_SECONDS; these are a backstop.
    soft_time_limit=60,
    time_limit=90,
)
def deliver(delivery_id: int) -> None:
    """One attempt of a delivery (idempotent: a delivery done, deleted or not due is left)."""
    services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep() -> None:
    """Scheduled (CELERY_BEAT_SCHEDULE): queue the deliveries whose next attempt is due."""
    services.deliveries_sweep()
