"""Email: never sent inside a request. A service queues a message when its transaction
commits (`email_send_on_commit`); a Celery worker sends it (`core.tasks.send_email` calls
`email_send`) with an SMTP timeout and retries a transient failure."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction

logger = logging.getLogger(__name__)


def email_send(*, recipients: list[str], subject: str, body: str) -> int:
    """Send one message from DEFAULT_FROM_EMAIL now, through the default mailer; answers how
    many messages went out. SMTP errors propagate (the task retries them)."""
    mailer = mailers.default
    # MAILERS' OPTIONS may set "timeout"; an SMTP mailer without one would wait forever on a
    # server that stops answering, so it gets EMAIL_TIMEOUT_SECONDS (console, locmem: none).
    if getattr(mailer, "timeout", "") is None:
        mailer.timeout = settings.EMAIL_TIMEOUT_SECONDS
    message = EmailMessage(subject=subject, body=body, to=list(recipients))
    return mailer.send_messages([message])


def email_send_on_commit(*, recipients: list[str], subject: str, body: str) -> None:
    """Queue the message for a worker once the current transaction commits (at once outside
    one). A broker that is down is logged: it must not undo, or fail, what was committed."""
    # Relative import: core.tasks imports this module to send.
    from .tasks import send_email

    kwargs = {"recipients": list(recipients), "subject": subject, "body": body}

    def enqueue() -> None:
        try:
            send_email.delay(**kwargs)
        except Exception:
            logger.exception("Could not queue the email %r to %s", subject, kwargs["recipients"])

    transaction.on_commit(enqueue)
