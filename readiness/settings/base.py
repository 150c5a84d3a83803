"""Settings shared by every environment. Environment variables are read with django-environ."""

from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    # django-ninja's bundled Swagger UI (static/ninja/, no inline script) for /api/v1/docs,
    # instead of its CDN page, which the content security policy blocks.
    "ninja",
    # Our rooms, from the bottom layer up (docs/architecture.md).
    "core",
    "audit",
    "accounts",
    "sso",
    "assessments",
    "agents",
    "killswitch",
    "gates",
    "outcomes",
    "telemetry",
    "overview",
    "reports",
    "notifications",
    "webhooks",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.middleware.BodySizeLimitMiddleware",
    "api.large_bodies.LargeApiBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "accounts.middleware.CurrentMembershipMiddleware",
    "axes.middleware.AxesMiddleware",
    # A 405 on a page: a GET goes back to the button's page, other methods get the 405 page.
    "core.middleware.MethodNotAllowedPageMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "sso.oidc.SsoBackend",
]

ROOT_URLCONF = "readiness.urls"
WSGI_APPLICATION = "readiness.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.membership",
                "readiness.context_processors.navigation",
            ],
        },
    },
]


def _database() -> dict:
    db = env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
    if db["ENGINE"] == "django.db.backends.sqlite3":
        if db["NAME"] not in ("", ":memory:"):
            Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # Concurrent users without "database is locked": WAL, IMMEDIATE writes, a busy timeout.
        db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
        # Opening the file and running the PRAGMAs cost about a millisecond a request: a
        # worker keeps its connection (docs/performance.md).
        db.setdefault("CONN_MAX_AGE", 60)
    else:
        db.setdefault("CONN_MAX_AGE", 60)
        db.setdefault("CONN_HEALTH_CHECKS", True)
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# seed_demo: random demo passwords unless the development settings allow the published ones
# (and HOST is loopback); the logins it sets are kept in this file.
DEMO_PUBLISHED_PASSWORDS = False
DEMO_LOGINS_FILE = VAR_DIR / "demo-logins.txt"
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Rendered reports go through Django's storage API: the file system by default; an
# S3-compatible store by setting DJANGO_STORAGE_BACKEND=storages.backends.s3.S3Storage and
# DJANGO_STORAGE_OPTIONS='{"bucket_name": "...", "endpoint_url": "..."}' (with
# django-storages[s3] installed).
STORAGES = {
    "default": {
        "BACKEND": env.str(
            "DJANGO_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("DJANGO_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Audit checkpoints live outside the database: files on this machine by default, or any
    # storage backend (an S3 bucket with object lock is the strong choice) by
    # AUDIT_CHECKPOINT_STORAGE_BACKEND and AUDIT_CHECKPOINT_STORAGE_OPTIONS.
    "audit_checkpoints": {
        "BACKEND": env.str(
            "AUDIT_CHECKPOINT_STORAGE_BACKEND",
            default="django.core.files.storage.FileSystemStorage",
        ),
        "OPTIONS": env.json(
            "AUDIT_CHECKPOINT_STORAGE_OPTIONS",
            default={"location": str(VAR_DIR / "audit-checkpoints")},
        ),
    },
}

# The audit trail's HMAC key (docs/rules.md §6) lives outside the database. The current key
# signs new entries and checkpoints; old keys (comma-separated), kept after a rotation,
# still verify what they signed. The development settings generate one into var/; the
# production settings refuse to start without one.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
AUDIT_HMAC_OLD_KEYS = env.list("AUDIT_HMAC_OLD_KEYS", default=[])
AUDIT_CHECKPOINT_SECONDS = env.float("READINESS_AUDIT_CHECKPOINT_SECONDS", default=3600.0)

# Content security policy on every page: scripts only from our own static files (no inline
# script anywhere); styles from ours plus inline style attributes (progress bars, htmx's
# indicator style); images from ours and data: URLs; no framing, no plugins.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (sso/, docs/sso.md): on when OIDC_ISSUER and
# OIDC_CLIENT_ID are set. The endpoints come from the issuer's discovery document.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_BUTTON_LABEL = env.str("OIDC_BUTTON_LABEL", default="Sign in with your company account")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
# What the password sign-in asks of a user (accounts.views.SignIn): each says why not, or None.
PASSWORD_SIGN_IN_CHECKS = ["sso.selectors.password_sign_in_refusal"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Throttle repeated failed logins (django-axes): 5 failures lock the username+IP for 15 min.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The page says how long the lockout lasts and when it ends (accounts/lockout.py); trying again
# during it, even with the right password, does not extend it.
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client's address, for axes and the rate limits: REMOTE_ADDR, or the first address of this
# header when set (e.g. "X-Forwarded-For"); only a header that the proxy in front sets itself.
CLIENT_IP_HEADER = env.str("READINESS_CLIENT_IP_HEADER", default="")
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.client_ip"

# Rate limits (core/ratelimit.py), "hits/seconds"; "0" or "" switches one off. Past one: 429
# with Retry-After. Sign-in attempts per address and username (a success resets the count),
# API requests per token, report requests per member. Browsing pages is not limited.
RATE_LIMIT_SIGNIN = env.str("READINESS_RATE_SIGNIN", default="10/60")
RATE_LIMIT_API = env.str("READINESS_RATE_API", default="1200/60")
# An agent runtime token's allowance on the routes it may use (the status route; OTLP later).
RATE_LIMIT_RUNTIME = env.str("READINESS_RATE_RUNTIME", default="1200/60")
RATE_LIMIT_REPORTS = env.str("READINESS_RATE_REPORTS", default="20/3600")
# OTLP trace exports, per runtime token (telemetry/, docs/telemetry.md).
RATE_LIMIT_OTLP = env.str("READINESS_RATE_OTLP", default="600/60")
# Hourly telemetry figures are kept this many days, then pruned by `telemetry.prune`.
TELEMETRY_KEEP_DAYS = env.int("READINESS_TELEMETRY_KEEP_DAYS", default=400)

# The API contract: bodies over 1 MiB answer 413.
API_MAX_BODY_BYTES = 1024 * 1024
# (full-match path pattern, bytes) for the routes that take more than the default; the first
# that matches wins. Results files from CI and trace exports are larger than a form.
API_BODY_LIMITS: list[tuple[str, int]] = [
    (r"/api/v1/agents/[^/]+/prompt-versions", 20 * 1024 * 1024),
    (r"/api/v1/otlp/v1/traces", 5 * 1024 * 1024),
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport (no server needed).
REDIS_URL = env.str("REDIS_URL", default="")
# The rate limits count in their own cache: shared in Redis when REDIS_URL is set, else in
# each process's memory (a limit then holds per server process).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "readiness",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
    ),
    # Whole member pages under the data version (core/page_cache.py), in each process's
    # memory: the version is read from the database, so no process serves a page older than
    # the last commit, and nothing crosses the network for a hit.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}
# How long a cached page may be served while no write happens: what time alone changes
# ("spans in the last 7 days", a review falling due) shows within this many seconds. 0 turns
# the page cache off.
READINESS_PAGE_CACHE_SECONDS = env.int("READINESS_PAGE_CACHE_SECONDS", default=60)
# The data version grows after each transaction commits (core/freshness.py).
READINESS_VERSION_AFTER_COMMIT = True
CELERY_BROKER_DIR = Path(env.str("READINESS_BROKER_DIR", default=str(VAR_DIR / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # The worker looks for new messages this often (kombu's default is 1 s, which a
        # report's time from request to done would wear on its sleeve).
        "polling_interval": 0.05,
    }
    # kombu's filesystem transport does not create its folders.
    for _folder in ("out", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool child is replaced by a fresh one after this many tasks, or after a task that leaves it
# holding more than this much resident memory (in KiB; the task itself always completes):
# whatever WeasyPrint caches or leaks stays bounded.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("READINESS_WORKER_MAX_TASKS_PER_CHILD", default=100)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int(
    "READINESS_WORKER_MAX_MEMORY_PER_CHILD_KIB", default=512 * 1024
)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Each worker also consumes a queue of its own (<node name>.dq2), so that the health check
# (`manage.py worker_probe --destination celery@$HOSTNAME`) probes the worker of its container.
CELERY_WORKER_DIRECT = True

# The scheduler (Celery beat): `make run` runs it inside the worker (`worker --beat`), the
# compose file as exactly one `beat` service. Its heartbeat records when a worker last ran
# something (core.WorkerHeartbeat), for the pages and rechecks that depend on it.
HEARTBEAT_SECONDS = env.float("READINESS_HEARTBEAT_SECONDS", default=60.0)
# A report that no worker finished within this many minutes of being queued (or of its
# attempt starting) is failed with a message to retry it, by `reports.fail_stale` every
# minute. Keep it well above a render's hard time limit (150 s). The check expires after a
# minute in the queue: one that waited for a missing worker is dropped rather than run late,
# when it would fail the reports queued behind it just before the worker got to them.
REPORT_STALE_MINUTES = env.int("READINESS_REPORT_STALE_MINUTES", default=10)
REPORT_STALE_CHECK_SECONDS = 60.0
# Notifications (docs/notifications.md): a member's emails wait this many minutes from the
# first, so what arrives meanwhile comes in one digest; the reminders are computed every
# NOTIFICATIONS_REMINDER_CHECK_SECONDS (each due item is announced once, and again only when it
# changes); a monthly budget is announced past this fraction of it; links in emails and
# webhooks start with NOTIFICATIONS_SITE_URL.
NOTIFICATIONS_DIGEST_MINUTES = env.int("READINESS_NOTIFICATION_DIGEST_MINUTES", default=10)
NOTIFICATIONS_REMINDER_CHECK_SECONDS = env.float("READINESS_REMINDER_CHECK_SECONDS", default=3600.0)
NOTIFICATIONS_BUDGET_ALERT_FRACTION = env.float("READINESS_BUDGET_ALERT_FRACTION", default=0.8)
NOTIFICATIONS_SITE_URL = env.str("READINESS_SITE_URL", default="http://localhost:8000")
# Gates at go are rechecked this often for what time alone changes (docs/rules.md §2).
GATES_RECHECK_SECONDS = env.float("READINESS_GATES_RECHECK_SECONDS", default=3600.0)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "core.heartbeat", "schedule": HEARTBEAT_SECONDS},
    "audit-checkpoint": {"task": "audit.checkpoint", "schedule": AUDIT_CHECKPOINT_SECONDS},
    "reports-fail-stale": {
        "task": "reports.fail_stale",
        "schedule": REPORT_STALE_CHECK_SECONDS,
        "options": {"expires": REPORT_STALE_CHECK_SECONDS},
    },
    "telemetry-prune": {"task": "telemetry.prune", "schedule": 3600.0},
    "gates-recheck": {
        "task": "gates.recheck",
        "schedule": GATES_RECHECK_SECONDS,
        "options": {"expires": GATES_RECHECK_SECONDS},
    },
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 60.0, "options": {"expires": 60.0}},
    "notifications-digests": {
        "task": "notifications.send_digests",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "notifications-reminders": {
        "task": "notifications.announce_reminders",
        "schedule": NOTIFICATIONS_REMINDER_CHECK_SECONDS,
        "options": {"expires": NOTIFICATIONS_REMINDER_CHECK_SECONDS},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "READINESS_BEAT_SCHEDULE", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Outbound webhooks (docs/webhooks.md): https targets only; loopback targets (and plain http
# to them) only with WEBHOOK_ALLOW_LOOPBACK; private networks only within these CIDRs
# ("10.20.0.0/16,fd00::/8"), checked each time a delivery connects. Each attempt waits at most
# WEBHOOK_TIMEOUT_SECONDS in all; WEBHOOK_CA_BUNDLE replaces the system's CA certificates.
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_CA_BUNDLE = env.str("WEBHOOK_CA_BUNDLE", default="")

MAILERS = {
    "default": {
        "BACKEND": env.str(
            "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
        )
    }
}
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="readiness@localhost")
# Seconds an SMTP connection may wait on the server: core.mail gives it to a mailer whose
# OPTIONS set no "timeout" (Django 6.1 refuses the old EMAIL_TIMEOUT beside MAILERS). Email
# is sent by a Celery task (core.tasks.send_email), never inside a request.
EMAIL_TIMEOUT_SECONDS = env.float("DJANGO_EMAIL_TIMEOUT", default=10.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
