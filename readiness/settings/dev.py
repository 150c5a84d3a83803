"""Local development and `make run`: the embedded defaults (SQLite, filesystem broker)."""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])


def _local_secret(name: str) -> str:
    """A secret generated on first run and kept in var/ (never in the repository)."""
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _local_secret("secret-key")
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="") or _local_secret("audit-hmac-key")
# The README's fixed demo passwords, for `make run` on a loopback HOST only (seed_demo).
DEMO_PUBLISHED_PASSWORDS = True
