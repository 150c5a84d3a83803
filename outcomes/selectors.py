"""Reads of outcome metrics and horizon decisions (docs/rules.md §3–4), always scoped to one
agent or a list of the organization's agents. Each read is a fixed number of queries, whatever
the number of snapshots."""

from django.db.models import OuterRef, Subquery

from agents.models import Agent

from . import charts, metrics
from .models import HorizonDecision, MetricSnapshot

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


def snapshot_series(*, agent: Agent) -> list[charts.MetricPoint]:
    """Every snapshot of the agent as a chart point, oldest first (one query)."""
    rows = (
        MetricSnapshot.objects.filter(agent=agent)
        .order_by("period_end", "id")
        .values(*SERIES_FIELDS)
    )
    return [
        charts.metric_point(row, breaches=[b.get("threshold", "") for b in row["breaches"]])
        for row in rows
    ]


def horizon_decision_list(*, agent: Agent) -> list[HorizonDecision]:
    return list(
        HorizonDecision.objects.filter(agent=agent)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
    )


def latest_figures(*, agents: list[Agent]) -> dict[int, dict]:
    """Each agent's latest snapshot's derived figures (the greatest period_end), in two queries
    whatever the number of agents or snapshots."""
    if not agents:
        return {}
    latest = MetricSnapshot.objects.filter(agent=OuterRef("pk")).order_by("-period_end", "-id")
    ids = (
        Agent.objects.filter(pk__in=[a.pk for a in agents])
        .annotate(latest=Subquery(latest.values("pk")[:1]))
        .exclude(latest=None)
        .values_list("latest", flat=True)
    )
    return {
        s.agent_id: {"period_end": s.period_end, **metrics.derived_figures(s.values())}
        for s in MetricSnapshot.objects.filter(pk__in=list(ids))
    }


def snapshot_periods(*, agent: Agent) -> list[tuple]:
    """The (period_start, period_end) of every snapshot of the agent, in one query."""
    return list(
        MetricSnapshot.objects.filter(agent=agent).values_list("period_start", "period_end")
    )
