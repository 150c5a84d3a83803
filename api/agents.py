"""/api/v1/agents: the registry (list, register, read, edit an agent). Gates and prompt versions
are in api/gates.py, the kill switch and the runtime's status read in api/killswitch.py
(docs/api.md).

Tenancy and roles are settled in the auth step (api/auth.py): `agent_id`, `phase` and `drill_id`
resolve within the token's organization (404) before the role (403) and the body (400).
"""

from datetime import date, datetime
from typing import Literal

from django.db.models import prefetch_related_objects
from django.utils import timezone
from ninja import Body, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field

from agents import rules as agents_rules
from agents.inputs import AgentCreateInput, AgentUpdateInput
from agents.models import Agent
from core import permissions
from gates import rules
from gates import selectors as gates_selectors
from killswitch import rules as killswitch_rules
from killswitch import selectors as killswitch_selectors
from killswitch.models import Suspension
from overview import services as overview_services

from .auth import MemberToken, member, tenant_lookup
from .schemas import ERRORS, WRITE_ERRORS, PageIn, paginate

router = Router(tags=["agents"])


assessor = MemberToken(
    ask=permissions.may_edit_agent,
    denied="Only an assessor may register agents, edit their records, fill gate checklists or "
    "post prompt versions.",
)


@tenant_lookup("agent_id")
def _agent(organization, raw):
    return gates_selectors.agent_get(organization=organization, pk=raw)


@tenant_lookup("agent_id", writes=True)
def _agent_to_change(organization, raw):
    """A route that changes an agent reads what its service needs itself: the row, its owner
    and organization are enough to find it (not its gates and records, as agent_get reads)."""
    return gates_selectors.agent_row_get(organization=organization, pk=raw)


class RuleReasonOut(BaseModel):
    """A rule's reason; codes may carry more fields (e.g. `items` of unmet_items)."""

    code: str
    message: str

    model_config = ConfigDict(extra="allow")


class BoundaryOut(Schema):
    decision: str
    mode: Literal["alone", "escalate"]


class EscalationPathOut(Schema):
    failure_state: str
    owner: str


class ToolPermissionOut(Schema):
    tool: str
    access: Literal["read", "write", "admin"]
    justification: str
    last_used: date | None
    last_reviewed: date | None
    created_at: datetime
    review_flags: list[RuleReasonOut] = Field(
        description="Why it is flagged for revocation (unused or unreviewed for 90 days)."
    )


class GuardrailsOut(Schema):
    api_calls_per_hour: int | None
    tokens_per_session: int | None
    sequential_actions_before_confirmation: int | None
    monthly_budget: float | None


class GateSummaryOut(Schema):
    phase: int
    state: Literal["pending", "go", "no_go", "needs_review"]
    last_decision: Literal["go", "no_go"] | None
    last_decided_at: datetime | None
    last_decided_by: str | None


class AgentOut(Schema):
    id: str
    name: str
    purpose: str
    business_unit: str
    owner: str
    state: Literal["active", "suspended"]
    suspended_reason: str | None
    suspended_since: datetime | None
    phase: int | Literal["production"]
    in_production: bool
    horizon: Literal["stabilization", "scaling", "optimization"] | None
    version: int
    current_prompt: str | None = Field(description="The tag of the current prompt version.")
    decision_boundaries: list[BoundaryOut]
    escalation_paths: list[EscalationPathOut]
    tool_permissions: list[ToolPermissionOut]
    guardrails: GuardrailsOut
    gates: list[GateSummaryOut]
    last_drill_at: datetime | None
    drill_flag: Literal["never", "overdue", "ok"]
    created_by: str
    created_at: datetime
    updated_at: datetime


class AgentListOut(Schema):
    items: list[AgentOut]
    count: int


def reason_out(reason) -> dict:
    return {"code": reason.code, "message": reason.message, **reason.extra}


