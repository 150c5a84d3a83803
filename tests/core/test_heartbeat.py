"""The scheduler's heartbeat: a task that records when a worker last ran something, run by
Celery beat (inside the worker for `make run`, as one `beat` service in docker-compose)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from core import selectors, services
from core.models import WorkerHeartbeat
from core.tasks import heartbeat
from tests.live import live_worker, wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_no_heartbeat_before_a_worker_ran_one(db):
    assert selectors.heartbeat_latest() is None


def test_a_heartbeat_records_the_worker_and_counts_its_beats(db):
    # given a first and a later beat of one worker
    first = timezone.now()
    services.heartbeat_record(worker="celery@a", now=first)
    services.heartbeat_record(worker="celery@a", now=first + timedelta(minutes=1))

    # then one row holds the later time and two beats
    beat = WorkerHeartbeat.objects.get()
    assert (beat.worker, beat.last_ran_at, beat.beats) == (
        "celery@a",
        first + timedelta(minutes=1),
        2,
    )


def test_the_latest_heartbeat_is_the_most_recent_of_any_worker(db):
    now = timezone.now()
    services.heartbeat_record(worker="celery@old", now=now - timedelta(hours=1))
    services.heartbeat_record(worker="celery@new", now=now)

    assert selectors.heartbeat_latest().worker == "celery@new"


def test_the_task_records_a_heartbeat_of_the_worker_that_ran_it(db):
    heartbeat.apply()

    assert WorkerHeartbeat.objects.get().beats == 1


def test_the_schedule_runs_the_heartbeat():
    entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]

    assert entry["task"] == heartbeat.name == "core.heartbeat"
    assert 0 < entry["schedule"] <= 300


def test_make_run_starts_the_scheduler_inside_the_worker():
    script = (ROOT / "scripts" / "run.sh").read_text()

    assert "worker --beat" in script


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_with_the_embedded_scheduler_records_heartbeats(redis_url, tmp_path):
    # given a real worker started as `make run` starts it (with --beat), beating every second
    env = {"READINESS_HEARTBEAT_SECONDS": "1"}
    args = ("--beat", "--schedule", str(tmp_path / "beat-schedule"))
    with live_worker(redis_url, tmp_path, env=env, args=args):
        # then beat sends the heartbeat and the worker records it, again and again
        wait_until(
            lambda: WorkerHeartbeat.objects.filter(beats__gte=2).exists(), 60, "two heartbeats"
        )
    beat = WorkerHeartbeat.objects.get()
    assert beat.worker.startswith("celery@")
    assert timezone.now() - beat.last_ran_at < timedelta(minutes=1)
