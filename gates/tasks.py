from celery import shared_task

from .reviews import gates_recheck_all


@shared_task(name="gates.recheck")
def recheck() -> int:
    """The scheduled recheck of every gate at go (beat, hourly by default): what time alone
    changes (spans older than 7 days, quality scores older than 30, permissions unused or
    unreviewed for 90) sends a gate whose item is no longer met to needs_review."""
    return gates_recheck_all()