def _open_suspension(agent: Agent) -> Suspension | None:
    if not agent.is_suspended:
        return None
    prefetched = getattr(agent, "open_suspensions", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return killswitch_selectors.open_suspension(agent=agent)


def agent_out(agent: Agent, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    today = now.date()
    states = gates_selectors.gate_states(agent)
    phase = rules.agent_phase(states)
    suspension = _open_suspension(agent)
    return {
        "id": str(agent.pk),
        "name": agent.name,
        "purpose": agent.purpose,
        "business_unit": agent.business_unit,
        "owner": agent.owner.get_username(),
        "state": agent.state,
        "suspended_reason": suspension.reason if suspension else None,
        "suspended_since": suspension.started_at if suspension else None,
        "phase": phase,
        "in_production": phase == rules.PRODUCTION,
        "horizon": agent.horizon or None,
        "version": agent.version,
        "current_prompt": agent.current_prompt.tag if agent.current_prompt else None,
        "decision_boundaries": [
            {"decision": b.decision, "mode": b.mode} for b in agent.decision_boundaries.all()
        ],
        "escalation_paths": [
            {"failure_state": p.failure_state, "owner": p.owner.get_username()}
            for p in agent.escalation_paths.all()
        ],
        "tool_permissions": [
            {
                "tool": t.tool,
                "access": t.access,
                "justification": t.justification,
                "last_used": t.last_used,
                "last_reviewed": t.last_reviewed,
                "created_at": t.created_at,
                "review_flags": [
                    reason_out(r)
                    for r in agents_rules.permission_review_reasons(
                        last_used=t.last_used,
                        last_reviewed=t.last_reviewed,
                        created=t.created_at.date(),
                        today=today,
                    )
                ],
            }
            for t in agent.tool_permissions.all()
        ],
        "guardrails": agent.guardrails(),
        "gates": [
            {
                "phase": g.phase,
                "state": g.state,
                "last_decision": g.last_decision,
                "last_decided_at": g.last_decided_at,
                "last_decided_by": g.last_decided_by,
            }
            for g in agent.gates.all()
        ],
        "last_drill_at": agent.last_drill_at,
        "drill_flag": killswitch_rules.drill_flag(agent.last_drill_at, now),
        "created_by": agent.created_by.get_username(),
        "created_at": agent.created_at,
        "updated_at": agent.updated_at,
    }


def _with_records(agents: list[Agent]) -> list[Agent]:
    """What agent_out reads beyond agent_queryset, in a constant number of queries."""
    prefetch_related_objects(
        agents,
        "decision_boundaries",
        "escalation_paths__owner",
        "tool_permissions",
        "created_by",
        killswitch_selectors.open_suspensions_prefetch(),
    )
    return agents


def _fresh(request, agent: Agent) -> Agent:
    return gates_selectors.agent_get(organization=request.auth.organization, pk=agent.pk)


@router.get("/agents", response={200: AgentListOut, **ERRORS}, auth=member)
def agent_list(request, params: Query[PageIn]):
    """The organization's agents, newest first, 50 a page."""
    offset, limit = paginate(params.page)
    items, count = gates_selectors.agent_page(
        organization=request.auth.organization, offset=offset, limit=limit
    )
    now = timezone.now()
    return {"items": [agent_out(a, now) for a in _with_records(items)], "count": count}


@router.post("/agents", response={201: AgentOut, **WRITE_ERRORS}, auth=assessor)
def agent_create(request, payload: Body[AgentCreateInput]):
    """Register an agent with its named owner (a member's username); records are optional. The
    body is checked by agents.inputs.AgentCreateInput: 400 naming each bad field."""
    created = overview_services.agent_create(membership=request.auth, data=payload)
    return Status(201, agent_out(_fresh(request, created)))


@router.get("/agents/{agent_id}", response={200: AgentOut, **ERRORS}, auth=member)
def agent_get(request, agent_id: str):
    return agent_out(request.tenant_objects["agent_id"])


@router.patch("/agents/{agent_id}", response={200: AgentOut, **WRITE_ERRORS}, auth=assessor)
def agent_update(request, agent_id: str, payload: Body[AgentUpdateInput]):
    """Change any fields; each list sent replaces the agent's list whole. Send the `version` you
    read to be told (409) when someone saved in between. A change to a gate's governance fields
    (phase 1: owner, boundaries, escalation paths, tool permissions; phase 3: guardrails) sends
    that gate, if at go, to needs_review. The body is checked by agents.inputs.AgentUpdateInput."""
    updated = overview_services.agent_update(
        agent=request.tenant_objects["agent_id"],
        membership=request.auth,
        data=payload,
        expected_version=payload.version,
    )
    return agent_out(_fresh(request, updated))
