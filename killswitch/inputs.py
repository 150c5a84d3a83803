"""The inputs of the kill switch, each defined once (core/inputs.py,
docs/adr/0009-validate-once.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from core.inputs import text

REASON_MAX = 2000

Reason = Annotated[
    str, BeforeValidator(text(REASON_MAX, what="the reason", required="Give a reason."))
]


class ReasonInput(BaseModel):
    """Why an agent is suspended or resumed: required, kept in the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
