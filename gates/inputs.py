"""The inputs of the gates room, each defined once (core/inputs.py,
docs/adr/0009-validate-once.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from core.inputs import Switch, choice, text, whole_number

EVIDENCE_MAX = 5000

Evidence = Annotated[
    str,
    BeforeValidator(text(EVIDENCE_MAX, what="evidence", kind="text (a note or a link)")),
]


class AttestationChange(BaseModel):
    """One checklist item's change, as the checklist takes it: `met` true attests it (with
    evidence), false withdraws the attestation; a field not sent stays as it is. Which items
    may be attested is the phase's rule (gates.services)."""

    model_config = ConfigDict(extra="forbid")

    met: Switch = None  # type: ignore[assignment]  # unset: unchanged
    evidence: Evidence | None = Field(default=None, description="A note or a link.")


class DecisionInput(BaseModel):
    """An approver's go or no-go: the API's body, and what gates.services.gate_decide checks
    its arguments with."""

    model_config = ConfigDict(extra="forbid")

    decision: Annotated[
        str,
        BeforeValidator(choice(("go", "no_go"), "Choose go or no_go.")),
        WithJsonSchema({"type": "string", "enum": ["go", "no_go"]}),
    ]
    rationale: Annotated[
        str, BeforeValidator(text(5000, required="Write the rationale for this decision."))
    ]
    version: (
        Annotated[int, BeforeValidator(whole_number(0, 2**31 - 1, "Must be a whole number."))]
        | None
    ) = Field(default=None, description="The gate version you saw; a changed gate answers 409.")
