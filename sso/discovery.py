"""The provider's discovery document (`<issuer>/.well-known/openid-configuration`), fetched
once and kept for an hour, and the settings mozilla-django-oidc asks for (docs/sso.md)."""

import threading
import time

import requests
from django.conf import settings

KEEP_SECONDS = 3600
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    # bandit B105 is a false positive here: a key of the discovery document, not a secret.
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",  # nosec B105
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}

_lock = threading.Lock()
_cache: dict[str, tuple[float, dict]] = {}


class ProviderUnavailable(Exception):
    """The identity provider could not be asked, or answered something unusable."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def provider_configuration() -> dict:
    """The configured issuer's discovery document (raises ProviderUnavailable)."""
    issuer = settings.OIDC_ISSUER
    if not sso_enabled():
        raise ProviderUnavailable("Single sign-on is not configured (OIDC_ISSUER, OIDC_CLIENT_ID).")
    with _lock:
        cached = _cache.get(issuer)
        if cached and time.monotonic() - cached[0] < KEEP_SECONDS:
            return cached[1]
    document = _fetch(issuer)
    with _lock:
        _cache[issuer] = (time.monotonic(), document)
    return document


def forget() -> None:
    """Drop the kept documents (tests; a provider that moved its endpoints)."""
    with _lock:
        _cache.clear()


def _fetch(issuer: str) -> dict:
    url = discovery_url(issuer)
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(
            f"The identity provider's discovery document at {url} could not be read ({exc})."
        ) from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"The discovery document at {url} is not a JSON object.")
    missing = [key for key in (*ENDPOINTS.values(), "issuer") if not document.get(key)]
    if missing:
        raise ProviderUnavailable(f"The discovery document at {url} lacks {', '.join(missing)}.")
    if document["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"The discovery document at {url} names the issuer {document['issuer']}, "
            f"not {issuer}: check OIDC_ISSUER."
        )
    return document


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's settings, with the endpoints taken from discovery."""
    if attr in ENDPOINTS:
        return provider_configuration()[ENDPOINTS[attr]]
    if default:
        return getattr(settings, attr, default[0])
    return getattr(settings, attr)
