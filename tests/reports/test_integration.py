"""A real redis-server and a real Celery worker render reports requested through the API.

The worker is a separate process on the same test database (a file for SQLite, the test
database for PostgreSQL), so these tests use `transactional_db`: what the test writes is
committed and the worker sees it.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from overview import services as overview_services
from reports import services
from reports.models import Report
from reports.tasks import render_report
from tests.live import live_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AGENTS = 120


@pytest.fixture
def concurrency():
    """How many pool children the worker runs; a test overrides it with parametrize."""
    return 1


@pytest.fixture
def worker(redis_url, media, tmp_path, concurrency):
    """A real Celery worker (prefork, `concurrency` children) on redis, on the test database."""
    env = {"DJANGO_MEDIA_ROOT": str(media)}
    with live_worker(redis_url, tmp_path, env=env, concurrency=concurrency) as running:
        yield running


@pytest.fixture
def via_redis(worker, monkeypatch):
    """Make the on-commit enqueue publish to the real redis broker."""
    _, conn, _ = worker
    monkeypatch.setattr(
        render_report,
        "delay",
        lambda report_id: render_report.apply_async((report_id,), connection=conn),
    )
    return worker


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def cpu_ticks(pid: int) -> int:
    """The CPU time a process has used so far (utime + stime, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def busy_and_idle(pool: list[int]) -> tuple[int, int]:
    """Which of two pool children is rendering (WeasyPrint keeps a CPU busy) and which idles:
    watched until one has clearly used more CPU than the other."""
    before = {pid: cpu_ticks(pid) for pid in pool}

    def told_apart():
        time.sleep(0.1)
        used = sorted(((cpu_ticks(pid) - before[pid], pid) for pid in pool), reverse=True)
        (busy_ticks, busy), (idle_ticks, idle) = used
        return busy_ticks >= 5 and idle_ticks * 4 < busy_ticks and (busy, idle)

    return wait_until(told_apart, 5, "one child to render while the other idles")


def request_a_long_report(assessor, viewer, title: str) -> Report:
    """A report with enough agents that rendering takes a while (many pages), requested now."""
    for i in range(AGENTS):
        overview_services.agent_create(
            membership=assessor, data={"name": f"Agent {i:03d}", "owner": assessor.user.username}
        )
    return services.report_request(membership=viewer, title=title)


def wait_until_running(report: Report) -> None:
    wait_until(
        lambda: Report.objects.get(pk=report.pk).status == "running", 60, "rendering to start"
    )


def two_children(proc) -> list[int]:
    return wait_until(lambda: len(pool := children(proc.pid)) == 2 and pool, 10, "two children")


def wait_until_finished(report: Report, what: str) -> Report:
    return wait_until(
        lambda: (r := Report.objects.get(pk=report.pk)).status in ("done", "failed") and r,
        180,
        what,
    )


def assert_done_with_one_verified_file(report: Report, media, log_path) -> None:
    log = log_path.read_text()
    assert report.status == "done", report.error + "\n" + log[-3000:]
    files = list(Path(media).rglob("*.pdf"))
    assert len(files) == 1
    assert services.report_verify(report=report, data=files[0].read_bytes())


def test_a_report_requested_through_the_api_is_rendered_by_the_worker(
    populated, viewer, api_for, via_redis
):
    api = api_for(viewer)
    response = api.post("/api/v1/reports", {"title": "Integration pack"})
    assert response.status_code == 202
    report_id = response.json()["id"]
    body = wait_until(
        lambda: (
            (b := api.get(f"/api/v1/reports/{report_id}").json())["status"] in ("done", "failed")
            and b
        ),
        120,
        "the report to finish",
    )
    assert body["status"] == "done", body.get("error")
    pdf = api.get(body["download_url"])
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_a_worker_killed_mid_render_leaves_the_report_to_finish_on_redelivery(
    org, assessor, viewer, via_redis, media
):
    proc, _, log_path = via_redis
    # Enough agents that rendering takes a while (many pages).
    for i in range(120):
        overview_services.agent_create(
            membership=assessor, data={"name": f"Agent {i:03d}", "owner": assessor.user.username}
        )
    report = services.report_request(membership=viewer, title="Kill test")
    wait_until(
        lambda: Report.objects.get(pk=report.pk).status == "running", 60, "rendering to start"
    )
    pool = wait_until(lambda: children(proc.pid), 10, "the pool's child process")
    for child in pool:
        os.kill(child, signal.SIGKILL)  # the process running the task, not the main worker
    done = wait_until(
        lambda: (r := Report.objects.get(pk=report.pk)).status in ("done", "failed") and r,
        180,
        "the redelivered task to finish",
    )
    log = log_path.read_text()
    assert done.status == "done", done.error + "\n" + log[-3000:]
    assert done.attempts >= 2, log[-3000:]
    files = list(Path(media).rglob("*.pdf"))
    assert len(files) == 1
    assert services.report_verify(report=done, data=files[0].read_bytes())


@pytest.mark.parametrize("concurrency", [2])
def test_killing_the_idle_pool_child_mid_render_leaves_the_render_undisturbed(
    org, assessor, viewer, via_redis, media
):
    # given a worker with two children, one of them rendering a long report
    proc, _, log_path = via_redis
    report = request_a_long_report(assessor, viewer, "Idle kill test")
    wait_until_running(report)
    busy, idle = busy_and_idle(two_children(proc))

    # when the idle child is killed while the report renders
    os.kill(idle, signal.SIGKILL)
    assert Report.objects.get(pk=report.pk).status == "running", "killed too late"

    # then the busy child finishes the report, at its first attempt
    done = wait_until_finished(report, "the report to finish")
    assert_done_with_one_verified_file(done, media, log_path)
    assert done.attempts == 1, log_path.read_text()[-3000:]
    assert busy in children(proc.pid)


@pytest.mark.parametrize("concurrency", [2])
def test_killing_both_pool_children_mid_render_leaves_the_report_to_finish_on_redelivery(
    org, assessor, viewer, via_redis, media
):
    # given a worker with two children, one of them rendering a long report
    proc, _, log_path = via_redis
    report = request_a_long_report(assessor, viewer, "Both kill test")
    wait_until_running(report)
    pool = two_children(proc)

    # when both children are killed while the report renders
    for child in pool:
        os.kill(child, signal.SIGKILL)
    assert Report.objects.get(pk=report.pk).status == "running", "killed too late"

    # then the worker replaces them and a new child renders the redelivered report
    done = wait_until_finished(report, "the redelivered task to finish")
    assert_done_with_one_verified_file(done, media, log_path)
    assert done.attempts >= 2, log_path.read_text()[-3000:]
    assert not set(children(proc.pid)) & set(pool)
