"""Reads of the core room: when a worker last ran something."""

from .models import WorkerHeartbeat


def heartbeat_latest() -> WorkerHeartbeat | None:
    """The most recent heartbeat of any worker, or None if no worker ever ran the task."""
    return WorkerHeartbeat.objects.order_by("-last_ran_at").first()
