"""Scheduled tasks of the notifications room (the schedule: CELERY_BEAT_SCHEDULE in
readiness/settings/base.py). Both are idempotent: a second run sends nothing again."""

from celery import shared_task

from .services import digests_send, reminders_announce_all


@shared_task(name="notifications.send_digests", ignore_result=True)
def send_digests() -> None:
    """Queue each member's email digest once its oldest waiting notification is due."""
    digests_send()


@shared_task(name="notifications.announce_reminders", ignore_result=True)
def announce_reminders() -> None:
    """Announce the reminders that are new or changed, in every organization."""
    reminders_announce_all()
