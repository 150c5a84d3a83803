"""/api/v1/agents: the registry, phase gates, prompt versions, the kill switch and drills, and the
run status an agent's runtime reads (shared/API.md, SPEC §2 and §4).

Tenancy and roles are settled in the auth step (api/auth.py): `agent_id`, `phase` and `drill_id`
resolve within the token's organization (404) before the role (403) and the body (400).
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from ninja import Body, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, WithJsonSchema

from accounts.roles import (
    can_decide_gate,
    can_edit_agent,
    can_end_drill,
    can_resume_agent,
    can_suspend_agent,
)
from agents import rules, selectors, services
from agents.checklists import PHASES, phase_definition
from agents.models import Agent, AgentToken, Gate, GateDecision, PromptVersion, Suspension

from .auth import AgentRuntimeToken, MemberToken, member, tenant_lookup
from .schemas import ERRORS, WRITE_ERRORS, PageIn, paginate

router = Router(tags=["agents"])
assessor = MemberToken(
    allow=can_edit_agent,
    denied="Only an assessor may register agents, edit their records, fill gate checklists or "
    "post prompt versions.",
)
approver = MemberToken(allow=can_decide_gate, denied="Only an approver may decide gates.")
operator = MemberToken(
    allow=can_suspend_agent, denied="Only an operator may suspend an agent or start a drill."
)
resumer = MemberToken(
    allow=can_resume_agent, denied="Only an approver may resume a suspended agent."
)
drill_ender = MemberToken(
    allow=can_end_drill,
    denied="Only the operator who started the drill, or an approver, may end it.",
)
status_reader = AgentRuntimeToken()


@tenant_lookup("agent_id")
def _agent(organization, raw):
    return selectors.agent_get(organization=organization, pk=raw)


@tenant_lookup("phase")
def _phase(organization, raw):
    if raw not in {str(p) for p in PHASES}:
        raise Http404("No such phase.")
    return int(raw)


@tenant_lookup("drill_id", within="agent_id")
def _drill(agent, raw):
    return selectors.drill_get(agent=agent, pk=raw)


# Numbers are checked by the services (agents.rules.non_negative_number_error), which refuse
# strings, booleans, NaN and infinities: the schema only documents them.
NumberIn = Annotated[Any, WithJsonSchema({"type": "number", "minimum": 0})]
DateIn = Annotated[StrictStr | None, WithJsonSchema({"type": "string", "format": "date"})]


class RuleReasonOut(BaseModel):
    """A rule's reason; codes may carry more fields (e.g. `items` of unmet_items)."""

    code: str
    message: str

    model_config = ConfigDict(extra="allow")


# --- agents ------------------------------------------------------------------------------------


class BoundaryIn(Schema):
    decision: StrictStr
    mode: Literal["alone", "escalate"]


class EscalationPathIn(Schema):
    failure_state: StrictStr
    owner: StrictStr = Field(description="The escalation owner's username (a member).")


class ToolPermissionIn(Schema):
    tool: StrictStr
    access: Literal["read", "write", "admin"]
    justification: StrictStr = ""
    last_used: DateIn = None
    last_reviewed: DateIn = None


class GuardrailsIn(Schema):
    api_calls_per_hour: StrictInt | None = None
    tokens_per_session: StrictInt | None = None
    sequential_actions_before_confirmation: StrictInt | None = None
    monthly_budget: Annotated[Any, WithJsonSchema({"type": ["number", "null"], "minimum": 0})] = (
        None
    )

    model_config = {"extra": "forbid"}


class RecordsIn(Schema):
    """The records of SPEC §2; each list sent replaces the agent's whole list."""

    purpose: StrictStr | None = None
    business_unit: StrictStr | None = None
    decision_boundaries: list[BoundaryIn] | None = None
    escalation_paths: list[EscalationPathIn] | None = None
    tool_permissions: list[ToolPermissionIn] | None = None
    guardrails: GuardrailsIn | None = Field(
        default=None, description="Only the limits sent change; null clears one."
    )


class AgentCreateIn(RecordsIn):
    name: StrictStr
    owner: StrictStr = Field(description="The owner's username (a member of the organization).")


class AgentUpdateIn(RecordsIn):
    name: StrictStr | None = None
    owner: StrictStr | None = Field(default=None, description="The owner's username.")
    version: StrictInt | None = Field(
        default=None, description="The version you read; a stale one answers 409."
    )


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
    return selectors.open_suspension(agent=agent)


