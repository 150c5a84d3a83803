"""The inputs of the agent registry, each defined once (core/inputs.py,
docs/adr/0009-validate-once.md): an agent's records as it is registered or changed (the API's
bodies, what the forms' values and any other caller's data are checked with by
agents.record_services). Only the shape is checked here; whether a username names an active
member, or a name is taken, needs the database and is the service's rule.

Unknown fields are ignored, as the API always did, except in `guardrails`, where an unknown
limit is refused (it would otherwise be silently lost).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, TypeVar

from django.utils import timezone
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from core.dates import to_date
from core.inputs import choice, refuse, text, whole_number
from core.rules import non_negative_number_error
from core.text import text_problem

NAME_MAX = 200
BUSINESS_UNIT_MAX = 120
DECISION_MAX = 300
FAILURE_STATE_MAX = 300
TOOL_MAX = 200
LIMIT_MAX = 2**31 - 1  # the guardrails are PositiveIntegerFields
# Purpose and justification are TextFields: no bound of their own (the API's body limit holds).
UNBOUNDED = sys.maxsize

MODES = ("alone", "escalate")  # DecisionBoundary.Mode
ACCESSES = ("read", "write", "admin")  # ToolPermission.Access
REQUIRED = "This field is required."
NULLABLE_TEXT = WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]})


def _single_line(value: str) -> str:
    """A name or a business unit is shown on one line: no newline, tab or other control."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        refuse("Use a single line without control characters.")
    return value


def member_name(message: str) -> Callable[[Any], str]:
    """A member's username, stripped; `message` for one that is not text or is blank. Whether
    it names an active member of the organization is the service's rule."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            refuse(message)
        problem = text_problem(value.strip())
        if problem:
            refuse(problem)
        return value.strip()

    return check


def _limit(value: Any) -> int:
    """A guardrail limit: a whole number that fits the column."""
    if isinstance(value, bool) or not isinstance(value, int):
        refuse("Must be a whole number.")
    if not 0 <= value <= LIMIT_MAX:
        refuse(f"Must be a whole number from 0 to {LIMIT_MAX}.")
    return value


def _budget(value: Any) -> Decimal | None:
    """The monthly budget, to the cent; null clears it."""
    if value is None:
        return None
    problem = non_negative_number_error(value)
    if problem:
        refuse(problem)
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _past_date(value: Any) -> date | None:
    """An ISO date (or a date), not after today: a permission cannot be used or reviewed in
    the future. Empty is none."""
    if value in (None, ""):
        return None
    day, problem = to_date(value)
    today = timezone.now().date()  # the services' clock (the demo sets it: overview/demo.py)
    if day is None:
        refuse(problem or "Use an ISO date (YYYY-MM-DD).")
    elif day > today:
        refuse(f"Cannot be in the future: give a date no later than today ({today.isoformat()}).")
    return day


def _replacing_list(value: Any) -> Any:
    if not isinstance(value, list):
        refuse("Send a list (it replaces the current one).")
    return value


class _Part(BaseModel):
    """A part of the records sent as an object: anything else is refused in its own words
    (`NOT_AN_OBJECT`), which say what the object holds."""

    NOT_AN_OBJECT: ClassVar[str] = "Send a JSON object here."

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if not isinstance(value, dict | BaseModel):
            refuse(cls.NOT_AN_OBJECT)
        return value


Name = Annotated[
    str, BeforeValidator(text(NAME_MAX, required=REQUIRED)), AfterValidator(_single_line)
]
BusinessUnit = Annotated[
    str, BeforeValidator(text(BUSINESS_UNIT_MAX)), AfterValidator(_single_line), NULLABLE_TEXT
]
FreeText = Annotated[str, BeforeValidator(text(UNBOUNDED)), NULLABLE_TEXT]
Owner = Annotated[
    str, BeforeValidator(member_name("Name a member of the organization (their username)."))
]
Limit = Annotated[int, BeforeValidator(_limit)]
Budget = Annotated[
    Decimal | None,
    BeforeValidator(_budget),
    WithJsonSchema({"type": ["number", "null"], "minimum": 0}),
]
PastDate = Annotated[
    date | None, BeforeValidator(_past_date), WithJsonSchema({"type": "string", "format": "date"})
]


class DecisionBoundaryInput(_Part):
    """What the agent decides alone, and what it escalates."""

    model_config = ConfigDict(extra="ignore")

    NOT_AN_OBJECT = "Send an object with decision and mode."

    decision: Annotated[str, BeforeValidator(text(DECISION_MAX, required=REQUIRED))]
    mode: Annotated[
        str,
        BeforeValidator(choice(MODES, "Choose alone or escalate.")),
        WithJsonSchema({"type": "string", "enum": list(MODES)}),
    ]


class EscalationPathInput(_Part):
    """Who takes over in a failure state."""

    model_config = ConfigDict(extra="ignore")

    NOT_AN_OBJECT = "Send an object with failure_state and owner."

    failure_state: Annotated[str, BeforeValidator(text(FAILURE_STATE_MAX, required=REQUIRED))]
    owner: Owner = Field(description="The escalation owner's username (a member).")


class ToolPermissionInput(_Part):
    """A tool the agent may use, at which access, and why."""

    model_config = ConfigDict(extra="ignore")

    NOT_AN_OBJECT = "Send an object with tool, access and justification."

    tool: Annotated[str, BeforeValidator(text(TOOL_MAX, required=REQUIRED))]
    access: Annotated[
        str,
        BeforeValidator(choice(ACCESSES, "Choose read, write or admin.")),
        WithJsonSchema({"type": "string", "enum": list(ACCESSES)}),
    ]
    justification: Annotated[str, BeforeValidator(text(UNBOUNDED))] = ""
    last_used: PastDate = None
    last_reviewed: PastDate = None


GUARDRAIL_FIELDS = (
    "api_calls_per_hour",
    "tokens_per_session",
    "sequential_actions_before_confirmation",
    "monthly_budget",
)


def _unknown_limit(value: Any) -> None:
    refuse(f"Unknown limit: use {', '.join(GUARDRAIL_FIELDS)}.")


class GuardrailsInput(_Part):
    """The agent's limits: only those sent change, and null clears one."""

    # Extra keys are validated one by one (and each refused by name), not forbidden as a
    # whole: so the 400 names `guardrails.<key>` with the limits there are.
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_unknown_limit)]]

    NOT_AN_OBJECT = "Send an object of limits."

    api_calls_per_hour: Limit | None = None
    tokens_per_session: Limit | None = None
    sequential_actions_before_confirmation: Limit | None = None
    monthly_budget: Budget = None

    def limits(self) -> dict:
        """The limits sent, checked (None clears one)."""
        return {
            name: getattr(self, name) for name in GUARDRAIL_FIELDS if name in self.model_fields_set
        }


