"""Bearer-token authentication that also settles tenancy and roles before the body is read.

The contract checks errors in this order: 401 (no valid token), 429 (the token's rate limit),
404 (an object outside the token's organization, or unknown), 403 (the role may not act), then
400 for the body. django-ninja validates the body after authentication and before the handler,
so the object lookup and the role check happen here, in the auth step
(docs/adr/0002-api-tenant-resolution.md). The rate limit counts per valid token, after the
token is known and before anything else is looked up (core/ratelimit.py)."""

from collections.abc import Callable

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer

from accounts.selectors import api_token_by_key
from accounts.services import token_touch
from core.ratelimit import RateLimited, limit
from killswitch.models import AgentToken
from killswitch.selectors import runtime_token_by_key
from killswitch.services import agent_token_touch

# Path parameter name -> function(organization, raw id) returning the object or raising Http404.
TENANT_LOOKUPS: dict[str, Callable] = {}
# Path parameter name -> the parameter whose object its lookup receives instead of the organization.
TENANT_PARENTS: dict[str, str] = {}
# The lighter lookups of the routes that change state, by parameter (tenant_lookup(writes=)).
TENANT_WRITE_LOOKUPS: dict[str, Callable] = {}

# bandit B105 is a false positive here: a message, not a secret.
RUNTIME_TOKEN_DENIED = "A runtime token may only read its own agent's status."  # nosec B105


class TooManyRequests(HttpError):
    """429 {"detail"}, with the seconds to wait (api/errors.py sends them as Retry-After)."""

    def __init__(self, detail: str, retry_after: int):
        super().__init__(429, detail)
        self.retry_after = retry_after


def rate_limit(request, *, scope: str, key: str, rate: str | None, detail: str) -> None:
    """Count one request against `rate` (a setting such as "1200/60"); 429 past it."""
    try:
        limit(scope, key, rate, detail=detail)
    except RateLimited as exc:
        raise TooManyRequests(
            f"{exc.detail} Retry in {exc.retry_after} seconds.", exc.retry_after
        ) from exc


API_LIMITED = "Too many requests with this token."


def tenant_lookup(param: str, *, within: str | None = None, writes: bool = False):
    """Register how a path parameter resolves to an object of the token's organization.

    With `within`, the lookup gets the object already resolved for that other parameter (a drill
    is looked up within its agent, itself looked up within the organization). With `writes`, the
    lookup serves the routes that change state (POST, PATCH, PUT, DELETE) instead of the
    parameter's lookup, when those need less of the object than the reads show."""

    def register(func):
        (TENANT_WRITE_LOOKUPS if writes else TENANT_LOOKUPS)[param] = func
        if within:
            TENANT_PARENTS[param] = within
        return func

    return register


class MemberToken(HttpBearer):
    """Authenticates a member's API token; `ask(membership)`, a question of core.permissions,
    gates the operation (403 with its refusal, or `denied` where one guard serves several
    routes). `allow(roles)` is the older role-set form of the same guard.

    An agent runtime token is valid but no member: it answers 403 here (see AgentRuntimeToken
    for the one route it may read)."""

    def __init__(
        self,
        allow: Callable | None = None,
        denied: str | None = None,
        *,
        ask: Callable | None = None,
    ):
        super().__init__()
        self.allow = allow
        self.ask = ask
        self.denied = denied or "Your roles in this organization do not allow this."
        self.denied_given = denied is not None

    def authenticate(self, request, token):
        if not token:
            return None
        api_token = api_token_by_key(raw=token)
        if api_token is None:
            agent_token = runtime_token_get(token)
            return None if agent_token is None else self.authenticate_runtime(request, agent_token)
        if not api_token.membership.user.is_active:
            return None
        rate_limit(
            request,
            scope="api",
            key=api_token.key_hash,
            rate=settings.RATE_LIMIT_API,
            detail=API_LIMITED,
        )
        token_touch(token=api_token, now=timezone.now())
        membership = api_token.membership
        request.membership = membership
        resolve_path_objects(request, membership.organization)
        if self.allow is not None and not self.allow(membership.roles):
            raise HttpError(403, self.denied)
        if self.ask is not None:
            self.refuse_unless(self.ask(membership))
        return membership

    def refuse_unless(self, answer) -> None:
        """403 for a refusal of the guard's question, saying `denied` if given, else why."""
        if not answer:
            raise HttpError(403, self.denied if self.denied_given else answer.message)

    def authenticate_runtime(self, request, agent_token: AgentToken):
        """A valid agent runtime token on a member's route: it is known, but may not act (403)."""
        raise HttpError(403, RUNTIME_TOKEN_DENIED)


class AgentRuntimeToken(MemberToken):
    """The agent status route: any member token of the organization, or the agent's own runtime
    token (another agent's status is 404 to it, as if it did not exist).

    A runtime token counts against `runtime_rate` (the name of a setting): a route for runtimes
    with another allowance (OTLP export) subclasses this with its own setting and scope."""

    runtime_rate = "RATE_LIMIT_RUNTIME"
    runtime_scope = "runtime"

    def authenticate_runtime(self, request, agent_token: AgentToken):
        rate_limit(
            request,
            scope=self.runtime_scope,
            key=agent_token.key_hash,
            rate=getattr(settings, self.runtime_rate),
            detail=API_LIMITED,
        )
        agent = agent_token.agent
        request.membership = None
        resolve_path_objects(request, agent.organization)
        path_agent = request.tenant_objects.get("agent_id")
        if path_agent is None:
            raise HttpError(403, RUNTIME_TOKEN_DENIED)
        if path_agent.pk != agent.pk:
            raise HttpError(404, "Not found.")
        agent_token_touch(token=agent_token, now=timezone.now())
        return agent_token


def runtime_token_get(raw: str) -> AgentToken | None:
    """The agent runtime token with this value, unless revoked."""
    return runtime_token_by_key(raw=raw)


def resolve_path_objects(request, organization) -> None:
    """Look up every registered path parameter within the organization (404 otherwise) and
    keep the objects on `request.tenant_objects` for the handler."""
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match else {}
    request.tenant_objects = {}
    # Parameters looked up within the organization first, then those within another's object.
    names = sorted(
        (name for name in kwargs if name in TENANT_LOOKUPS), key=lambda n: n in TENANT_PARENTS
    )
    for name in names:
        parent = TENANT_PARENTS.get(name)
        scope = request.tenant_objects.get(parent) if parent else organization
        try:
            if scope is None:
                raise Http404(f"{name} has no {parent} to be looked up in.")
            lookup = TENANT_LOOKUPS[name]
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                lookup = TENANT_WRITE_LOOKUPS.get(name, lookup)
            request.tenant_objects[name] = lookup(scope, kwargs[name])
        except Http404 as exc:
            raise HttpError(404, "Not found.") from exc


member = MemberToken()
