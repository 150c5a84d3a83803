"""A worker's pool children are replaced after a bounded number of tasks (and past a bounded
memory), so that whatever a render leaves behind does not pile up for ever."""

import subprocess

import pytest
from django.conf import settings

from core.models import WorkerProbe
from core.tasks import probe
from readiness.celery_app import app
from tests.live import live_worker, wait_until


def children(pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def test_a_pool_child_runs_at_most_a_hundred_tasks():
    assert settings.CELERY_WORKER_MAX_TASKS_PER_CHILD == 100
    assert app.conf.worker_max_tasks_per_child == 100


def test_a_pool_child_holding_over_512_mib_after_a_task_is_replaced():
    assert settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD == 512 * 1024  # KiB
    assert app.conf.worker_max_memory_per_child == 512 * 1024


def test_tasks_are_acknowledged_after_they_ran_and_requeued_if_their_child_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_replaces_its_child_after_the_configured_number_of_tasks(redis_url, tmp_path):
    # given a real worker whose child may run two tasks
    env = {"READINESS_WORKER_MAX_TASKS_PER_CHILD": "2"}
    with live_worker(redis_url, tmp_path, env=env) as (proc, conn, _):
        first = wait_until(lambda: children(proc.pid), 10, "the pool's child")

        # when it has run two tasks
        for token in ("probe-1", "probe-2"):
            probe.apply_async((token,), connection=conn)
        wait_until(lambda: WorkerProbe.objects.count() == 2, 30, "two probes")

        # then a fresh child takes the place of the first, and runs the next task
        replaced = wait_until(
            lambda: (now := children(proc.pid)) and not now & first and now, 30, "a new child"
        )
        probe.apply_async(("probe-3",), connection=conn)
        wait_until(lambda: WorkerProbe.objects.count() == 3, 30, "the third probe")
    assert len(replaced) == 1
