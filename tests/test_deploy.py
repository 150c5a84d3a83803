"""The production settings pass Django's deployment checklist, and refuse to start without a
secret key or an audit key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUDIT_KEY = "an-audit-key-used-only-by-this-test-0123456789"
KEY = {"DJANGO_SECRET_KEY": "a-long-random-secret-used-only-by-this-test-0123456789abcdef"}


def manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUDIT_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_prod_settings_pass_check_deploy_without_a_warning():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DJANGO_SETTINGS_MODULE": "readiness.settings.prod",
            "DJANGO_SECRET_KEY": "a-long-random-secret-used-only-by-this-test-0123456789abcdef",
            "AUDIT_HMAC_KEY": AUDIT_KEY,
            "DJANGO_ALLOWED_HOSTS": "readiness.example.com",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_settings_without_an_audit_key_say_so():
    result = manage("check", env_extra={"DJANGO_SETTINGS_MODULE": "readiness.settings.prod"} | KEY)
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY must be set in production" in result.stderr
    assert "(it is not set)" in result.stderr


def test_prod_settings_refuse_a_short_audit_key():
    result = manage(
        "check",
        env_extra={"DJANGO_SETTINGS_MODULE": "readiness.settings.prod", "AUDIT_HMAC_KEY": "k" * 31}
        | KEY,
    )
    assert result.returncode != 0
    assert "at least 32 characters" in result.stderr
    assert "(it is 31 long)" in result.stderr


def test_prod_settings_without_a_secret_key_say_so():
    result = manage(
        "check",
        env_extra={"DJANGO_SETTINGS_MODULE": "readiness.settings.prod"},
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_prod_settings_refuse_a_short_secret_key():
    result = manage(
        "check",
        env_extra={
            "DJANGO_SETTINGS_MODULE": "readiness.settings.prod",
            "DJANGO_SECRET_KEY": "x" * 49,
        },
    )

    assert result.returncode != 0
    assert "at least 50 characters (it is 49 long)" in result.stderr


def test_dev_settings_generate_a_secret_key_once_and_keep_it_in_var(tmp_path):
    # given a fresh var/ (the settings keep their files under BASE_DIR/var), when the dev
    # settings are loaded twice without DJANGO_SECRET_KEY
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"DJANGO_SETTINGS_MODULE": "readiness.settings.dev", "DJANGO_SECRET_KEY": ""}
    first = manage("shell", "-c", code, env_extra=env)
    second = manage("shell", "-c", code, env_extra=env)

    # then both runs use the same generated key of at least 50 characters
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip().splitlines()[-1]
    assert len(key) >= 50
    assert second.stdout.strip().splitlines()[-1] == key
    assert "insecure" not in key


def test_dev_settings_generate_an_audit_key_once_and_keep_it_in_var():
    code = "from django.conf import settings; print(settings.AUDIT_HMAC_KEY)"
    env = {"DJANGO_SETTINGS_MODULE": "readiness.settings.dev"}
    first = manage("shell", "-c", code, env_extra=env)
    second = manage("shell", "-c", code, env_extra=env)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip().splitlines()[-1]
    assert len(key) >= 50
    assert second.stdout.strip().splitlines()[-1] == key
    assert (ROOT / "var" / "audit-hmac-key").read_text().strip() == key
