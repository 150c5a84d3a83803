from celery import shared_task

from .checkpoints import audit_checkpoint
from .models import AuditCheckpoint


@shared_task(name="audit.checkpoint")
def checkpoint() -> str:
    """The scheduled checkpoint of every chain's head (beat, hourly by default)."""
    return audit_checkpoint(reason=AuditCheckpoint.Reason.SCHEDULED).name
