"""`manage.py worker_probe`, the worker's health check: a probe task sent through the broker,
run by a pool process, recorded in the database and polled for by the command."""

import os
import signal
import socket
import subprocess
import sys
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core import services
from core.models import WorkerHeartbeat, WorkerProbe
from core.tasks import probe
from readiness.celery_app import app
from tests.live import database_url, live_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def eager():
    """Tasks run in this process as they are sent, as if a worker took them at once."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def probe_command(*args: str) -> str:
    out = StringIO()
    call_command("worker_probe", *args, stdout=out)
    return out.getvalue()


# --------------------------------------------------------------------------- the command


def test_the_probe_succeeds_once_a_worker_has_run_it(db, eager):
    # given a worker that runs what it is sent (eagerly), when the probe is sent
    out = probe_command("--timeout", "5")

    # then the command names the worker and exits 0, and the worker's heartbeat counts it
    assert out.startswith("OK: ")
    assert "ran the probe in" in out
    assert WorkerProbe.objects.count() == 1
    assert WorkerHeartbeat.objects.get().beats == 1


def test_the_probe_fails_when_no_worker_runs_it_in_time(db):
    # given a broker that no worker consumes from (the test settings' memory broker)
    # when the probe waits a moment
    with pytest.raises(CommandError, match=r"UNHEALTHY: a worker did not run the probe within"):
        probe_command("--timeout", "0.3")

    # then nothing was recorded
    assert not WorkerProbe.objects.exists()


def test_the_probe_fails_clearly_when_the_broker_refuses_it(db):
    # given a broker that cannot be reached
    refused = ConnectionRefusedError(111, "Connection refused")
    with (
        mock.patch.object(probe, "apply_async", side_effect=refused),
        # then the command says so and exits 1
        pytest.raises(CommandError, match=r"could not be sent to the broker.*refused"),
    ):
        probe_command("--timeout", "5")


def test_the_probe_refuses_a_timeout_that_is_not_positive(db):
    with pytest.raises(CommandError, match="positive"):
        probe_command("--timeout", "0")


def test_the_probe_goes_to_the_destination_workers_own_queue(db):
    # given a destination, when the probe is sent (and no worker runs it)
    with mock.patch.object(probe, "apply_async") as send, pytest.raises(CommandError):
        probe_command("--timeout", "0.1", "--destination", "celery@box")

    # then it goes to that worker's direct queue, and expires when the command gives up
    (args,), options = send.call_args
    assert options["queue"].name == "celery@box.dq2"
    assert options["expires"] == 0.1
    assert len(args[0]) == 32


# --------------------------------------------------------------------------- the record


def test_a_redelivered_probe_is_recorded_once(db):
    services.probe_record(token="t" * 32, worker="celery@a")
    services.probe_record(token="t" * 32, worker="celery@a")

    assert WorkerProbe.objects.count() == 1
    assert WorkerHeartbeat.objects.get().beats == 2


def test_probes_older_than_an_hour_are_removed_as_new_ones_arrive(db):
    now = timezone.now()
    services.probe_record(token="old", worker="celery@a", now=now - services.PROBE_KEEP * 2)
    services.probe_record(token="new", worker="celery@a", now=now)

    assert list(WorkerProbe.objects.values_list("token", flat=True)) == ["new"]


# --------------------------------------------------------------------------- a real worker


def run_probe(redis_url: str, *args: str) -> subprocess.CompletedProcess:
    """`manage.py worker_probe` as the compose health check runs it: its own process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "readiness.settings.test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "worker_probe", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def node_name() -> str:
    return f"celery@{socket.gethostname()}"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_answers_the_probe_sent_to_it_or_to_any_worker(redis_url, tmp_path):
    # given a real worker on redis
    with live_worker(redis_url, tmp_path):
        # when the probe is sent to its own queue, or to the shared one
        own = run_probe(redis_url, "--timeout", "20", "--destination", node_name())
        shared = run_probe(redis_url, "--timeout", "20")

    # then it runs both, and the command exits 0 naming it
    assert own.returncode == 0, own.stderr
    assert own.stdout.startswith(f"OK: {node_name()} ran the probe")
    assert shared.returncode == 0, shared.stderr
    assert WorkerProbe.objects.filter(worker=node_name()).count() == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_probe_for_another_worker_is_not_answered_by_this_one(redis_url, tmp_path):
    # given a real worker on redis, when the probe is for a worker that does not exist
    with live_worker(redis_url, tmp_path):
        result = run_probe(redis_url, "--timeout", "2", "--destination", "celery@nowhere")

    # then nobody runs it and the command exits 1 saying so
    assert result.returncode == 1
    assert "UNHEALTHY: celery@nowhere did not run the probe within 2 s" in result.stderr
    assert not WorkerProbe.objects.exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_pool_is_stuck_fails_the_probe_though_its_main_process_answers(
    redis_url, tmp_path
):
    # given a real worker whose only pool process is stuck (stopped)
    with live_worker(redis_url, tmp_path) as (proc, _, _):
        pool = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(pool) == 1
        os.kill(int(pool[0]), signal.SIGSTOP)
        try:
            # when the probe is sent to it
            result = run_probe(redis_url, "--timeout", "3", "--destination", node_name())
        finally:
            os.kill(int(pool[0]), signal.SIGCONT)

    # then the probe fails, where `celery inspect ping` would have answered pong
    assert result.returncode == 1, result.stdout
    assert "did not run the probe within 3 s" in result.stderr
