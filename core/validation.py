"""Small input cleaners the services share: text and ISO dates, each adding a message that
names the field to `errors` instead of raising."""

from datetime import date


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


def clean_date(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[field] = ["Use an ISO date (YYYY-MM-DD)."]
    return None
