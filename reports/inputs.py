"""The inputs of the reports room, each defined once (core/inputs.py,
docs/adr/0009-validate-once.md): the API's body schema, the check of what the request form
sends, and of what any other caller gives the service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from core.inputs import refuse, text

TITLE_MAX = 200
DATE_MESSAGE = "Use an ISO date (YYYY-MM-DD)."


def _day(value: Any) -> date | None:
    """An ISO date (or a date already decoded, as a form's widget gives it); empty is none."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()  # as the DateField would store it
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    refuse(DATE_MESSAGE)
    return None  # not reached: refuse raises


Day = Annotated[
    date | None,
    BeforeValidator(_day),
    WithJsonSchema({"type": "string", "format": "date"}),
]
Title = Annotated[str, BeforeValidator(text(TITLE_MAX, what="the title"))]


class ReportRequest(BaseModel):
    """A member's request for a board report: a title and a period, each optional. The
    defaults (the 90 days to today, a title named after the period) and the period's rules
    (not past today, its start on or before its end) read the clock: they are the service's
    (reports.services.report_request)."""

    title: Title = Field(
        default="",
        description=f"At most {TITLE_MAX} characters; empty: named after the period.",
        json_schema_extra={"maxLength": TITLE_MAX},
    )
    period_start: Day = Field(default=None, description="ISO date; default 89 days before the end.")
    period_end: Day = Field(
        default=None, description="ISO date, no later than today; default today."
    )
