"""A real redis-server and a real Celery worker render reports requested through the API.

The worker is a separate process on the same test database (a file for SQLite, the test
database for PostgreSQL), so these tests use `transactional_db`: what the test writes is
committed and the worker sees it.
"""

import os
import signal
import subprocess
from pathlib import Path

import pytest

from overview import services as overview_services
from reports import services
from reports.models import Report
from reports.tasks import render_report
from tests.live import live_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(redis_url, media, tmp_path):
    """A real Celery worker (prefork, one child) on redis, on the test database."""
    with live_worker(redis_url, tmp_path, env={"DJANGO_MEDIA_ROOT": str(media)}) as running:
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
