"""Bearer-token authentication that also settles tenancy and roles before the body is read.

The contract checks errors in this order: 401 (no valid token), 404 (an object outside the
token's organization, or unknown), 403 (the role may not act), then 400 for the body. django-ninja
validates the body after authentication and before the handler, so the object lookup and the
role check happen here, in the auth step (docs/adr/0002-api-tenant-resolution.md).
"""

from collections.abc import Callable

from django.http import Http404
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer

from accounts.models import ApiToken, hash_token

# Path parameter name -> function(organization, raw id) returning the object or raising Http404.
TENANT_LOOKUPS: dict[str, Callable] = {}


def tenant_lookup(param: str):
    """Register how a path parameter resolves to an object of the token's organization."""

    def register(func):
        TENANT_LOOKUPS[param] = func
        return func

    return register


class MemberToken(HttpBearer):
    """Authenticates a member's API token; `allow(roles)` gates the operation (403)."""

    def __init__(self, allow: Callable | None = None, denied: str | None = None):
        super().__init__()
        self.allow = allow
        self.denied = denied or "Your roles in this organization do not allow this."

    def authenticate(self, request, token):
        if not token:
            return None
        api_token = (
            ApiToken.objects.select_related("membership__organization", "membership__user")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        if api_token is None or not api_token.membership.user.is_active:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        membership = api_token.membership
        request.membership = membership
        resolve_path_objects(request, membership.organization)
        if self.allow is not None and not self.allow(membership.roles):
            raise HttpError(403, self.denied)
        return membership


def resolve_path_objects(request, organization) -> None:
    """Look up every registered path parameter within the organization (404 otherwise) and
    keep the objects on `request.tenant_objects` for the handler."""
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match else {}
    request.tenant_objects = {}
    for name, raw in kwargs.items():
        lookup = TENANT_LOOKUPS.get(name)
        if lookup is None:
            continue
        try:
            request.tenant_objects[name] = lookup(organization, raw)
        except Http404 as exc:
            raise HttpError(404, "Not found.") from exc


member = MemberToken()
