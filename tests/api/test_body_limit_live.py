"""A 20 MB body sent to a real gunicorn on loopback gets its 413 back (docs/api.md
"Conventions"), not a reset connection or a broken pipe: the server reads and discards the body
before answering (api/middleware.py).

http.client, not requests: urllib3 reads an early answer when its send fails, and so hides
the reset on loopback; http.client sees the reset the way most clients do."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.services import token_create
from assessments.models import Assessment
from tests.live import database_url, free_port, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
TWENTY_MB = 20 * 1000 * 1000
TIMEOUT = 30


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def server(tmp_path):
    """gunicorn (one sync worker, as in the Dockerfile) on a free loopback port, on the test
    database; yields the port."""
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if gunicorn is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("gunicorn is not installed (it is a dependency of the project)")
        pytest.skip("gunicorn is not installed")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "readiness.settings.test",
        "DATABASE_URL": database_url(),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [
            gunicorn, "readiness.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--timeout", str(TIMEOUT), "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(lambda: proc.poll() is not None or _accepting(port), 30, "gunicorn to listen")
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def post(port: int, path: str, body: bytes, token: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_twenty_megabyte_body_gets_its_413_back(server, assessor, framework):
    _, token = token_create(membership=assessor)
    body = json.dumps({"title": "x" * TWENTY_MB}).encode()

    status, answer = post(server, "/api/v1/assessments", body, token)

    assert status == 413
    assert answer == {"detail": f"The body is {len(body)} bytes; the limit is 1 MiB."}
    # The server is fine afterwards, and the refused body created nothing.
    status, created = post(server, "/api/v1/assessments", b'{"title": "Small"}', token)
    assert status == 201, created
    assert list(Assessment.objects.values_list("title", flat=True)) == ["Small"]