def agent_out(agent: Agent, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    today = now.date()
    states = selectors.gate_states(agent)
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
                    for r in rules.permission_review_reasons(
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
        "drill_flag": rules.drill_flag(agent.last_drill_at, now),
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
        Prefetch(
            "suspensions",
            queryset=Suspension.objects.filter(ended_at__isnull=True),
            to_attr="open_suspensions",
        ),
    )
    return agents


def _fresh(request, agent: Agent) -> Agent:
    return selectors.agent_get(organization=request.auth.organization, pk=agent.pk)


@router.get("/agents", response={200: AgentListOut, **ERRORS}, auth=member)
def agent_list(request, params: Query[PageIn]):
    """The organization's agents, newest first, 50 a page."""
    offset, limit = paginate(params.page)
    items, count = selectors.agent_page(
        organization=request.auth.organization, offset=offset, limit=limit
    )
    now = timezone.now()
    return {"items": [agent_out(a, now) for a in _with_records(items)], "count": count}


@router.post("/agents", response={201: AgentOut, **WRITE_ERRORS}, auth=assessor)
def agent_create(request, payload: AgentCreateIn):
    """Register an agent with its named owner (a member's username); records are optional."""
    created = services.agent_create(
        membership=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, agent_out(_fresh(request, created)))


@router.get("/agents/{agent_id}", response={200: AgentOut, **ERRORS}, auth=member)
def agent_get(request, agent_id: str):
    return agent_out(request.tenant_objects["agent_id"])


@router.patch("/agents/{agent_id}", response={200: AgentOut, **WRITE_ERRORS}, auth=assessor)
def agent_update(request, agent_id: str, payload: AgentUpdateIn):
    """Change any fields; each list sent replaces the agent's list whole. Send the `version` you
    read to be told (409) when someone saved in between. A change to a gate's governance fields
    (phase 1: owner, boundaries, escalation paths, tool permissions; phase 3: guardrails) sends
    that gate, if at go, to needs_review."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    updated = services.agent_update(
        agent=request.tenant_objects["agent_id"],
        membership=request.auth,
        data=data,
        expected_version=version,
    )
    return agent_out(_fresh(request, updated))


# --- gates -------------------------------------------------------------------------------------


class ChecklistItemOut(Schema):
    key: str
    label: str
    met: bool
    evidence: str
    updated_by: str | None
    updated_at: datetime | None


class UnmetItemOut(Schema):
    key: str
    label: str


class DecisionOut(Schema):
    id: str
    phase: int
    decision: Literal["go", "no_go"]
    rationale: str
    unmet_items: list[UnmetItemOut]
    readiness: dict | None = Field(
        description="Phase 4: the readiness assessment the decision relied on."
    )
    decided_by: str
    decided_at: datetime


class GateOut(Schema):
    phase: int
    name: str
    state: Literal["pending", "go", "no_go", "needs_review"]
    version: int = Field(description="Send it with a decision to be told (409) of a change.")
    review_reason: str
    checklist: list[ChecklistItemOut]
    decisions: list[DecisionOut] = Field(description="Every decision, newest first.")
    go_blockers: list[RuleReasonOut] = Field(
        description="Why a go would be refused for you now (empty: it would be recorded)."
    )


class ChecklistItemIn(Schema):
    met: StrictBool | None = None
    evidence: StrictStr | None = Field(default=None, description="A note or a link.")

    model_config = {"extra": "forbid"}


class DecisionIn(Schema):
    decision: Annotated[StrictStr, WithJsonSchema({"type": "string", "enum": ["go", "no_go"]})]
    rationale: StrictStr
    version: StrictInt | None = Field(
        default=None, description="The gate version you saw; a changed gate answers 409."
    )


def decision_out(decision: GateDecision, phase: int) -> dict:
    return {
        "id": str(decision.pk),
        "phase": phase,
        "decision": decision.decision,
        "rationale": decision.rationale,
        "unmet_items": decision.unmet_items,
        "readiness": decision.readiness,
        "decided_by": decision.decided_by.get_username(),
        "decided_at": decision.decided_at,
    }


def gate_out(gate: Gate, agent: Agent, membership) -> dict:
    definition = phase_definition(gate.phase)
    items = {item.key: item for item in gate.items.all()}
    checklist = []
    for spec in definition.items:
        item = items.get(spec.key)
        checklist.append(
            {
                "key": spec.key,
                "label": spec.label,
                "met": bool(item and item.met),
                "evidence": item.evidence if item else "",
                "updated_by": item.updated_by.get_username() if item and item.updated_by else None,
                "updated_at": item.updated_at if item else None,
            }
        )
    blockers = services.gate_go_reasons(agent=agent, phase=gate.phase, membership=membership)
    return {
        "phase": gate.phase,
        "name": definition.name,
        "state": gate.state,
        "version": gate.version,
        "review_reason": gate.review_reason,
        "checklist": checklist,
        "decisions": [decision_out(d, gate.phase) for d in gate.decisions.all()],
        "go_blockers": [reason_out(r) for r in blockers],
    }


@router.get("/agents/{agent_id}/gates", response={200: list[GateOut], **ERRORS}, auth=member)
def gate_list(request, agent_id: str):
    """The four gates in order, each with its checklist, every decision and what blocks a go."""
    agent = request.tenant_objects["agent_id"]
    return [gate_out(g, agent, request.auth) for g in selectors.gates_detail(agent=agent)]


@router.patch(
    "/agents/{agent_id}/gates/{phase}/checklist",
    response={200: GateOut, **WRITE_ERRORS},
    auth=assessor,
)
def gate_checklist(request, agent_id: str, phase: str, payload: Body[dict[str, ChecklistItemIn]]):
    """Mark items met or not, with evidence: `{"<item key>": {"met": true, "evidence": "..."}}`.
    An unknown key is 400; all or nothing. A change sends the gate, if at go, to needs_review."""
    agent = request.tenant_objects["agent_id"]
    phase_number = request.tenant_objects["phase"]
    services.checklist_update(
        agent=agent,
        phase=phase_number,
        membership=request.auth,
        changes={key: item.model_dump(exclude_unset=True) for key, item in payload.items()},
    )
    return gate_out(selectors.gate_detail(agent=agent, phase=phase_number), agent, request.auth)


@router.post(
    "/agents/{agent_id}/gates/{phase}/decisions",
    response={201: DecisionOut, **WRITE_ERRORS},
    auth=approver,
)
def gate_decision(request, agent_id: str, phase: str, payload: DecisionIn):
    """Record a go or a no-go with its rationale. A go the rules forbid is 409 listing every
    reason (unmet items, earlier phase not at go, readiness not ready / missing / over 90 days old
    for phase 4, you own the agent, the gate changed); a no-go stores the unmet items."""
    phase_number = request.tenant_objects["phase"]
    record = services.gate_decide(
        agent=request.tenant_objects["agent_id"],
        phase=phase_number,
        membership=request.auth,
        decision=payload.decision,
        rationale=payload.rationale,
        expected_version=payload.version,
    )
    return Status(201, decision_out(record, phase_number))


# --- prompt versions ---------------------------------------------------------------------------


class PromptVersionIn(Schema):
    tag: StrictStr
    regression_passed: StrictBool
    adversarial_passed: StrictBool
    delta: NumberIn = Field(description="Change against the prior version's outputs, ≥ 0.")
    tolerance: NumberIn = Field(description="The largest delta that may ship, ≥ 0.")
    rollback_target: StrictStr = Field(default="", description="The tag to roll back to.")


class ShipReasonOut(Schema):
    code: Literal["regression_failed", "adversarial_failed", "delta_above_tolerance"]
    message: str


class PromptVersionOut(Schema):
    id: str
    tag: str
    ship: bool
    reasons: list[ShipReasonOut] = Field(description="Why it may not ship (empty when it may).")
    regression_passed: bool
    adversarial_passed: bool
    delta: float
    tolerance: float
    rollback_target: str
    current: bool = Field(description="Whether it is the agent's current prompt version.")
    created_by: str
    created_at: datetime


class PromptVersionListOut(Schema):
    items: list[PromptVersionOut]
    count: int


def prompt_version_out(version: PromptVersion, current_id: int | None) -> dict:
    return {
        "id": str(version.pk),
        "tag": version.tag,
        "ship": version.ship,
        "reasons": version.reasons,
        "regression_passed": version.regression_passed,
        "adversarial_passed": version.adversarial_passed,
        "delta": version.delta,
        "tolerance": version.tolerance,
        "rollback_target": version.rollback_target,
        "current": version.pk == current_id,
        "created_by": version.created_by.get_username(),
        "created_at": version.created_at,
    }


@router.post(
    "/agents/{agent_id}/prompt-versions",
    response={201: PromptVersionOut, **WRITE_ERRORS},
    auth=assessor,
)
def prompt_version_post(request, agent_id: str, payload: PromptVersionIn):
    """The deployment gate a CI pipeline calls: it ships only when both suites passed and
    0 ≤ delta ≤ tolerance. A shipping version becomes the current one and meets phase 2's items;
    one that may not ship is recorded with its reasons and changes nothing else. A tag the agent
    already has is 409; a negative or non-numeric delta or tolerance is 400."""
    version = services.prompt_version_post(
        agent=request.tenant_objects["agent_id"], membership=request.auth, data=payload.model_dump()
    )
    agent = Agent.objects.only("current_prompt_id").get(pk=version.agent_id)
    return Status(201, prompt_version_out(version, agent.current_prompt_id))


@router.get(
    "/agents/{agent_id}/prompt-versions",
    response={200: PromptVersionListOut, **ERRORS},
    auth=member,
)
def prompt_version_list(request, agent_id: str, params: Query[PageIn]):
    """Every prompt version posted, newest first, 50 a page."""
    agent = request.tenant_objects["agent_id"]
    offset, limit = paginate(params.page)
    versions = agent.prompt_versions.select_related("created_by").order_by("-created_at", "-id")
    current_id = agent.current_prompt_id
    return {
        "items": [prompt_version_out(v, current_id) for v in versions[offset : offset + limit]],
        "count": versions.count(),
    }


# --- kill switch, drills and the runtime's status ----------------------------------------------


class ReasonIn(Schema):
    reason: StrictStr


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
def agent_suspend(request, agent_id: str, payload: ReasonIn):
    """Trigger the kill switch now, with a reason; answers the agent, now suspended. Not
    idempotent: suspending an agent already suspended is 409 `already_suspended` and changes
    nothing (the first reason stands)."""
    agent = request.tenant_objects["agent_id"]
    services.agent_suspend(agent=agent, membership=request.auth, reason=payload.reason)
    return agent_out(_fresh(request, agent))


@router.post("/agents/{agent_id}/resume", response={200: AgentOut, **WRITE_ERRORS}, auth=resumer)
def agent_resume(request, agent_id: str, payload: ReasonIn):
    """Resume a suspended agent (a drill too), with a reason; 409 `not_suspended` when it is
    active, `owner_cannot_decide` when you own it."""
    agent = request.tenant_objects["agent_id"]
    services.agent_resume(agent=agent, membership=request.auth, reason=payload.reason)
    return agent_out(_fresh(request, agent))


@router.post("/agents/{agent_id}/drills", response={201: DrillOut, **WRITE_ERRORS}, auth=operator)
def drill_start(request, agent_id: str):
    """Start a kill-switch drill: the agent is really suspended until the drill ends."""
    drill = services.drill_start(agent=request.tenant_objects["agent_id"], membership=request.auth)
    return Status(201, drill_out(drill))


@router.post(
    "/agents/{agent_id}/drills/{drill_id}/end",
    response={200: DrillOut, **WRITE_ERRORS},
    auth=drill_ender,
)
def drill_end(request, agent_id: str, drill_id: str):
    """End a drill (the operator who started it, or an approver): the agent resumes and the
    drill keeps its time to stop."""
    drill = services.drill_end(
        agent=request.tenant_objects["agent_id"],
        drill=request.tenant_objects["drill_id"],
        membership=request.auth,
    )
    return drill_out(drill)


@router.get("/agents/{agent_id}/drills", response={200: DrillListOut, **ERRORS}, auth=member)
def drill_list(request, agent_id: str, params: Query[PageIn]):
    """The agent's drills, newest first, 50 a page."""
    offset, limit = paginate(params.page)
    drills = selectors.drill_list(agent=request.tenant_objects["agent_id"])
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
        return services.agent_status_read(agent=agent)
    suspension = selectors.open_suspension(agent=agent)
    if suspension is None:
        return {"state": "active", "reason": None, "since": None}
    return {"state": "suspended", "reason": suspension.reason, "since": suspension.started_at}
