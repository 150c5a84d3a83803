"""Reads of outcome metrics, horizon decisions, risk assessments and the tool permissions due
for review (SPEC §3-4), always scoped to one agent or one organization.

Each read is a fixed number of queries, whatever the number of snapshots or permissions.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from . import metric_charts, rules
from .models import Agent, HorizonDecision, MetricSnapshot, RiskAssessment, ToolPermission

SERIES_FIELDS = (
    "period_start",
    "period_end",
    "tasks",
    "tasks_completed",
    "escalations",
    "errors",
    "cost",
    "avg_cycle_time_s",
    "baseline_cost_per_case",
    "baseline_cycle_time_s",
    "baseline_error_rate",
    "breaches",
)


def snapshot_queryset(*, agent: Agent):
    """The agent's snapshots, newest period first (the latest is the first)."""
    return MetricSnapshot.objects.filter(agent=agent).order_by("-period_end", "-id")


def snapshot_series(*, agent: Agent) -> list[metric_charts.MetricPoint]:
    """Every snapshot of the agent as a chart point, oldest first (one query)."""
    rows = (
        MetricSnapshot.objects.filter(agent=agent)
        .order_by("period_end", "id")
        .values(*SERIES_FIELDS)
    )
    return [
        metric_charts.metric_point(row, breaches=[b.get("threshold", "") for b in row["breaches"]])
        for row in rows
    ]


def horizon_decision_list(*, agent: Agent) -> list[HorizonDecision]:
    return list(
        HorizonDecision.objects.filter(agent=agent)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
    )


def risk_assessment_list(*, agent: Agent) -> list[RiskAssessment]:
    return list(
        RiskAssessment.objects.filter(agent=agent)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-id")
    )


@dataclass(frozen=True)
class PermissionToReview:
    permission: ToolPermission
    reasons: list[rules.Reason]

    @property
    def agent(self) -> Agent:
        return self.permission.agent


def permissions_to_review(*, organization, today: date) -> list[PermissionToReview]:
    """Every tool permission of the organization's agents that SPEC §4 flags: unused or not
    reviewed for more than 90 days (never used or never reviewed: counted from its creation).
    One query: the database narrows, the pure rule decides and words the reasons."""
    cutoff = today - rules.PERMISSION_MAX_AGE
    stale = (
        Q(last_used__lt=cutoff)
        | Q(last_used__isnull=True, created_at__date__lt=cutoff)
        | Q(last_reviewed__lt=cutoff)
        | Q(last_reviewed__isnull=True, created_at__date__lt=cutoff)
    )
    candidates = (
        ToolPermission.objects.filter(agent__organization=organization)
        .filter(stale)
        .select_related("agent")
        .order_by("agent__name", "agent_id", "position", "id")
    )
    flagged = []
    for permission in candidates:
        reasons = rules.permission_review_reasons(
            last_used=permission.last_used,
            last_reviewed=permission.last_reviewed,
            created=permission.created_at.date(),
            today=today,
        )
        if reasons:
            flagged.append(PermissionToReview(permission, reasons))
    return flagged
