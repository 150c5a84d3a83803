"""The sign-in lockout of django-axes, told in words: how long it lasts and when it ends, and
a warning on the attempt before the last one."""

from datetime import datetime

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.shortcuts import render


def _attempt(request, username: str) -> AccessAttempt | None:
    ip_address = getattr(request, "axes_ip_address", None)
    return (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .select_related("expiration")
        .order_by("-attempt_time")
        .first()
    )


def lockout_ends_at(request, username: str) -> datetime | None:
    """When signing in as `username` from this address works again (None: not known)."""
    attempt = _attempt(request, username)
    cool_off = get_cool_off(request)
    if attempt is None or cool_off is None:
        return None
    expiration = getattr(attempt, "expiration", None)
    if expiration is not None:
        return expiration.expires_at
    return attempt.attempt_time + cool_off


def failures_left(request, username: str) -> int | None:
    """How many more failures this username and address may make before the lockout."""
    attempt = _attempt(request, username)
    if attempt is None:
        return None
    limit = get_failure_limit(request, {"username": username})
    return max(0, limit - attempt.failures_since_start)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page with its length and its end."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": username,
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        "ends_at": lockout_ends_at(request, username) if username else None,
    }
    return render(
        request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
