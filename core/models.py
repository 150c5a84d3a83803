"""What every room stands on: the worker's heartbeat, written by the scheduler's task, and the
probes of `manage.py worker_probe`."""

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran a task the scheduler sent it (one row per worker name).

    The report page, the health check and the time-based rechecks read it to tell whether
    background work is running at all.
    """

    worker = models.CharField(max_length=200, unique=True)
    last_ran_at = models.DateTimeField(default=timezone.now)
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_ran_at"]

    def __str__(self) -> str:
        return f"{self.worker} at {self.last_ran_at:%Y-%m-%d %H:%M:%S}"


class WorkerProbe(models.Model):
    """A probe that `manage.py worker_probe` sent through the broker, recorded by the worker
    that ran it (task results are disabled, so the database carries the answer)."""

    token = models.CharField(max_length=64, unique=True)
    worker = models.CharField(max_length=200)
    ran_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"probe {self.token[:8]} by {self.worker}"
