"""The inputs of the assessments room, each defined once (core/inputs.py,
docs/adr/0009-validate-once.md): the scores PATCH's body schema, the check of what a step's
form sends, and of what any other caller gives the service."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from core.inputs import Switch, problem, problems_of, refuse, text, whole_number

from .scoring import MAX_SCORE, MIN_SCORE

TITLE_MAX = 200
TITLE_REQUIRED = "Give the assessment a title."


class AssessmentCreate(BaseModel):
    """A new draft: its title, and whether its scores start as the last submitted one's
    (whether there is one is the service's rule: it needs the database)."""

    title: Annotated[
        str, BeforeValidator(text(TITLE_MAX, what="the title", required=TITLE_REQUIRED))
    ] = Field(description=f"Up to {TITLE_MAX} characters.")
    copy_from_last: Switch = False


SCORES_MESSAGE = f"Send an object of criterion key to a score from {MIN_SCORE} to {MAX_SCORE}."


def _score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        refuse(f"A score must be a whole number from {MIN_SCORE} to {MAX_SCORE}.")
    if not MIN_SCORE <= value <= MAX_SCORE:
        refuse(f"{value} is out of range: a score is from {MIN_SCORE} to {MAX_SCORE}.")
    return value


def _scores_object(value: Any) -> Any:
    if not isinstance(value, dict):
        refuse(SCORES_MESSAGE)
    return value


Score = Annotated[
    int,
    BeforeValidator(_score),
    WithJsonSchema({"type": "integer", "minimum": MIN_SCORE, "maximum": MAX_SCORE}),
]
Version = Annotated[int, BeforeValidator(whole_number(0, 2**31 - 1, "Must be a whole number."))]


def unknown_criteria(keys: Collection[str], known: Collection[str]) -> dict[str, list[str]]:
    """The rule of the assessment's framework (stored): a score names one of its criteria."""
    return {
        f"scores.{key}": [f"Unknown criterion {key!r}: use one of {', '.join(known)}."]
        for key in keys
        if key not in known
    }


class ScoresChange(BaseModel):
    """Some or all scores of a draft, by criterion key, with the version the editor read.
    Which keys are criteria is the framework's (stored): given as the validation context's
    `criteria`, an unknown key is refused with every bad score, all at once."""

    scores: Annotated[dict[str, Score], BeforeValidator(_scores_object)] = Field(
        description="Criterion key to a score from 1 to 5; the criteria not sent are unchanged."
    )
    version: Version | None = Field(
        default=None, description="The version you read; a stale one answers 409."
    )

    @classmethod
    def criteria_in(cls, context: Any) -> Collection[str] | None:
        """The framework's criterion keys, from the validation context (None: not checked)."""
        return context.get("criteria") if isinstance(context, Mapping) else None

    # pydantic's stub binds a wrap validator's model type only without `info` (Never here).
    @model_validator(mode="wrap")  # type: ignore[arg-type]
    @classmethod
    def _all_at_once(
        cls, data: Any, handler: ModelWrapValidatorHandler[ScoresChange], info: ValidationInfo
    ) -> ScoresChange:
        known = cls.criteria_in(info.context)
        sent = data.get("scores") if isinstance(data, dict) else None
        if known is None or not isinstance(sent, dict):
            return handler(data)
        problems = [
            problem(("scores", field.removeprefix("scores.")), messages[0])
            for field, messages in unknown_criteria(sent, known).items()
        ]
        try:
            checked = handler({**data, "scores": {k: v for k, v in sent.items() if k in known}})
        except ValidationError as error:
            problems += problems_of(error)
        if problems:
            order: dict[tuple, int] = {("scores", key): index for index, key in enumerate(sent)}
            problems.sort(key=lambda p: order.get(tuple(p["loc"][:2]), len(order)))
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return checked
