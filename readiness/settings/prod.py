"""Production: secrets and hosts from the environment, secure cookies, HSTS, SSL redirect."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import EMAIL_TIMEOUT_SECONDS, env

DEBUG = False
MIN_SECRET_KEY_LENGTH = 50
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be set in production to a random string of at least "
        f"{MIN_SECRET_KEY_LENGTH} characters (it is "
        + (f"{len(SECRET_KEY)} long" if SECRET_KEY else "not set")
        + "). Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
MIN_AUDIT_KEY_LENGTH = 32
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if len(AUDIT_HMAC_KEY) < MIN_AUDIT_KEY_LENGTH:
    raise ImproperlyConfigured(
        f"AUDIT_HMAC_KEY must be set in production to a random string of at least "
        f"{MIN_AUDIT_KEY_LENGTH} characters, kept outside the database (it is "
        + (f"{len(AUDIT_HMAC_KEY)} long" if AUDIT_HMAC_KEY else "not set")
        + "): it signs the audit trail. Make one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost"])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Cookies only over HTTPS; a plain-HTTP trial (docker-compose without a TLS proxy) sets
# DJANGO_SECURE_COOKIES=false, or the browser would never send the session back.
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Email goes out by SMTP (DJANGO_EMAIL_HOST etc.); operators are told of automatic suspensions.
MAILERS = {
    "default": {
        "BACKEND": env.str(
            "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
        ),
        "OPTIONS": {
            "host": env.str("DJANGO_EMAIL_HOST", default="localhost"),
            "port": env.int("DJANGO_EMAIL_PORT", default=25),
            "username": env.str("DJANGO_EMAIL_USER", default=""),
            "password": env.str("DJANGO_EMAIL_PASSWORD", default=""),
            "use_tls": env.bool("DJANGO_EMAIL_USE_TLS", default=False),
            "timeout": EMAIL_TIMEOUT_SECONDS,
        },
    }
}
