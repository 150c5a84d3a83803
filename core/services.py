"""Writes of the core room: the worker heartbeat."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import WorkerHeartbeat


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
