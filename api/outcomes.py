"""/api/v1/agents/{id}/metrics, /thresholds and /horizon/advance (docs/api.md, docs/rules.md §3–4).

Snapshots are pushed by observability tools with an assessor's, operator's or admin's token;
each is checked against the agent's alert thresholds, and a breach suspends the agent through
the kill switch. Figures are fractions; a figure whose denominator is zero is null.
"""

from datetime import date, datetime
from typing import Literal

from ninja import Body, Query, Router, Schema, Status
from pydantic import Field, StrictStr

from core import permissions
from outcomes import metrics
from outcomes import selectors as outcomes_selectors
from outcomes import services as outcome_services
from outcomes.inputs import SnapshotInput, ThresholdsChange
from outcomes.models import MetricSnapshot

from .auth import MemberToken, member
from .schemas import ERRORS, WRITE_ERRORS, In, PageIn, paginate

router = Router(tags=["metrics and horizons"])
poster = MemberToken(ask=permissions.may_post_metrics)
admin = MemberToken(ask=permissions.may_change_thresholds)
approver = MemberToken(ask=permissions.may_advance_horizon)


class FiguresOut(Schema):
    task_completion_rate: float | None
    escalation_frequency: float | None
    error_rate: float | None
    cost_per_resolved_case: float | None
    cycle_time_reduction: float | None
    error_rate_vs_baseline: float | None
    cost_reduction: float | None


class BreachOut(Schema):
    threshold: str
    value: float
    limit: float
    message: str


class SnapshotOut(Schema):
    id: str
    period_start: date
    period_end: date
    tasks: int
    tasks_completed: int
    escalations: int
    errors: int
    cost: float
    avg_cycle_time_s: float
    baseline_cost_per_case: float
    baseline_cycle_time_s: float
    baseline_error_rate: float
    failed_tool_calls: int | None
    policy_violations: int | None
    quality_score: float | None
    calls_per_hour: float | None
    figures: FiguresOut
    breaches: list[BreachOut]
    created_at: datetime


class SnapshotPostedOut(SnapshotOut):
    suspended: bool


class SnapshotListOut(Schema):
    items: list[SnapshotOut]
    count: int


def snapshot_out(snapshot: MetricSnapshot) -> dict:
    values = snapshot.values()
    return {
        "id": str(snapshot.pk),
        **values,
        "figures": metrics.derived_figures(values),
        "breaches": snapshot.breaches,
        "created_at": snapshot.created_at,
    }


@router.post(
    "/agents/{agent_id}/metrics",
    response={201: SnapshotPostedOut, **WRITE_ERRORS},
    auth=poster,
)
def metrics_post(request, agent_id: str, payload: SnapshotInput):
    """Push one period's metrics. The body is checked by outcomes.inputs.SnapshotInput (counts
    whole numbers, amounts from 0 to 10^12, rates fractions, no count above the tasks, a
    period in order from 2000): 400 naming every bad field, and nothing is saved; so is a period
    that ends after today or overlaps a stored one. A snapshot that crosses an alert threshold
    suspends the agent (`"suspended": true`, with the breaches)."""
    result = outcome_services.metric_snapshot_post(
        agent=request.tenant_objects["agent_id"], membership=request.auth, data=payload
    )
    return Status(201, {**snapshot_out(result["snapshot"]), "suspended": result["suspended"]})


@router.get("/agents/{agent_id}/metrics", response={200: SnapshotListOut, **ERRORS}, auth=member)
def metrics_list(request, agent_id: str, params: Query[PageIn]):
    """The agent's snapshots, latest period first, 50 a page."""
    offset, limit = paginate(params.page)
    qs = outcomes_selectors.snapshot_queryset(agent=request.tenant_objects["agent_id"])
    return {"items": [snapshot_out(s) for s in qs[offset : offset + limit]], "count": qs.count()}


