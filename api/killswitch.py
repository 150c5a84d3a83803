"""/api/v1/agents/{id}/suspend, /resume, /drills and /status: the kill switch, drills, and the
run status an agent's runtime reads with its own token (docs/api.md)."""

from datetime import datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from core import permissions
from killswitch import selectors as killswitch_selectors
from killswitch import services as killswitch_services
from killswitch.inputs import ReasonInput
from killswitch.models import AgentToken, Suspension

from .agents import AgentOut, _fresh, agent_out
from .auth import AgentRuntimeToken, MemberToken, member, tenant_lookup
from .schemas import ERRORS, WRITE_ERRORS, PageIn, paginate

router = Router(tags=["kill switch"])


operator = MemberToken(
    ask=permissions.may_suspend_agent,
    denied="Only an operator may suspend an agent or start a drill.",
)


resumer = MemberToken(ask=permissions.may_resume_agent)


drill_ender = MemberToken(ask=permissions.may_end_drills)


status_reader = AgentRuntimeToken()


@tenant_lookup("drill_id", within="agent_id")
def _drill(agent, raw):
    return killswitch_selectors.drill_get(agent=agent, pk=raw)


class DrillOut(Schema):
    id: str
    started_at: datetime
    started_by: str | None
    ended_at: datetime | None
    ended_by: str | None
    runtime_seen_at: datetime | None = Field(
        description="When the agent's runtime first read its status and saw the suspension."
    )
    time_to_stop_s: float | None = Field(
        description="Seconds from the suspension to that read (null: the runtime never read it)."
    )


class DrillListOut(Schema):
    items: list[DrillOut]
    count: int


class StatusOut(Schema):
    state: Literal["active", "suspended"]
    reason: str | None
    since: datetime | None


def drill_out(drill: Suspension) -> dict:
    return {
        "id": str(drill.pk),
        "started_at": drill.started_at,
        "started_by": drill.started_by.get_username() if drill.started_by else None,
        "ended_at": drill.ended_at,
        "ended_by": drill.ended_by.get_username() if drill.ended_by else None,
        "runtime_seen_at": drill.runtime_seen_at,
        "time_to_stop_s": drill.time_to_stop_s,
    }


@router.post("/agents/{agent_id}/suspend", response={200: AgentOut, **WRITE_ERRORS}, auth=operator)
def agent_suspend(request, agent_id: str, payload: ReasonInput):
    """Trigger the kill switch now, with a reason; answers the agent, now suspended. Not
    idempotent: suspending an agent already suspended is 409 `already_suspended` and changes
    nothing (the first reason stands)."""
    agent = request.tenant_objects["agent_id"]
    killswitch_services.agent_suspend(agent=agent, membership=request.auth, reason=payload)
    return agent_out(_fresh(request, agent))


@router.post("/agents/{agent_id}/resume", response={200: AgentOut, **WRITE_ERRORS}, auth=resumer)
def agent_resume(request, agent_id: str, payload: ReasonInput):
    """Resume a suspended agent (a drill too), with a reason; 409 `not_suspended` when it is
    active, `owner_cannot_decide` when you own it."""
    agent = request.tenant_objects["agent_id"]
    killswitch_services.agent_resume(agent=agent, membership=request.auth, reason=payload)
    return agent_out(_fresh(request, agent))


@router.post("/agents/{agent_id}/drills", response={201: DrillOut, **WRITE_ERRORS}, auth=operator)
def drill_start(request, agent_id: str):
    """Start a kill-switch drill: the agent is really suspended until the drill ends."""
    drill = killswitch_services.drill_start(
        agent=request.tenant_objects["agent_id"], membership=request.auth
    )
    return Status(201, drill_out(drill))


@router.post(
    "/agents/{agent_id}/drills/{drill_id}/end",
    response={200: DrillOut, **WRITE_ERRORS},
    auth=drill_ender,
)
def drill_end(request, agent_id: str, drill_id: str):
    """End a drill (the operator who started it, or an approver): the agent resumes and the
    drill keeps its time to stop."""
    drill = killswitch_services.drill_end(
        agent=request.tenant_objects["agent_id"],
        drill=request.tenant_objects["drill_id"],
        membership=request.auth,
    )
    return drill_out(drill)


@router.get("/agents/{agent_id}/drills", response={200: DrillListOut, **ERRORS}, auth=member)
def drill_list(request, agent_id: str, params: Query[PageIn]):
    """The agent's drills, newest first, 50 a page."""
    offset, limit = paginate(params.page)
    drills = killswitch_selectors.drill_list(agent=request.tenant_objects["agent_id"])
    return {
        "items": [drill_out(d) for d in drills[offset : offset + limit]],
        "count": drills.count(),
    }


@router.get("/agents/{agent_id}/status", response={200: StatusOut, **ERRORS}, auth=status_reader)
def agent_status(request, agent_id: str):
    """The run status the agent's runtime polls with its runtime token; members read it too. The
    runtime's first read that sees a suspension is when it stopped (a drill's time to stop); a
    member's read does not count."""
    agent = request.tenant_objects["agent_id"]
    if isinstance(request.auth, AgentToken):
        return killswitch_services.agent_status_read(agent=agent)
    suspension = killswitch_selectors.open_suspension(agent=agent)
    if suspension is None:
        return {"state": "active", "reason": None, "since": None}
    return {"state": "suspended", "reason": suspension.reason, "since": suspension.started_at}
