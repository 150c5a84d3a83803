"""Whole member pages kept under the data version (core/freshness.py): a page is drawn once,
then served from the cache until the next committed write anywhere, or for at most
`READINESS_PAGE_CACHE_SECONDS` (what time alone changes: "in the last 7 days", "due").

Why it is safe (docs/adr/0010-pages-cached-under-the-data-version.md):
- the key holds the member (so the organization and the roles), the path with its query,
  the CSRF secret of the browser (a page's forms carry a token for it) and whether htmx
  asked for a fragment; another organization's or member's copy is never looked up;
- only a 200 that set no cookie, queued no message and made no new CSRF secret is kept;
- a request with a message waiting (after a redirect) is drawn afresh, so it shows it.
"""

import hashlib
import zlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from .freshness import current_version

CACHE = "pages"
# A page larger than this once compressed is not kept (the cache's memory stays small).
MAX_STORED_BYTES = 256 * 1024


def _pending_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


_highest_seen = 0


def _forget_if_went_back(version: int) -> None:
    """A version lower than one seen before (a database restored, or flushed) could meet copies
    kept under it: drop this process's copies."""
    global _highest_seen
    if version < _highest_seen:
        caches[CACHE].clear()
    _highest_seen = version


def page_key(request: HttpRequest) -> str | None:
    """The key of this request's page, or None when it must be drawn afresh."""
    if settings.READINESS_PAGE_CACHE_SECONDS <= 0 or request.method != "GET":
        return None
    membership = getattr(request, "membership", None)
    if membership is None or _pending_messages(request):
        return None
    # Read with the membership, before the page read anything (accounts' middleware).
    version = getattr(membership, "data_version", None) or current_version()
    if version is None:
        return None
    _forget_if_went_back(version)
    parts = (
        membership.pk,
        request.user.pk,
        request.build_absolute_uri(),  # scheme and host too: pages print absolute addresses
        request.headers.get("HX-Request", ""),
        request.META.get("CSRF_COOKIE", ""),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"page:{version}:{digest}"


def _storable(request: HttpRequest, response: HttpResponse, csrf_before: str | None) -> bool:
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not _pending_messages(request)
        and request.META.get("CSRF_COOKIE") == csrf_before
        # A page that changed the session (showed a secret once) must run again, and one
        # that asked not to be stored is not.
        and not (session is not None and session.modified)
        and "no-store" not in response.get("Cache-Control", "")
    )


def _served(kept: tuple[bytes, list[tuple[str, str]]]) -> HttpResponse:
    body, headers = kept
    response = HttpResponse(zlib.decompress(body))
    for name, value in headers:
        response[name] = value
    return response


def cached_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Serve the view's page from the cache while the data version has not moved. Put it
    under the tenancy decorator (`member_required`), which must run on every request."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = page_key(request)
        if key is None:
            return view(request, *args, **kwargs)
        cache = caches[CACHE]
        kept = cache.get(key)
        if kept is not None:
            return _served(kept)
        csrf_before = request.META.get("CSRF_COOKIE")
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponse) and _storable(request, response, csrf_before):
            body = zlib.compress(response.content, 1)
            if len(body) <= MAX_STORED_BYTES:
                headers = list(response.headers.items())
                cache.set(key, (body, headers), settings.READINESS_PAGE_CACHE_SECONDS)
        return response

    return wrapper
