"""Map errors to the contract's shapes: 400 {"errors"}, 401/403/404 {"detail"}, 409 {"detail",
"reasons"}. django-ninja's 422 becomes 400."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from core.errors import Conflict, Forbidden, InvalidInput

# Parameter names django-ninja puts in error locations; they are not field names.
_LOCATION_PARTS = {"body", "query", "path", "header", "cookie", "form", "file", "payload"}


def validation_errors(errors: list[dict]) -> dict[str, list[str]]:
    """pydantic error list -> {"dotted.field": [messages]}; what names no field -> "__all__"."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if str(p) not in _LOCATION_PARTS]
        field = ".".join(loc) or "__all__"
        message = error.get("msg", "Invalid value.")
        if error.get("type") == "missing":
            message = "This field is required."
        elif error.get("type") == "model_attributes_type" or error.get("type") == "dict_type":
            message = "Send a JSON object here."
        out.setdefault(field, []).append(message)
    return out


def install(api: NinjaAPI) -> None:
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
        if exc.status_code == 400:
            return api.create_response(
                request, {"errors": {"__all__": [_plain(str(exc))]}}, status=400
            )
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def _plain(message: str) -> str:
    if message.startswith("Cannot parse request body"):
        return "The body is not valid JSON."
    return message
