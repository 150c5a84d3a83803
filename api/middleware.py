import re
import time

from django.conf import settings
from django.http import JsonResponse, UnreadablePostError

# A body over the limit is read and thrown away before the 413 is sent, so that the client,
# still sending, receives the answer: a server that closes the connection with unread bytes
# makes the kernel reset it, and the client sees a reset or broken pipe instead of the 413.
# Bounded: up to this many bytes, for at most this long; beyond, the 413 goes at once (and a
# client still sending may see the reset).
DRAIN_MAX_BYTES = 32 * 1024 * 1024
DRAIN_MAX_SECONDS = 10.0
_CHUNK = 64 * 1024


def body_limit(path: str) -> int:
    """The largest body this API path takes, in bytes: the first pattern of
    `API_BODY_LIMITS` that matches the path, else `API_MAX_BODY_BYTES` (1 MiB)."""
    for pattern, limit in settings.API_BODY_LIMITS:
        if re.fullmatch(pattern, path):
            return limit
    return settings.API_MAX_BODY_BYTES


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n} bytes"


class BodySizeLimitMiddleware:
    """The API contract: a body over the path's limit answers 413 before anything parses it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = body_limit(request.path)
            if length > limit:
                if length <= DRAIN_MAX_BYTES:
                    _drain(request, length)
                return JsonResponse(
                    {"detail": f"The body is {length} bytes; the limit is {_size(limit)}."},
                    status=413,
                )
        return self.get_response(request)


def _drain(request, length: int) -> None:
    """Read and discard up to `length` bytes of the body, within DRAIN_MAX_SECONDS."""
    deadline = time.monotonic() + DRAIN_MAX_SECONDS
    left = length
    try:
        while left > 0 and time.monotonic() < deadline:
            chunk = request.read(min(_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
    except UnreadablePostError:
        return  # the client went away; nobody will read the 413 either
