"""/api/v1/agents/{id}/telemetry: the hourly figures folded from the agent's traces
(docs/telemetry.md). The traces themselves arrive on the OTLP route (api/otlp.py)."""

from datetime import date, datetime

from ninja import Query, Router, Schema
from pydantic import Field

from telemetry import selectors as telemetry_selectors

from .auth import member
from .schemas import ERRORS

router = Router(tags=["telemetry"])


class WindowIn(Schema):
    since: str | None = Field(None, description="ISO date-time; default 7 days before until.")
    until: str | None = Field(None, description="ISO date-time; default now. Naive is UTC.")


class HourOut(Schema):
    hour: datetime = Field(description="The start of the UTC hour.")
    model_calls: int
    runs: int
    tool_calls: int
    failed_tool_calls: int
    input_tokens: int
    output_tokens: int


class ToolOut(Schema):
    tool: str
    calls: int
    failed: int
    permitted: bool = Field(description="Whether the agent holds a permission for this tool.")
    last_used: date | None


class TelemetryOut(Schema):
    since: datetime
    until: datetime
    hours: list[HourOut]
    tools: list[ToolOut]
    max_tokens_per_conversation: int
    max_tool_calls_per_run: int
    last_seen: datetime | None = Field(description="When the agent's latest span ended.")


@router.get("/agents/{agent_id}/telemetry", response={200: TelemetryOut, **ERRORS}, auth=member)
def agent_telemetry(request, agent_id: str, params: Query[WindowIn]):
    """The agent's figures per hour in [since, until), the tools it used against those it
    holds permissions for, its largest conversation (tokens) and longest run (tool calls)."""
    since, until = telemetry_selectors.telemetry_window(params.since, params.until)
    return telemetry_selectors.telemetry_summary(
        agent=request.tenant_objects["agent_id"], since=since, until=until
    )
