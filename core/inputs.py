"""One definition per input, checked once at the edge (docs/adr/0009-validate-once.md).

An input's shape and types (which fields, their kinds, their bounds, the words of each
refusal) are a pydantic model. The API takes the model as its body schema, so django-ninja
checks it; a Django form decodes its widgets (text to numbers, ticks to booleans) and hands
the values to the service, which checks them with the same model; a service that is given
the model already checked does not check it again. What needs stored state (a row's current
mode, a reason the current minimum lacks) stays a rule of the service.

The field kinds below refuse in the words the rooms' rules always used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, NoReturn

from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from .errors import InvalidInput
from .rules import non_negative_number_error
from .text import text_problem


def refuse(message: str) -> NoReturn:
    """Refuse the value with this message, as it is (no "Value error," before it)."""
    raise PydanticCustomError("refused", message)


def problem(
    loc: tuple, message: str, *, kind: str = "refused", given: object = None
) -> InitErrorDetails:
    """One refusal for `ValidationError.from_exception_data`, from a model validator that
    gathers several at once; its kind is kept ("missing" reads "This field is required.")."""
    return {"type": PydanticCustomError(kind, message), "loc": loc, "input": given}


def problems_of(error: ValidationError) -> list[InitErrorDetails]:
    """A field validation's refusals, to be raised again with others (all at once)."""
    return [
        problem(e["loc"], e["msg"], kind=e["type"], given=e.get("input")) for e in error.errors()
    ]


def _fraction(value: Any) -> float:
    problem = non_negative_number_error(value)
    if problem:
        refuse(problem)
    if value > 1:
        refuse("Must be a fraction from 0 to 1.")
    return float(value)


def whole_number(low: int, high: int, message: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            refuse(message)
        return value

    return check


def choice(values: tuple[str, ...], message: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in values:
            refuse(message)
        return value

    return check


def _switch(value: Any) -> bool:
    if not isinstance(value, bool):
        refuse("Must be true or false.")
    return value


def text(
    max_length: int, *, what: str = "it", kind: str = "text", required: str = ""
) -> Callable[[Any], str]:
    """Text, stripped, at most `max_length` characters, not made of invisible characters
    ("Keep {what} to … characters or fewer.", "Must be {kind}."); with `required`, the message
    for an empty one."""

    def check(value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            refuse(f"Must be {kind}.")
        value = value.strip()
        if required and not value:
            refuse(required)
        if len(value) > max_length:
            refuse(f"Keep {what} to {max_length} characters or fewer.")
        problem = text_problem(value)
        if problem:
            refuse(problem)
        return value

    return check


Fraction = Annotated[float, BeforeValidator(_fraction)]
Switch = Annotated[bool, BeforeValidator(_switch)]


def message_of(error: dict, fields: tuple[str, ...] = ()) -> str:
    """One pydantic error in our words (shared with the API's 400, api/errors.py)."""
    kind = error.get("type")
    if kind == "missing":
        return "This field is required."
    if kind in ("model_attributes_type", "dict_type"):
        return "Send a JSON object here."
    if kind == "extra_forbidden":
        return f"Unknown field: use {', '.join(fields)}." if fields else "Unknown field."
    return str(error.get("msg", "Invalid value."))


def errors_of(error: ValidationError, model: type[BaseModel]) -> dict[str, list[str]]:
    """A model's refusal as InvalidInput's errors: dotted field to messages."""
    fields = tuple(model.model_fields)
    out: dict[str, list[str]] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item.get("loc", ())) or "__all__"
        out.setdefault(field, []).append(message_of(dict(item), fields))
    return out


def parse[M: BaseModel](
    model: type[M], data: object, *, what: str, context: dict | None = None
) -> M:
    """`data` checked by `model`, or InvalidInput naming every bad field (all at once).
    `context` is the model's validation context (stored facts its validators compare with)."""
    if not isinstance(data, dict):
        raise InvalidInput({"__all__": [f"Send an object of {what}."]})
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        raise InvalidInput(errors_of(error, model)) from None
