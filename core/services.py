"""Writes of the core room: the worker heartbeat and the probes of `manage.py worker_probe`."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import WorkerHeartbeat, WorkerProbe

# A probe's record is read within seconds; older ones are removed as new ones arrive.
PROBE_KEEP = timedelta(hours=1)


@transaction.atomic
def heartbeat_record(*, worker: str, now=None) -> WorkerHeartbeat:
    """Record that `worker` ran something now; safe to run twice (the later time wins)."""
    now = now or timezone.now()
    beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
        worker=worker[:200], defaults={"last_ran_at": now, "beats": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=beat.pk).update(last_ran_at=now, beats=F("beats") + 1)
        beat.refresh_from_db()
    return beat


@transaction.atomic
def probe_record(*, token: str, worker: str, now=None) -> WorkerProbe:
    """Record that `worker` ran the probe `token` (which is also a heartbeat: it ran
    something). Safe to run twice, for a redelivered probe; drops probes older than an hour."""
    now = now or timezone.now()
    heartbeat_record(worker=worker, now=now)
    probe, _ = WorkerProbe.objects.get_or_create(
        token=token[:64], defaults={"worker": worker[:200], "ran_at": now}
    )
    WorkerProbe.objects.filter(ran_at__lt=now - PROBE_KEEP).delete()
    return probe
