"""Form helpers shared by every room."""

from django import forms
from django.core.exceptions import ValidationError

from .text import text_problem


def validate_text(value: str) -> None:
    problem = text_problem(value)
    if problem:
        raise ValidationError(problem, code="invisible_or_nul")


class TextField(forms.CharField):
    """A CharField that also refuses text made only of invisible characters (Django's own
    refuses NUL)."""

    default_validators = [validate_text]


def hinted(field: forms.Field, **attrs: object) -> forms.Field:
    """`field` with the bounds of an input's definition told to the browser, as `maxlength`,
    `min` or `max`: a hint only, the service checks them (docs/adr/0009-validate-once.md)."""
    field.widget.attrs.update(attrs)
    return field


class ServiceErrorsMixin:
    """Put a service's InvalidInput errors beside the fields they name: the one way every form
    shows what a service refused. A form says where a key goes, by `ERROR_FIELDS` (service key
    to field), `ERRORS_TO` (every error beside one field) or `service_error_field`, and may
    reword a message for its own inputs with `service_error_message`; a key it cannot place
    is shown above the form."""

    ERROR_FIELDS: dict[str, str] = {}
    ERRORS_TO: str | None = None

    def service_error_field(self, key: str) -> str | None:
        if self.ERRORS_TO is not None:
            return self.ERRORS_TO
        if key in self.ERROR_FIELDS:
            return self.ERROR_FIELDS[key]
        return key if key in self.fields else None

    def service_error_message(self, key: str, message: str) -> str:
        return message

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            field = self.service_error_field(key)
            for message in messages:
                self.add_error(field, self.service_error_message(key, message))
