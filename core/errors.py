"""Domain errors raised by services; pages and the API turn them into messages and statuses."""

from dataclasses import dataclass, field


class DomainError(Exception):
    pass


class InvalidInput(DomainError):
    """400: bad input, field name to messages (dotted paths for nested fields)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class ConflictReason:
    code: str
    message: str
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.extra}


class Conflict(DomainError):
    """409: the rules or a newer version forbid it; every reason is listed."""

    def __init__(self, detail: str, reasons: list[ConflictReason]):
        super().__init__(detail)
        self.detail = detail
        self.reasons = reasons

    @property
    def codes(self) -> set[str]:
        return {r.code for r in self.reasons}

    @property
    def reasons_text(self) -> str:
        """Every reason's message, in one line."""
        return " ".join(r.message for r in self.reasons)

    @property
    def text(self) -> str:
        """The detail and every reason, in one line (for a page's message)."""
        return " ".join([self.detail, *(r.message for r in self.reasons)])


class Forbidden(DomainError):
    """403: the member's roles do not allow it."""

    def __init__(self, detail: str = "Your roles in this organization do not allow this."):
        super().__init__(detail)
        self.detail = detail


def check_version(expected: int | None, current: int, *, thing: str, theirs: str) -> None:
    """The optimistic check of an edit: a version sent that is not the stored one is 409
    `stale_version` (someone saved `thing` since; reload to see `theirs`). None skips it."""
    if expected is not None and expected != current:
        raise Conflict(
            f"Someone saved this {thing} after you opened it.",
            [
                ConflictReason(
                    "stale_version",
                    f"You edited version {expected}, but it is now at version {current}. "
                    f"Reload to see {theirs}; nothing of yours was saved.",
                    {"current_version": current},
                )
            ],
        )
