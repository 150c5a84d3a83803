"""docker-compose.yml is valid for Debian's docker-compose 1.29 and declares the stack.

No Docker engine is needed: `docker-compose config` only reads and validates the file.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        reason = (
            "the docker-compose binary is missing "
            "(apt-get install --no-install-recommends docker-compose)"
        )
        if _in_ci():
            pytest.fail(f"{reason}; CI must check the compose file")
        pytest.skip(reason)
    return binary


SECRET = "a-random-secret-key-for-the-compose-check-only-0123456789abcdef"
AUDIT_KEY = "an-audit-key-for-the-compose-check-only-0123456789"


def _compose(
    binary: str, *args: str, secret: str | None = SECRET, audit_key: str | None = AUDIT_KEY
):
    # A clean environment, so a developer's own variables do not change the result.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    if audit_key is not None:
        env["AUDIT_HMAC_KEY"] = audit_key
    return subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_passes_docker_compose_config(docker_compose):
    # given the compose file, when docker-compose validates it
    result = _compose(docker_compose, "config", "-q")

    # then it accepts every key
    assert result.returncode == 0, result.stderr


def test_compose_declares_the_four_services_with_health_checks(docker_compose):
    # given the configuration as docker-compose resolves it
    result = _compose(docker_compose, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]

    # then web, worker, redis and postgres are there
    assert {"web", "worker", "redis", "postgres"} <= set(services)

    # and redis, postgres and web say how to tell that they are healthy
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])

    # and web waits for healthy postgres and redis, the worker for a healthy web
    assert services["web"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["worker"]["depends_on"]["web"] == {"condition": "service_healthy"}

    # and web and worker run the production settings against postgres and redis
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "readiness.settings.prod"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://")
        assert environment["DJANGO_SECRET_KEY"]
        assert environment["DJANGO_ALLOWED_HOSTS"]


def test_compose_runs_exactly_one_scheduler(docker_compose):
    # given the configuration as docker-compose resolves it
    result = _compose(docker_compose, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]

    # then exactly one service runs Celery beat, with a health check and the app's settings
    beats = [name for name, s in services.items() if " beat" in str(s.get("command", ""))]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert "healthcheck" in services["beat"]
    assert services["beat"]["environment"]["DJANGO_SETTINGS_MODULE"] == "readiness.settings.prod"
    # and the worker does not run a second scheduler of its own
    assert "--beat" not in str(services["worker"]["command"])
    assert " -B" not in str(services["worker"]["command"])


def test_compose_has_no_default_secret_key(docker_compose):
    # given no DJANGO_SECRET_KEY in the environment or a .env file
    result = _compose(docker_compose, "config", "-q", secret=None)

    # then docker-compose refuses the file and says what to set
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "django-insecure" not in COMPOSE_FILE.read_text()


def test_compose_has_no_default_audit_key(docker_compose):
    # given a secret key but no AUDIT_HMAC_KEY
    result = _compose(docker_compose, "config", "-q", audit_key=None)

    # then docker-compose refuses the file and says what to set
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY" in result.stderr


def test_compose_keeps_audit_checkpoints_on_a_volume_of_their_own(docker_compose):
    result = _compose(docker_compose, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["AUDIT_HMAC_KEY"] == AUDIT_KEY
        assert any("audit-checkpoints" in str(v) for v in services[name]["volumes"])
