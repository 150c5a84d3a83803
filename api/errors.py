"""Map errors to the contract's shapes: 400 {"errors"}, 401/403/404/415 {"detail"}, 409
{"detail", "reasons"}. django-ninja's 422 becomes 400. The body parser installed here answers a
body that is not application/json 415 and one that is not a JSON object 400 under "__all__"."""

import json

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from core.errors import Conflict, Forbidden, InvalidInput
from core.inputs import message_of

# Parameter names django-ninja puts in error locations; they are not field names.
_LOCATION_PARTS = {"body", "query", "path", "header", "cookie", "form", "file", "payload"}


def validation_errors(errors: list[dict]) -> dict[str, list[str]]:
    """pydantic error list -> {"dotted.field": [messages]}; what names no field -> "__all__"."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if str(p) not in _LOCATION_PARTS]
        field = ".".join(loc) or "__all__"
        out.setdefault(field, []).append(message_of(error))
    return out


JSON_TYPE = "application/json"
# What a JSON value that is not an object is, in the 400's message.
_KINDS = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


class BodyRefused(Exception):
    """A body refused before it is validated: the status and the response's content."""

    def __init__(self, status: int, content: dict):
        super().__init__(status, content)
        self.status = status
        self.content = content


class JsonObjectParser(Parser):
    """Every request body of the API is one JSON object sent as application/json.

    django-ninja calls the parser only on a route that takes a body, only when a body was sent,
    and only after authentication (401, 404, 403: docs/adr/0002), so a body-less POST needs no
    content type and the order of checks holds. ninja turns any parser error into
    HttpError(400, ...) raised from it; `on_http_error` answers a BodyRefused cause as it says."""

    def parse_body(self, request):
        if request.content_type != JSON_TYPE:
            sent = f"as {request.content_type[:100]}" if request.content_type else "without one"
            detail = f"Send the body with Content-Type: {JSON_TYPE} (this one came {sent})."
            raise BodyRefused(415, {"detail": detail})
        data = json.loads(request.body)  # ValueError: ninja's 400 "not valid JSON"
        if not isinstance(data, dict):
            kind = "null" if data is None else _KINDS.get(type(data), "another value")
            message = f"Send a JSON object as the body, not {kind}."
            raise BodyRefused(400, {"errors": {"__all__": [message]}})
        return data


def install(api: NinjaAPI) -> None:
    api.parser = JsonObjectParser()

    @api.exception_handler(ValidationError)
    def on_validation(request, exc):
        return api.create_response(request, {"errors": validation_errors(exc.errors)}, status=400)

    @api.exception_handler(InvalidInput)
    def on_invalid(request, exc):
        return api.create_response(request, {"errors": exc.errors}, status=400)

    @api.exception_handler(Conflict)
    def on_conflict(request, exc):
        reasons = [r.as_dict() for r in exc.reasons]
        return api.create_response(request, {"detail": exc.detail, "reasons": reasons}, status=409)

    @api.exception_handler(Forbidden)
    def on_forbidden(request, exc):
        return api.create_response(request, {"detail": exc.detail}, status=403)

    @api.exception_handler(Http404)
    def on_404(request, exc):
        return api.create_response(request, {"detail": "Not found."}, status=404)

    @api.exception_handler(AuthenticationError)
    def on_401(request, exc):
        return api.create_response(
            request, {"detail": "Send a valid token: Authorization: Bearer <token>."}, status=401
        )

    @api.exception_handler(HttpError)
    def on_http_error(request, exc):
        if isinstance(exc.__cause__, BodyRefused):
            refused = exc.__cause__
            return api.create_response(request, refused.content, status=refused.status)
        if exc.status_code == 400:
            return api.create_response(
                request, {"errors": {"__all__": [_plain(str(exc))]}}, status=400
            )
        response = api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)  # a rate limit (api.auth)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response


def _plain(message: str) -> str:
    if message.startswith("Cannot parse request body"):
        return "The body is not valid JSON."
    return message
