"""Reads of outcome metrics and horizon decisions (docs/rules.md §3–4), always scoped to one
agent or a list of the organization's agents. Each read is a fixed number of queries, whatever
the number of snapshots."""

from django.db.models import Count, Max, Min, OuterRef, QuerySet, Subquery, Sum

from accounts.models import Organization
from agents.models import Agent
from agents.selectors import agent_in
from gates.models import Gate

from . import charts, metrics
from .models import AgentThresholds, HorizonDecision, MetricSnapshot

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


def outcomes_agent_get(*, organization: Organization, pk: int | str) -> Agent:
    """An agent of the organization as its outcomes page needs it (404 for any other), with
    `gate_state_map` (phase to state): two light queries. gates.selectors.agent_get also
    reads its records, prompt and each gate's latest decision, a third of this page's
    time for nothing the page shows."""
    agent = agent_in(Agent.objects.filter(organization=organization), pk)
    # An attribute of this instance only, for the page (Agent declares no such field).
    agent.gate_state_map = dict(  # type: ignore[attr-defined]
        Gate.objects.filter(agent=agent).values_list("phase", "state")
    )
    return agent


def snapshot_queryset(*, agent: Agent) -> QuerySet[MetricSnapshot]:
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


def snapshot_version(*, agent: Agent) -> tuple:
    """What identifies the set of the agent's snapshots, in one query: their count, greatest
    id, latest creation and the sums of the figures the charts draw (snapshots are added,
    never changed; the sums also tell apart sets whose ids a rolled-back test reused)."""
    sums = ("tasks", "tasks_completed", "escalations", "errors", "cost", "avg_cycle_time_s")
    baselines = ("baseline_cost_per_case", "baseline_cycle_time_s", "baseline_error_rate")
    row = MetricSnapshot.objects.filter(agent=agent).aggregate(
        count=Count("pk"),
        last=Max("pk"),
        created=Max("created_at"),
        first_start=Min("period_start"),
        last_end=Max("period_end"),
        **{name: Sum(name) for name in (*sums, *baselines)},
    )
    return tuple(str(value) for value in row.values())


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


def short_stabilizations(*, agents: list[Agent]) -> dict[int, dict]:
    """The agents whose stabilization minimum is below the usual one, each with its weeks and
    the reason recorded for it (docs/short-stabilization.md): one query, whatever the number of
    agents."""
    if not agents:
        return {}
    rows = AgentThresholds.objects.filter(
        agent__in=[a.pk for a in agents],
        stabilization_weeks__lt=AgentThresholds.STABILIZATION_USUAL_WEEKS,
    ).values_list("agent_id", "stabilization_weeks", "stabilization_reason")
    return {agent: {"weeks": weeks, "reason": reason} for agent, weeks, reason in rows}
