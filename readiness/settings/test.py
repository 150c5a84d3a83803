"""Test settings: fast hashing, in-memory email, tasks run by tests explicitly."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, STORAGES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # In memory, emptied before each test (tests/conftest.py), so no test sees another's.
    "audit_checkpoints": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
AUDIT_HMAC_KEY = "test-audit-key-" + "x" * 32
AXES_ENABLED = True
# Messages published by tests go nowhere (the integration tests pass a real redis connection
# explicitly): never into var/celery/, where a developer's `make run` worker would pick them up.
# The integration tests' worker process gets REDIS_URL and keeps it.
if not REDIS_URL:
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
ALLOWED_HOSTS = ["*"]
# The demo's published passwords, as for `make run` (tests pick a HOST); no logins file.
DEMO_PUBLISHED_PASSWORDS = True
DEMO_LOGINS_FILE = None
# Webhook tests deliver to receivers on the loopback only.
WEBHOOK_ALLOW_LOOPBACK = True
# A test's transaction never commits: the data version grows at each write instead of after
# the commit (tests/core/test_freshness.py checks the after-commit path on its own).
READINESS_VERSION_AFTER_COMMIT = False

# A file test database (not :memory:), so threads and a real Celery worker process in the
# integration tests see the same data.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per test run, so parallel runs never share it.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        VAR_DIR / f"test-db-{os.getpid()}.sqlite3"
    )
