"""The inputs of the outcomes room, each defined once (core/inputs.py,
docs/adr/0009-validate-once.md): the API's body schema, the check of what a form sends, and
of what any other caller gives the service."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from core.inputs import Fraction, Switch, choice, text, whole_number

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