R = TypeVar("R", bound=BaseModel)
Rows = Annotated[list[R], BeforeValidator(_replacing_list)]
LISTS = ("decision_boundaries", "escalation_paths", "tool_permissions")


class RecordsInput(BaseModel):
    """The records of docs/rules.md §2, each optional: a field not sent (or a list or the
    guardrails sent as null) stays as it is; each list sent replaces the agent's whole list."""

    model_config = ConfigDict(extra="ignore")

    purpose: FreeText = None  # type: ignore[assignment]  # unset: unchanged
    business_unit: BusinessUnit = None  # type: ignore[assignment]
    decision_boundaries: Rows[DecisionBoundaryInput] | None = None
    escalation_paths: Rows[EscalationPathInput] | None = None
    tool_permissions: Rows[ToolPermissionInput] | None = None
    guardrails: GuardrailsInput | None = Field(
        default=None, description="Only the limits sent change; null clears one."
    )

    def records(self) -> dict:
        """The records sent, checked, as plain values: a list as plain rows, the guardrails
        as the limits sent; what was not sent (or a list sent as null) is left out."""
        out: dict = {}
        for name in self.model_fields_set - {"version"}:
            value = getattr(self, name)
            if name in LISTS and value is not None:
                out[name] = [row.model_dump() for row in value]
            elif name == "guardrails" and value is not None:
                out[name] = value.limits()
            elif name not in LISTS and name != "guardrails":
                out[name] = value
        return out


class AgentCreateInput(RecordsInput):
    """Registering an agent: its name and named owner, and any records."""

    name: Name
    owner: Owner = Field(description="The owner's username (a member of the organization).")


class AgentUpdateInput(RecordsInput):
    """Changing an agent's records: any of them, and the version the change was made on."""

    name: Name = None  # type: ignore[assignment]  # unset: unchanged
    owner: Owner = Field(default=None, description="The owner's username.")  # type: ignore[assignment]
    version: (
        Annotated[int, BeforeValidator(whole_number(0, 2**31 - 1, "Must be a whole number."))]
        | None
    ) = Field(default=None, description="The version you read; a stale one answers 409.")
