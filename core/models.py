"""What every room stands on: the worker's heartbeat, written by the scheduler's task, the
probes of `manage.py worker_probe`, and the data version the page cache keys on."""

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


class DataVersion(models.Model):
    """One row: a number that grows after every committed write to the database
    (core/freshness.py). A cached page is kept under the number it was drawn at, so a write
    makes every older copy unreachable (docs/adr/0010-pages-cached-under-the-data-version.md)."""

    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"data version {self.value}"
