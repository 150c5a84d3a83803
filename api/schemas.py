"""Shared response schemas (what the OpenAPI document shows for errors and lists)."""

from typing import Any

from ninja import Schema
from pydantic import Field, field_validator

from core.text import text_problem


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    return value


class In(Schema):
    """The base of every request body: no text field may hold a NUL character or only
    invisible characters (400 naming the field)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_or_invisible_text(cls, value: Any) -> Any:
        return _check_text(value)


class ErrorOut(Schema):
    """400: every bad field by dotted path; what belongs to no field under "__all__"."""

    errors: dict[str, list[str]]


class DetailOut(Schema):
    detail: str


class ReasonOut(Schema):
    code: str
    message: str

    model_config = {"extra": "allow"}


class ConflictOut(Schema):
    detail: str
    reasons: list[ReasonOut]


ERRORS: dict[int, Any] = {400: ErrorOut, 401: DetailOut, 403: DetailOut, 404: DetailOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ConflictOut}

PAGE_SIZE = 50


class PageIn(Schema):
    page: int = Field(default=1, ge=1, le=1_000_000, description="1-based page of 50.")


def paginate(page: int) -> tuple[int, int]:
    """(offset, limit) of a 1-based page of PAGE_SIZE."""
    return (page - 1) * PAGE_SIZE, PAGE_SIZE
