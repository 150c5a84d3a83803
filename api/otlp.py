"""POST /api/v1/otlp/v1/traces: OTLP/HTTP trace exports from an agent's runtime
(docs/telemetry.md, docs/api.md "Traces over OpenTelemetry").

A plain Django view, mounted in readiness/urls.py before the django-ninja API: OTLP bodies
are protobuf as often as JSON, and the answers follow the OTLP/HTTP specification rather
than the API's JSON error shapes: an ExportTraceServiceResponse on success, a google.rpc.Status
on an error, each encoded as the request was (protobuf, or JSON for a JSON request).

Checks, in order: 401 (no valid runtime token; a revoked one included), 403 (a member's API
token), 429 (the runtime token's OTLP allowance, READINESS_RATE_OTLP, with Retry-After), 415
(another content type or encoding), 413 (over 5 MiB as sent: api.middleware, or over 20 MiB
decompressed), 400 (a body that is not an export). The token alone names the agent.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.selectors import api_token_by_key
from core.ratelimit import RateLimited, limit
from killswitch.models import AgentToken
from killswitch.services import agent_token_touch
from telemetry import otlp
from telemetry.services import telemetry_ingest

from .auth import runtime_token_get
from .middleware import body_limit

MAX_DECOMPRESSED = 20 * 1024 * 1024


def _answer(status: int, body: bytes, *, as_json: bool) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=otlp.JSON if as_json else otlp.PROTOBUF)


def _error(status: int, code: int, message: str, *, as_json: bool) -> HttpResponse:
    return _answer(
        status, otlp.status_body(code=code, message=message, as_json=as_json), as_json=as_json
    )


def _bearer(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _is_member_token(raw: str) -> bool:
    return api_token_by_key(raw=raw) is not None


@csrf_exempt
def otlp_traces(request):
    content_type = (request.content_type or "").lower()
    as_json = content_type == otlp.JSON
    if request.method != "POST":
        response = _error(405, otlp.INVALID_ARGUMENT, "POST trace exports here.", as_json=True)
        response["Allow"] = "POST"
        return response
    raw = _bearer(request)
    token: AgentToken | None = runtime_token_get(raw) if raw else None
    if token is None:
        if raw and _is_member_token(raw):
            return _error(
                403,
                otlp.PERMISSION_DENIED,
                "A member's API token cannot export traces: use the agent's runtime token.",
                as_json=as_json,
            )
        return _error(
            401,
            otlp.UNAUTHENTICATED,
            "Send the agent's runtime token: Authorization: Bearer rdy_agent_…",
            as_json=as_json,
        )
    try:
        limit("otlp", token.key_hash, settings.RATE_LIMIT_OTLP, detail="Too many exports.")
    except RateLimited as exc:
        response = _error(
            429,
            otlp.RESOURCE_EXHAUSTED,
            f"Too many exports with this token. Retry in {exc.retry_after} seconds.",
            as_json=as_json,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    if content_type not in otlp.CONTENT_TYPES:
        sent = f"as {content_type[:100]}" if content_type else "without one"
        return _error(
            415,
            otlp.INVALID_ARGUMENT,
            f"Send application/x-protobuf or application/json (this one came {sent}).",
            as_json=True,
        )
    try:
        body = request.body
    except RequestDataTooBig:
        body = None
    cap = body_limit(request.path)
    if body is None or len(body) > cap:
        return _error(
            413,
            otlp.INVALID_ARGUMENT,
            f"The body is over {cap // (1024 * 1024)} MiB.",
            as_json=as_json,
        )
    try:
        data = otlp.decompress(
            body, request.headers.get("Content-Encoding", ""), cap=MAX_DECOMPRESSED
        )
        export = otlp.decode(data, content_type)
    except otlp.UnsupportedEncoding as exc:
        return _error(415, otlp.INVALID_ARGUMENT, str(exc), as_json=as_json)
    except otlp.TooLarge as exc:
        return _error(413, otlp.INVALID_ARGUMENT, str(exc), as_json=as_json)
    except otlp.Unreadable as exc:
        return _error(400, otlp.INVALID_ARGUMENT, str(exc), as_json=as_json)
    result = telemetry_ingest(agent=token.agent, export=export)
    agent_token_touch(token=token, now=timezone.now())
    return _answer(
        200, otlp.export_response(rejected=result.rejected, as_json=as_json), as_json=as_json
    )
