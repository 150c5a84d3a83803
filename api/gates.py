"""/api/v1/agents/{id}/gates and /prompt-versions: checklists, go / no-go decisions and the
prompt versions CI posts through the deployment gate (docs/api.md)."""

from datetime import datetime
from typing import Literal

from django.http import Http404
from ninja import Body, Query, Router, Schema, Status
from pydantic import Field

from agents.models import Agent
from core import permissions
from gates import selectors as gates_selectors
from gates import services as gates_services
from gates.checklists import PHASES, phase_definition
from gates.inputs import AttestationChange, DecisionInput, PromptVersionInput
from gates.models import Gate, GateDecision, PromptVersion
from gates.promptfoo import suite_from_json

from .agents import RuleReasonOut, assessor, reason_out
from .auth import MemberToken, member, tenant_lookup
from .schemas import ERRORS, WRITE_ERRORS, PageIn, paginate

router = Router(tags=["gates"])


approver = MemberToken(ask=permissions.may_decide_gate)


@tenant_lookup("phase")
def _phase(organization, raw):
    if raw not in {str(p) for p in PHASES}:
        raise Http404("No such phase.")
    return int(raw)


class ChecklistItemOut(Schema):
    key: str
    label: str
    met: bool
    source: Literal["derived", "observed", "attested"] = Field(
        description="derived: computed from the records; observed: from telemetry; attested: "
        "by an assessor, for tracing or the quality threshold only."
    )
    evidence: str = Field(description="What the item was computed from, in words.")
    attested_by: str | None = Field(description="Who attested it (source attested), else null.")
    attested_at: datetime | None


class UnmetItemOut(Schema):
    key: str
    label: str


class DecisionOut(Schema):
    id: str
    phase: int
    decision: Literal["go", "no_go"]
    rationale: str
    unmet_items: list[UnmetItemOut]
    evidence: list[dict] = Field(
        description="The phase's items as the decider saw them: key, met, source, evidence."
    )
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


def decision_out(decision: GateDecision, phase: int) -> dict:
    return {
        "id": str(decision.pk),
        "phase": phase,
        "decision": decision.decision,
        "rationale": decision.rationale,
        "unmet_items": decision.unmet_items,
        "evidence": decision.evidence,
        "readiness": decision.readiness,
        "decided_by": decision.decided_by.get_username(),
        "decided_at": decision.decided_at,
    }


def gate_out(gate: Gate, agent: Agent, membership, evidence=None) -> dict:
    """One gate as the API shows it; `evidence` is (facts, states) of
    gates_selectors.agent_facts_and_items, read here when not given."""
    definition = phase_definition(gate.phase)
    facts, states = evidence or gates_selectors.agent_facts_and_items(agent=agent)
    items = {item.key: item for item in gate.items.all()}
    checklist = []
    for spec in definition.items:
        state, item = states[spec.key], items.get(spec.key)
        attested = state.source == "attested" and item is not None
        checklist.append(
            {
                "key": spec.key,
                "label": spec.label,
                "met": state.met,
                "source": state.source,
                "evidence": state.evidence,
                "attested_by": item.updated_by.get_username()
                if attested and item.updated_by
                else None,
                "attested_at": item.updated_at if attested else None,
            }
        )
    blockers = gates_services.gate_go_reasons(
        agent=agent, phase=gate.phase, membership=membership, facts=facts, states=states
    )
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
    evidence = gates_selectors.agent_facts_and_items(agent=agent)
    return [
        gate_out(g, agent, request.auth, evidence)
        for g in gates_selectors.gates_detail(agent=agent)
    ]


@router.patch(
    "/agents/{agent_id}/gates/{phase}/checklist",
    response={200: GateOut, **WRITE_ERRORS},
    auth=assessor,
)
def gate_checklist(request, agent_id: str, phase: str, payload: Body[dict[str, AttestationChange]]):
    """Attest tracing or the quality threshold, for teams whose traces go elsewhere:
    `{"tracing": {"met": true, "evidence": "<link or note>"}}` (evidence required), or withdraw
    an attestation with `{"met": false}`. Every other item is computed from the records and
    telemetry: setting it is 400 naming it, as is an unknown key; all or nothing. The agent's
    owner may not attest (409 owner_cannot_attest). A withdrawal that unmeets an item sends
    the gate, if at go, to needs_review."""
    agent = request.tenant_objects["agent_id"]
    phase_number = request.tenant_objects["phase"]
    gates_services.checklist_update(
        agent=agent,
        phase=phase_number,
        membership=request.auth,
        changes=dict(payload),
    )
    return gate_out(
        gates_selectors.gate_detail(agent=agent, phase=phase_number), agent, request.auth
    )


