"""A real redis-server and a real Celery worker render reports requested through the API.

The worker is a separate process on the same test database (a file for SQLite, the test
database for PostgreSQL), so these tests use `transactional_db`: what the test writes is
committed and the worker sees it.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from overview import services as overview_services
from reports import services
from reports.models import Report
from reports.tasks import render_report

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (make test installs it)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url)
        wait_until(lambda: _ping(client), 10, "redis-server to answer")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _ping(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user, password = quote(s["USER"] or ""), quote(s["PASSWORD"] or "")
    return (
        f"postgres://{user}:{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


@pytest.fixture
def worker(redis_url, media, tmp_path):
    """A real Celery worker (prefork, one child) on redis, on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "readiness.settings.test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(),
        "DJANGO_MEDIA_ROOT": str(media),
    }
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "readiness", "worker",
            "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    from readiness.celery_app import app

    log_path = tmp_path / "worker.log"
    wait_until(lambda: " ready." in log_path.read_text(), 60, "the worker to come up")
    with app.connection_for_write(redis_url) as conn:
        yield proc, conn, log_path
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


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
