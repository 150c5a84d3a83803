"""The inputs of the outcomes room, each defined once (core/inputs.py,
docs/adr/0009-validate-once.md): the API's body schema, the check of what a form sends, and
of what any other caller gives the service."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from core.dates import ISO_HINT, to_date
from core.inputs import Fraction, Switch, choice, refuse, text, whole_number
from core.rules import non_negative_number_error

REASON_MAX = 1000

Count = Annotated[
    int, BeforeValidator(whole_number(0, 1000, "Must be a whole number from 0 to 1000."))
]
Percent = Annotated[
    int,
    BeforeValidator(
        whole_number(1, 100, "Must be a whole percentage from 1 to 100, or null for no alert.")
    ),
]
ErrorMode = Annotated[
    str, BeforeValidator(choice(("baseline", "fixed"), "Choose baseline or fixed."))
]
Reason = Annotated[str, BeforeValidator(text(REASON_MAX))]


class ThresholdsChange(BaseModel):
    """A change of an agent's thresholds: only the fields sent change (`model_fields_set`).
    Rates are fractions from 0 to 1; null is a value only where it means something (no fixed
    error rate; no budget alert)."""

    model_config = ConfigDict(extra="forbid")

    advance_completion_min: Fraction = None  # type: ignore[assignment]  # unset: unchanged
    advance_escalation_max: Fraction = None  # type: ignore[assignment]
    advance_error_mode: ErrorMode = None  # type: ignore[assignment]
    advance_error_max: Fraction | None = None
    alert_error_rate_max: Fraction = None  # type: ignore[assignment]
    alert_escalation_max: Fraction = None  # type: ignore[assignment]
    alert_completion_min: Fraction = None  # type: ignore[assignment]
    alert_failed_tool_calls_max: Fraction = None  # type: ignore[assignment]
    alert_policy_violations_max: Count = None  # type: ignore[assignment]
    alert_quality_min: Fraction = None  # type: ignore[assignment]
    alert_unregistered_tool_use: Switch = None  # type: ignore[assignment]
    alert_error_rate_on: Switch = None  # type: ignore[assignment]
    alert_escalation_on: Switch = None  # type: ignore[assignment]
    alert_completion_on: Switch = None  # type: ignore[assignment]
    alert_quality_on: Switch = None  # type: ignore[assignment]
    auto_suspend: Switch = None  # type: ignore[assignment]
    budget_alert_percent: Percent | None = None
    stabilization_weeks: Count = None  # type: ignore[assignment]
    stabilization_reason: Reason = None  # type: ignore[assignment]

    def changes(self) -> dict:
        """The fields sent, with their checked values (the reason apart: it is a rule's)."""
        return {
            name: getattr(self, name)
            for name in self.model_fields_set
            if name != "stabilization_reason"
        }


# --- a metric snapshot (docs/rules.md §3) ------------------------------------------------------

MAX_NUMBER = 10**12
EARLIEST_PERIOD_START = date(2000, 1, 1)
REQUIRED = "This field is required."


def _present(value: Any) -> Any:
    """A required field sent as null is missing, as if it were not sent."""
    if value is None:
        refuse(REQUIRED)
    return value


def _day(value: Any) -> date:
    """An ISO day (or a date); a malformed one asks for ISO, an impossible one says why."""
    day, problem = (None, ISO_HINT) if isinstance(value, datetime) else to_date(value)
    if day is None:  # a moment (datetime) is not a period's day
        refuse(problem or ISO_HINT)
    return cast(date, day)


def _first_day(value: Any) -> date:
    day = _day(value)
    if day < EARLIEST_PERIOD_START:
        refuse("The period starts before 2000-01-01: check the year of the first day.")
    return day


def _count(value: Any) -> int:
    """A whole number from 0 to 10^12 (a float is refused, even 3.0)."""
    if isinstance(value, int) and not isinstance(value, bool):
        problem = non_negative_number_error(value)
    elif isinstance(value, float) and not math.isfinite(value):
        problem = "Must be a finite number."
    else:
        problem = "Must be a whole number."
    if problem:
        refuse(problem)
    return value


def _number(value: Any) -> float:
    """A finite number from 0 to 10^12, checked before any arithmetic on it."""
    problem = non_negative_number_error(value)
    if problem:
        refuse(problem)
    return float(value)


PeriodStart = Annotated[date, BeforeValidator(_first_day), BeforeValidator(_present)]
PeriodEnd = Annotated[date, BeforeValidator(_day), BeforeValidator(_present)]
MetricCount = Annotated[
    int,
    BeforeValidator(_count),
    BeforeValidator(_present),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_NUMBER}),
]
MetricNumber = Annotated[
    float,
    BeforeValidator(_number),
    BeforeValidator(_present),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": MAX_NUMBER}),
]
MetricFraction = Annotated[
    Fraction,
    BeforeValidator(_present),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}),
]


class SnapshotInput(BaseModel):
    """One period's metrics, as the API takes them, a form hands them and a CSV row decodes to:
    every field but the four runtime signals is required. What needs today's date or the
    stored periods (the period has ended; it overlaps no other) is the service's rule.
    Fields the snapshot does not have are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore")

    period_start: PeriodStart = Field(description="First day of the period (inclusive).")
    period_end: PeriodEnd = Field(description="Last day of the period (inclusive).")
    tasks: MetricCount
    tasks_completed: MetricCount
    escalations: MetricCount
    errors: MetricCount
    cost: MetricNumber = Field(description="What the agent cost over the period.")
    avg_cycle_time_s: MetricNumber
    baseline_cost_per_case: MetricNumber = Field(description="What a case costs people.")
    baseline_cycle_time_s: MetricNumber
    baseline_error_rate: MetricFraction
    failed_tool_calls: MetricCount | None = None
    policy_violations: MetricCount | None = None
    calls_per_hour: MetricNumber | None = None
    quality_score: MetricFraction | None = None

    # Fields are checked in the order above, so a rule across fields sees the earlier ones
    # already checked (`info.data`), and every refusal still comes at once.

    @field_validator("period_end")
    @classmethod
    def _ends_after_it_starts(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("period_start")
        if start is not None and end < start:
            refuse("The period ends before it starts.")
        return end

    @field_validator("tasks_completed", "escalations", "errors")
    @classmethod
    def _within_tasks(cls, count: int, info: ValidationInfo) -> int:
        tasks = info.data.get("tasks")
        if tasks is not None and count > tasks:
            refuse(f"Cannot exceed tasks ({tasks}).")
        return count


_START: TypeAdapter[date] = TypeAdapter(PeriodStart)
_END: TypeAdapter[date] = TypeAdapter(PeriodEnd)


def _read(adapter: TypeAdapter[date], value: Any) -> date | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def period_days(data: object) -> tuple[date | None, date | None]:
    """The period's first and last day as SnapshotInput reads them, each None where it refuses
    it: so the period's own rules (it has ended, it overlaps nothing) are told at once with a
    refusal of another field."""
    if not isinstance(data, Mapping):
        return None, None
    return _read(_START, data.get("period_start")), _read(_END, data.get("period_end"))