@router.post(
    "/agents/{agent_id}/gates/{phase}/decisions",
    response={201: DecisionOut, **WRITE_ERRORS},
    auth=approver,
)
def gate_decision(request, agent_id: str, phase: str, payload: DecisionInput):
    """Record a go or a no-go with its rationale. A go the rules forbid is 409 listing every
    reason (unmet items, earlier phase not at go, readiness not ready / missing / over 90 days old
    for phase 4, you own the agent, the gate changed); a no-go stores the unmet items."""
    phase_number = request.tenant_objects["phase"]
    record = gates_services.gate_decide(
        agent=request.tenant_objects["agent_id"],
        phase=phase_number,
        membership=request.auth,
        decision=payload,  # checked by ninja with gates.inputs.DecisionInput
    )
    return Status(201, decision_out(record, phase_number))


class ShipReasonOut(Schema):
    code: Literal["regression_failed", "adversarial_failed", "delta_above_tolerance"]
    message: str


class SuiteOut(Schema):
    passed: int
    failed: int
    errors: int
    total: int
    pass_rate: float | None = Field(description="Percentage of tests passed; null if none ran.")
    tests: dict[str, Literal["pass", "fail", "error"]] = Field(
        description="Each test's outcome, keyed by its description (with the prompt's label "
        "first when the run has several), else by its variables."
    )


class PromptVersionOut(Schema):
    id: str
    tag: str
    ship: bool
    reasons: list[ShipReasonOut] = Field(description="Why it may not ship (empty when it may).")
    regression_passed: bool
    adversarial_passed: bool
    regression_results: SuiteOut | None = Field(
        description="The counts and outcomes of a regression suite sent as results, else null."
    )
    adversarial_results: SuiteOut | None = Field(
        description="The counts and outcomes of an adversarial suite sent as results, else null."
    )
    pass_rate_threshold: float | None
    delta: float
    delta_source: Literal["given", "computed", "first_version", "no_previous_results"] = Field(
        description="given: sent by CI; computed: against delta_against's stored results; "
        "first_version / no_previous_results: 0, nothing to compare with."
    )
    delta_against: str | None = Field(description="The tag the delta was computed against.")
    tolerance: float
    rollback_target: str
    current: bool = Field(description="Whether it is the agent's current prompt version.")
    created_by: str
    created_at: datetime


class PromptVersionListOut(Schema):
    items: list[PromptVersionOut]
    count: int


def _suite_out(stored) -> dict | None:
    suite = suite_from_json(stored)
    if suite is None:
        return None
    return {
        "passed": suite.passed,
        "failed": suite.failed,
        "errors": suite.errors,
        "total": suite.total,
        "pass_rate": suite.pass_rate(),
        "tests": suite.outcomes,
    }


def prompt_version_out(version: PromptVersion, current_id: int | None) -> dict:
    return {
        "id": str(version.pk),
        "tag": version.tag,
        "ship": version.ship,
        "reasons": version.reasons,
        "regression_passed": version.regression_passed,
        "adversarial_passed": version.adversarial_passed,
        "regression_results": _suite_out(version.regression_results),
        "adversarial_results": _suite_out(version.adversarial_results),
        "pass_rate_threshold": version.pass_rate_threshold,
        "delta": version.delta,
        "delta_source": version.delta_source,
        "delta_against": version.delta_against or None,
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
def prompt_version_post(request, agent_id: str, payload: PromptVersionInput):
    """The deployment gate a CI pipeline calls: it ships only when both suites passed and
    0 ≤ delta ≤ tolerance. Each suite is a boolean or promptfoo's results file; without a delta
    it is computed against the current version's results. A shipping version becomes the
    current one and meets phase 2's items; one that may not ship is recorded with its reasons
    and changes nothing else. A tag the agent already has is 409; bad input is 400. Bodies up
    to 20 MiB."""
    version = gates_services.prompt_version_post(
        agent=request.tenant_objects["agent_id"],
        membership=request.auth,
        data=payload,  # checked by ninja with gates.inputs.PromptVersionInput
    )
    current_id = version.pk if version.ship else version.agent.current_prompt_id
    return Status(201, prompt_version_out(version, current_id))


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