class ThresholdsOut(Schema):
    advance_completion_min: float
    advance_escalation_max: float
    advance_error_mode: Literal["baseline", "fixed"]
    advance_error_max: float | None
    alert_error_rate_max: float
    alert_escalation_max: float
    alert_completion_min: float
    alert_failed_tool_calls_max: float
    alert_policy_violations_max: int
    alert_quality_min: float
    alert_unregistered_tool_use: bool = True
    alert_error_rate_on: bool = Field(
        default=True, description="Off: the error-rate alert never fires."
    )
    alert_escalation_on: bool = True
    alert_completion_on: bool = True
    alert_quality_on: bool = Field(
        default=True, description="Off: phase 4's quality_threshold item is unmet."
    )
    auto_suspend: bool = Field(
        default=True,
        description="A crossed alert threshold suspends the agent; off, phase 4's auto_suspend "
        "item is unmet.",
    )
    budget_alert_percent: int | None = Field(
        default=80,
        description="Warn at this share (1-100) of the monthly budget; null is no alert, and "
        "phase 3's budget_alerts item is unmet.",
    )
    stabilization_weeks: int
    stabilization_reason: str = Field(
        default="",
        description="Why the minimum is below 8 weeks (required then in a PATCH); else empty.",
    )
    api_calls_per_hour_limit: int | None = Field(
        description="The guardrail that calls_per_hour is checked against (agent record)."
    )


def thresholds_out(agent) -> dict:
    t = outcome_services.thresholds_of(agent)
    short = outcomes_selectors.short_stabilizations(agents=[agent]).get(agent.pk, {})
    return {name: getattr(t, name) for name in outcome_services.THRESHOLD_FIELDS} | {
        "stabilization_reason": short.get("reason", ""),
        "api_calls_per_hour_limit": agent.api_calls_per_hour,
    }


@router.get("/agents/{agent_id}/thresholds", response={200: ThresholdsOut, **ERRORS}, auth=member)
def thresholds_get(request, agent_id: str):
    return thresholds_out(request.tenant_objects["agent_id"])


@router.patch(
    "/agents/{agent_id}/thresholds", response={200: ThresholdsOut, **WRITE_ERRORS}, auth=admin
)
def thresholds_patch(request, agent_id: str, payload: Body[ThresholdsChange]):
    """Change any thresholds (admin): only the fields sent change. The body is checked by
    outcomes.inputs.ThresholdsChange (fractions 0–1, switches true or false, the budget alert
    a whole percentage or null): 400 naming each bad field. Changing an alert threshold or
    switch sends phase 4, if at go, to needs_review. Setting stabilization_weeks below 8 needs
    stabilization_reason (400 naming it otherwise)."""
    agent = request.tenant_objects["agent_id"]
    outcome_services.thresholds_update(agent=agent, membership=request.auth, data=payload)
    return thresholds_out(agent)


class AdvanceIn(In):
    rationale: StrictStr


class AdvanceOut(Schema):
    horizon: Literal["stabilization", "scaling", "optimization"]
    previous: str
    figures: FiguresOut
    decided_by: str
    decided_at: datetime


@router.post(
    "/agents/{agent_id}/horizon/advance",
    response={201: AdvanceOut, **WRITE_ERRORS},
    auth=approver,
)
def horizon_advance(request, agent_id: str, payload: AdvanceIn):
    """Advance to the next rollout horizon (approver, not the owner). 409 lists each reason:
    the figures that fall short of their thresholds, the weeks of stabilization left, a
    suspended agent, one not in production."""
    decision = outcome_services.horizon_advance(
        agent=request.tenant_objects["agent_id"],
        membership=request.auth,
        rationale=payload.rationale,
    )
    return Status(
        201,
        {
            "horizon": decision.to_horizon,
            "previous": decision.from_horizon,
            "figures": decision.figures,
            "decided_by": decision.decided_by.get_username(),
            "decided_at": decision.decided_at,
        },
    )
