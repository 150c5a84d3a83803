"""Reads of agents, gates and the kill switch, always scoped to an organization."""

from django.db.models import Max, OuterRef, Prefetch, Q, Subquery
from django.http import Http404

from assessments.selectors import assessment_latest_submitted

from . import rules
from .models import Agent, ChecklistItem, Gate, GateDecision, Suspension


def _gates_with_latest_decision():
    latest = GateDecision.objects.filter(gate=OuterRef("pk")).order_by("-decided_at", "-id")
    return Gate.objects.order_by("phase").annotate(
        last_decision=Subquery(latest.values("decision")[:1]),
        last_decided_at=Subquery(latest.values("decided_at")[:1]),
        last_decided_by=Subquery(latest.values("decided_by__username")[:1]),
    )


def agent_queryset(organization):
    return (
        Agent.objects.filter(organization=organization)
        .select_related("owner", "current_prompt")
        .prefetch_related(Prefetch("gates", queryset=_gates_with_latest_decision()))
        .annotate(last_drill_at=Max("suspensions__started_at", filter=Q(suspensions__kind="drill")))
    )


def agent_list(
    *,
    organization,
    business_unit: str = "",
    owner: str = "",
    state: str = "",
    suspended: str = "",
    order: str = "name",
) -> list[Agent]:
    qs = agent_queryset(organization)
    if business_unit:
        qs = qs.filter(business_unit=business_unit)
    if owner:
        qs = qs.filter(owner__username=owner)
    if suspended in ("yes", "no"):
        qs = qs.filter(state="suspended" if suspended == "yes" else "active")
    if state:  # any gate in that state
        qs = qs.filter(gates__state=state).distinct()
    orderings = {
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "business_unit": ("business_unit", "name"),
        "owner": ("owner__username", "name"),
        "created": ("-created_at", "-id"),
    }
    agents = list(qs.order_by(*orderings.get(order, orderings["name"])))
    if order in ("phase", "-phase"):
        agents.sort(key=lambda a: _phase_rank(a), reverse=order == "-phase")
    return agents


def _phase_rank(agent: Agent) -> int:
    phase = agent_phase(agent)
    return 5 if phase == rules.PRODUCTION else int(phase)


def agent_page(*, organization, offset: int, limit: int) -> tuple[list[Agent], int]:
    qs = agent_queryset(organization).order_by("-created_at", "-id")
    return list(qs[offset : offset + limit]), qs.count()


def agent_get(*, organization, pk) -> Agent:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such agent.") from None
    agent = (
        agent_queryset(organization)
        .prefetch_related(
            "decision_boundaries",
            "escalation_paths__owner",
            "tool_permissions",
        )
        .filter(pk=pk)
        .first()
    )
    if agent is None:
        raise Http404("No such agent.")
    return agent


def gate_states(agent: Agent) -> dict[int, str]:
    return {gate.phase: gate.state for gate in agent.gates.all()}


def agent_phase(agent: Agent):
    return rules.agent_phase(gate_states(agent))


def gate_detail(*, agent: Agent, phase: int) -> Gate:
    if phase not in (1, 2, 3, 4):
        raise Http404("No such phase.")
    return (
        Gate.objects.filter(agent=agent, phase=phase)
        .prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.select_related("updated_by")),
            Prefetch(
                "decisions",
                queryset=GateDecision.objects.select_related("decided_by").order_by(
                    "-decided_at", "-id"
                ),
            ),
        )
        .get()
    )


def gates_detail(*, agent: Agent) -> list[Gate]:
    return list(
        Gate.objects.filter(agent=agent)
        .order_by("phase")
        .prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.select_related("updated_by")),
            Prefetch(
                "decisions",
                queryset=GateDecision.objects.select_related("decided_by").order_by(
                    "-decided_at", "-id"
                ),
            ),
        )
    )


def readiness_facts(*, organization) -> rules.ReadinessFacts | None:
    latest = assessment_latest_submitted(organization=organization)
    if latest is None:
        return None
    return rules.ReadinessFacts(latest.verdict, latest.total, latest.submitted_at)


def open_suspension(*, agent: Agent) -> Suspension | None:
    return Suspension.objects.filter(agent=agent, ended_at__isnull=True).first()


def suspension_list(*, agent: Agent):
    return Suspension.objects.filter(agent=agent).select_related("started_by", "ended_by")


def drill_list(*, agent: Agent):
    return suspension_list(agent=agent).filter(kind=Suspension.Kind.DRILL)


def drill_get(*, agent: Agent, pk) -> Suspension:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such drill.") from None
    drill = drill_list(agent=agent).filter(pk=pk).first()
    if drill is None:
        raise Http404("No such drill.")
    return drill


def business_units(*, organization) -> list[str]:
    return sorted(
        set(
            Agent.objects.filter(organization=organization)
            .exclude(business_unit="")
            .values_list("business_unit", flat=True)
        )
    )


def latest_figures(*, agents: list[Agent]) -> dict[int, dict]:
    """Each agent's latest snapshot's derived figures (the greatest period_end), in two queries
    whatever the number of agents or snapshots."""
    from django.db.models import Subquery

    from . import metrics
    from .models import MetricSnapshot

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


def agent_summary(*, organization) -> dict:
    """Agents per phase, in production, suspended and needing review, in two queries."""
    states: dict[int, dict[int, str]] = {}
    for agent_id, phase, state in Gate.objects.filter(agent__organization=organization).values_list(
        "agent_id", "phase", "state"
    ):
        states.setdefault(agent_id, {})[phase] = state
    per_phase = {1: 0, 2: 0, 3: 0, 4: 0, rules.PRODUCTION: 0}
    for gates in states.values():
        per_phase[rules.agent_phase(gates)] += 1
    return {
        "total": len(states),
        "per_phase": [{"phase": p, "count": per_phase[p]} for p in (1, 2, 3, 4)],
        "production": per_phase[rules.PRODUCTION],
        "needs_review": sum(1 for g in states.values() if "needs_review" in g.values()),
        "suspended": Agent.objects.filter(organization=organization, state="suspended").count(),
    }
