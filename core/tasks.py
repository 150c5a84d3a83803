"""Tasks of the core room: the scheduled heartbeat (the schedule: CELERY_BEAT_SCHEDULE in
readiness/settings/base.py) and sending an email."""

from celery import shared_task

from .mail import email_send
from .services import heartbeat_record, probe_record


@shared_task(bind=True, name="core.heartbeat", ignore_result=True)
def heartbeat(self) -> None:
    """Record that this worker is alive and running scheduled work (idempotent)."""
    heartbeat_record(worker=self.request.hostname or "worker")


@shared_task(
    name="core.send_email",
    ignore_result=True,
    # A mail server that is down, slow (past EMAIL_TIMEOUT_SECONDS) or drops the connection:
    # every smtplib and socket error is an OSError. Retried six times, waiting up to 10 s,
    # 20 s, 40 s, … (full jitter, at most 10 min); then the task fails and the worker logs it.
    autoretry_for=(OSError,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_email(recipients: list[str], subject: str, body: str) -> None:
    """Send one email (queued by core.mail.email_send_on_commit, never sent in a request)."""
    email_send(recipients=recipients, subject=subject, body=body)


@shared_task(bind=True, name="core.probe", ignore_result=True)
def probe(self, token: str) -> None:
    """Answer `manage.py worker_probe`: record that this worker ran the probe `token`."""
    probe_record(token=token, worker=self.request.hostname or "worker")
