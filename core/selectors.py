"""Reads of the core room: when a worker last ran something, and whether a probe was run."""

from .models import WorkerHeartbeat, WorkerProbe


def heartbeat_latest() -> WorkerHeartbeat | None:
    """The most recent heartbeat of any worker, or None if no worker ever ran the task."""
    return WorkerHeartbeat.objects.order_by("-last_ran_at").first()


def probe_get(*, token: str) -> WorkerProbe | None:
    """The record of the probe `token`, once a worker has run it."""
    return WorkerProbe.objects.filter(token=token).first()
