"""The inputs of the gates room, each defined once (core/inputs.py,
docs/adr/0009-validate-once.md)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    ModelWrapValidatorHandler,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails

from core.inputs import Switch, choice, problem, problems_of, refuse, text, whole_number
from core.rules import non_negative_number_error

from . import promptfoo

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


# --- prompt versions (the deployment gate, docs/ci.md) -------------------------------------------

TAG_MAX = 100
PROMPT_SUITES = ("regression", "adversarial")
RESULTS_DOC = (
    "The JSON that `promptfoo eval -o results.json` writes, in place of the boolean; read are "
    "results.stats (successes, failures, errors) and results.results[] (each test's outcome)."
)


def _amount(value: object) -> float:
    why = non_negative_number_error(value)
    if why:
        refuse(why)
    return float(value)  # type: ignore[arg-type]  # a finite number, checked above


def _pass_rate(value: object) -> float:
    why = promptfoo.threshold_error(value)
    if why:
        refuse(why)
    return float(value)  # type: ignore[arg-type]  # a percentage, checked above


Tag = Annotated[str, BeforeValidator(text(TAG_MAX, required="This field is required."))]
Amount = Annotated[
    float, BeforeValidator(_amount), WithJsonSchema({"type": "number", "minimum": 0})
]
PassRate = Annotated[
    float,
    BeforeValidator(_pass_rate),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100}),
]
# A suite's results, decoded by gates/promptfoo.py before the fields are checked (it names
# every bad place inside the file, which one field's validator cannot).
Results = Annotated[InstanceOf[promptfoo.SuiteResults], WithJsonSchema({"type": "object"})]


def _suite_problems(data: dict, suite: str) -> list[InitErrorDetails]:
    """A suite comes as `<suite>_passed` (a boolean) or as `<suite>` (promptfoo's results),
    never both. Decodes the results in `data`, in place; a refused suite leaves `data`."""
    flag = f"{suite}_passed"
    if flag in data and suite in data:
        given = data.pop(suite)
        data.pop(flag)
        return [
            problem(
                (suite,), f"Send {flag} or {suite} (promptfoo's results), not both.", given=given
            )
        ]
    if suite in data:
        try:
            data[suite] = promptfoo.parse_results(data[suite])
        except promptfoo.ResultsError as error:
            given = data.pop(suite)
            return [
                problem((suite, *path.split(".")) if path else (suite,), message, given=given)
                for path, message in error.errors.items()
            ]
        return []
    if flag not in data:
        return [
            problem((flag,), f"Send {flag} (true or false) or {suite} (promptfoo's results JSON).")
        ]
    return []


def _threshold_problems(data: dict) -> list[InitErrorDetails]:
    """A pass-rate threshold applies to a suite sent as results: with both as booleans it is
    refused (once it is a percentage at all)."""
    if "pass_rate_threshold" not in data:
        return []
    threshold = data["pass_rate_threshold"]
    if promptfoo.threshold_error(threshold) is not None:
        return []
    if all(isinstance(data.get(f"{s}_passed"), bool) for s in PROMPT_SUITES):
        return [
            problem(
                ("pass_rate_threshold",),
                "Applies to promptfoo's results: send regression or adversarial as results.",
                given=threshold,
            )
        ]
    return []


class PromptVersionInput(BaseModel):
    """A prompt version posted to the deployment gate (by CI, or a member's form): its tag,
    each suite as a boolean or as promptfoo's results, the delta (computed when not sent) and
    the tolerance. Whether the tag is new, and the delta against the current version, are the
    service's rules (they read the agent's versions)."""

    tag: Tag
    regression_passed: Switch = Field(  # type: ignore[assignment]  # unset: sent as results
        default=None, description="Whether the regression suite passed (or send regression)."
    )
    adversarial_passed: Switch = Field(  # type: ignore[assignment]
        default=None, description="Whether the adversarial suite passed (or send adversarial)."
    )
    regression: Results = Field(default=None, description=RESULTS_DOC)  # type: ignore[assignment]
    adversarial: Results = Field(default=None, description=RESULTS_DOC)  # type: ignore[assignment]
    pass_rate_threshold: PassRate = Field(  # type: ignore[assignment]  # null is refused
        default=None,
        description="A percentage, 0 to 100: a suite sent as results passes when its pass "
        "rate reaches it (without it: no failure and no error).",
    )
    delta: Amount = Field(  # type: ignore[assignment]  # unset: computed
        default=None,
        description="Change against the prior version's outputs, ≥ 0. Without it, computed "
        "from the current version's stored regression results (0 when there are none).",
    )
    tolerance: Amount = Field(description="The largest delta that may ship, ≥ 0.")
    rollback_target: Annotated[str, BeforeValidator(text(TAG_MAX))] = Field(
        default="", description="The tag to roll back to."
    )

    @model_validator(mode="wrap")
    @classmethod
    def _all_at_once(cls, data: Any, handler: ModelWrapValidatorHandler) -> PromptVersionInput:
        """The suites, decoded, and the fields, refused together (all at once)."""
        if not isinstance(data, dict):
            return handler(data)
        data = dict(data)
        problems = [p for suite in PROMPT_SUITES for p in _suite_problems(data, suite)]
        problems += _threshold_problems(data)
        try:
            checked = handler(data)
        except ValidationError as error:
            problems += problems_of(error)
        if problems:
            problems.sort(key=_field_order)
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return checked

    def suites(self) -> dict[str, promptfoo.SuiteResults | bool]:
        """Each suite as sent: promptfoo's decoded results, else its boolean."""
        return {
            suite: getattr(self, suite)
            if getattr(self, suite) is not None
            else getattr(self, f"{suite}_passed")
            for suite in PROMPT_SUITES
        }


def _field_order(problem: InitErrorDetails) -> int:
    """Refusals in the order of the fields, as the service always named them."""
    fields = list(PromptVersionInput.model_fields)
    head = str(problem["loc"][0]) if problem["loc"] else ""
    return fields.index(head) if head in fields else len(fields)
