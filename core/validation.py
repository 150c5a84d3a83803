"""Small input cleaners the services share: text and ISO dates, each adding a message that
names the field to `errors` instead of raising."""

from datetime import date, datetime

from .dates import to_date


def clean_text(data: dict, key: str, field: str, errors: dict, *, required=False, max_length=None):
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = ["Must be text."]
        return None
    value = value.strip()
    if required and not value:
        errors[field] = ["This field is required."]
    elif max_length and len(value) > max_length:
        errors[field] = [f"Keep it to {max_length} characters or fewer."]
    return value


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def clean_date(value, field: str, errors: dict, *, not_after: date | None = None):
    """An ISO date or None (empty); with `not_after` (usually today), a later date is refused."""
    if value in (None, ""):
        return None
    parsed, problem = to_date(value)
    if parsed is None:
        errors[field] = [problem]
    elif not_after is not None and _day(parsed) > not_after:
        errors[field] = [
            f"Cannot be in the future: give a date no later than today ({not_after.isoformat()})."
        ]
        return None
    return parsed
