"""Form helpers shared by every room."""


class ServiceErrorsMixin:
    """Put a service's InvalidInput errors beside the fields they name."""

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            field = key if key in self.fields else None
            for message in messages:
                self.add_error(field, message)
