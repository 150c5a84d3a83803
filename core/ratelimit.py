"""Rate limits counted in Django's cache, and the client address they (and django-axes) use.

Each limit is a setting such as "10/60" (hits per seconds; "0" or "" switches it off, see
`core.rules.parse_rate`), read from the environment in `readiness/settings/base.py`. A hit is
counted in a fixed window (`core.rules.rate_verdict`) under a key made of the limit's scope,
a hash of what it counts per (an address and a username, a token, a member) and the window's
start. The counts live in the cache alias "ratelimit": local memory per process by default
(so with several server processes each counts on its own), Redis when REDIS_URL is set.

Past the limit `limit` raises RateLimited; the caller answers 429 with `Retry-After` (the
API through its error handler, api/errors.py).
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from .rules import RateVerdict, parse_rate, rate_verdict, rate_window_start

CACHE_ALIAS = "ratelimit"


class RateLimited(Exception):
    """A hit past its limit: `detail` says so in words, `retry_after` in whole seconds."""

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, retry_after)
        self.detail = detail
        self.retry_after = retry_after


def rate_of(rate: str | None) -> tuple[int, int] | None:
    try:
        return parse_rate(rate)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


def _cache_key(scope: str, key: str, window: int, start: int) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"rl:{scope}:{window}:{start}:{digest}"


def hit(scope: str, key: str, rate: str | None) -> RateVerdict | None:
    """Count one hit of `key` against `rate`; its verdict, or None when the limit is off."""
    parsed = rate_of(rate)
    if parsed is None:
        return None
    allowed, window = parsed
    now = time.time()
    start = rate_window_start(now, window)
    cache_key = _cache_key(scope, key, window, start)
    cache = caches[CACHE_ALIAS]
    timeout = max(1, int(start + window - now) + 1)
    cache.add(cache_key, 0, timeout=timeout)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=timeout)
        count = 1
    return rate_verdict(count=count, limit=allowed, window=window, now=now)


def limit(scope: str, key: str, rate: str | None, *, detail: str) -> None:
    """Count one hit; past the limit raise RateLimited."""
    verdict = hit(scope, key, rate)
    if verdict is None or verdict.allowed:
        return
    raise RateLimited(detail, verdict.retry_after)


def reset(scope: str, key: str, rate: str | None) -> None:
    """Forget the hits of `key` in the current window (a sign-in that succeeded)."""
    parsed = rate_of(rate)
    if parsed is None:
        return
    window = parsed[1]
    start = rate_window_start(time.time(), window)
    caches[CACHE_ALIAS].delete(_cache_key(scope, key, window, start))


def wait_words(seconds: int) -> str:
    """'in 42 seconds', 'in 3 minutes': when to try again, for a page."""
    if seconds < 90:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"in {minutes} minutes"


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, unless READINESS_CLIENT_IP_HEADER names a header
    that a trusted proxy sets (e.g. X-Forwarded-For), whose first address is then taken. A
    missing or malformed header falls back to REMOTE_ADDR (the proxy's). django-axes uses
    this too (AXES_CLIENT_IP_CALLABLE)."""
    remote = request.META.get("REMOTE_ADDR", "")
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if not header:
        return remote
    name = header.upper().replace("-", "_")
    value = request.META.get(name if name.startswith("HTTP_") else f"HTTP_{name}", "")
    first = value.split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(first))
    except ValueError:
        return remote
