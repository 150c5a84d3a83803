"""Real services for the integration tests: a redis-server on a free loopback port and a real
Celery worker on the test database (a file for SQLite, the test database for PostgreSQL)."""

import contextlib
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
import redis
from django.db import connection

from readiness.celery_app import app

ROOT = Path(__file__).resolve().parents[1]


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


@contextlib.contextmanager
def live_redis():
    """A redis-server on a free loopback port until the block ends; yields its URL."""
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


@contextlib.contextmanager
def live_worker(
    redis_url: str, tmp_path: Path, *, env: dict | None = None, args=(), concurrency: int = 1
):
    """Run `celery -A readiness worker` (prefork, `concurrency` children, one by default) until
    the block ends; yields the process, a broker connection and the path of its log."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "readiness.settings.test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(),
        **(env or {}),
    }
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "readiness", "worker",
            "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat", *args,
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(lambda: " ready." in log_path.read_text(), 60, "the worker to come up")
        with app.connection_for_write(redis_url) as conn:
            yield proc, conn, log_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
