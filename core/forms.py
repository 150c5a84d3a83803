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


class ServiceErrorsMixin:
    """Put a service's InvalidInput errors beside the fields they name."""

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            field = key if key in self.fields else None
            for message in messages:
                self.add_error(field, message)
