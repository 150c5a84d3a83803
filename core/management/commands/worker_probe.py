"""`manage.py worker_probe`: is a Celery worker running tasks, end to end?

It sends the `core.probe` task through the broker and waits until a worker has run it (task
results are disabled, so the worker records the probe in the database and this command polls
for it). Exit 0 with the worker's name, or 1 with what went wrong. docker-compose.yml runs it
as the worker's health check, aimed at that container's worker with --destination.
"""

import secrets
import time

from celery.utils.nodenames import worker_direct
from django.core.management.base import BaseCommand, CommandError

from core.selectors import probe_get
from core.tasks import probe

POLL_SECONDS = 0.1


class Command(BaseCommand):
    help = "Exit 0 once a Celery worker has run a probe task sent through the broker, else 1."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=20.0,
            help="Seconds to wait for a worker to run the probe (default 20).",
        )
        parser.add_argument(
            "--destination",
            metavar="NODE",
            help="Only this worker (its node name, e.g. celery@$HOSTNAME) may run the probe: it "
            "goes to the worker's own queue (CELERY_WORKER_DIRECT).",
        )

    def handle(self, *args, timeout: float, destination: str | None, **options):
        if timeout <= 0:
            raise CommandError("--timeout must be a positive number of seconds.")
        token = secrets.token_hex(16)
        routing = {"queue": worker_direct(destination)} if destination else {}
        who = destination or "a worker"
        started = time.monotonic()
        try:
            # A probe no worker took in time is dropped, not run after this command gave up.
            probe.apply_async((token,), expires=timeout, **routing)
        except Exception as error:
            raise CommandError(
                f"UNHEALTHY: the probe could not be sent to the broker "
                f"({type(error).__name__}: {error})."
            ) from None
        while True:
            found = probe_get(token=token)
            elapsed = time.monotonic() - started
            if found is not None:
                self.stdout.write(f"OK: {found.worker} ran the probe in {elapsed:.2f} s.")
                return
            if elapsed >= timeout:
                raise CommandError(
                    f"UNHEALTHY: {who} did not run the probe within {timeout:g} s: no worker is "
                    "consuming from the broker, or every pool process is busy or stuck."
                )
            time.sleep(POLL_SECONDS)
