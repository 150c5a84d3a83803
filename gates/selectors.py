"""Reads of agents with their gates, and of the gates themselves, always scoped to an
organization. The readiness facts phase 4 needs come from assessments."""

from datetime import datetime
from typing import cast

from django.db.models import Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from accounts.models import Organization
from accounts.selectors import active_member_user_ids
from agents.models import Agent
from agents.selectors import agent_in
from assessments.selectors import assessment_latest_verdict

from . import rules

# The computed checklist items (gates/evidence_selectors.py), read with the other gate reads.
from .evidence_selectors import agent_evidence as agent_evidence
from .evidence_selectors import agent_facts_and_items as agent_facts_and_items
from .evidence_selectors import evidence_of_many as evidence_of_many
from .evidence_selectors import item_counts_of as item_counts_of
from .evidence_selectors import phase_items as phase_items
from .models import ChecklistItem, Gate, GateDecision


def _gates_with_latest_decision() -> QuerySet[Gate]:
    latest = GateDecision.objects.filter(gate=OuterRef("pk")).order_by("-decided_at", "-id")
    return Gate.objects.order_by("phase").annotate(
        last_decision=Subquery(latest.values("decision")[:1]),
        last_decided_at=Subquery(latest.values("decided_at")[:1]),
        last_decided_by=Subquery(latest.values("decided_by__username")[:1]),
    )


def agent_queryset(organization: Organization) -> QuerySet[Agent]:
    return (
        Agent.objects.filter(organization=organization)
        .select_related("owner", "current_prompt")
        .prefetch_related(Prefetch("gates", queryset=_gates_with_latest_decision()))
        .annotate(last_drill_at=Max("suspensions__started_at", filter=Q(suspensions__kind="drill")))
    )


AGENT_ORDERINGS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "business_unit": ("business_unit", "name"),
    "owner": ("owner__username", "name"),
    "created": ("-created_at", "-id"),
}


def agents_filtered(
    qs: QuerySet[Agent],
    *,
    business_unit: str = "",
    owner: str = "",
    state: str = "",
    suspended: str = "",
    order: str = "name",
) -> QuerySet[Agent]:
    """The board's filters and database order over a queryset of agents (the phase orders
    are sorted afterwards, in Python, by their callers)."""
    if business_unit:
        qs = qs.filter(business_unit=business_unit)
    if owner:
        qs = qs.filter(owner__username=owner)
    if suspended in ("yes", "no"):
        qs = qs.filter(state="suspended" if suspended == "yes" else "active")
    if state:  # any gate in that state
        qs = qs.filter(gates__state=state).distinct()
    return qs.order_by(*AGENT_ORDERINGS.get(order, AGENT_ORDERINGS["name"]))


def agent_list(
    *,
    organization: Organization,
    business_unit: str = "",
    owner: str = "",
    state: str = "",
    suspended: str = "",
    order: str = "name",
) -> list[Agent]:
    qs = agents_filtered(
        agent_queryset(organization),
        business_unit=business_unit,
        owner=owner,
        state=state,
        suspended=suspended,
        order=order,
    )
    agents = list(qs)
    if order in ("phase", "-phase"):
        agents.sort(key=lambda a: _phase_rank(a), reverse=order == "-phase")
    return agents


def _phase_rank(agent: Agent) -> int:
    phase = agent_phase(agent)
    return 5 if phase == rules.PRODUCTION else int(phase)


def agent_page(*, organization: Organization, offset: int, limit: int) -> tuple[list[Agent], int]:
    qs = agent_queryset(organization).order_by("-created_at", "-id")
    return list(qs[offset : offset + limit]), qs.count()


def agent_get(*, organization: Organization, pk: int | str) -> Agent:
    """An agent of the organization with its records and its gates (404 for any other)."""
    return agent_in(
        agent_queryset(organization).prefetch_related(
            "decision_boundaries", "escalation_paths__owner", "tool_permissions"
        ),
        pk,
    )


def agent_row_get(*, organization: Organization, pk: int | str) -> Agent:
    """An agent of the organization with its owner and organization, nothing more (404 for any
    other): for a change, whose service reads the rest it needs."""
    return agent_in(
        Agent.objects.filter(organization=organization).select_related("owner", "organization"),
        pk,
    )


def gate_states(agent: Agent) -> dict[int, rules.GateState]:
    # Gate.State's values are exactly rules.GateState's; the stubs type the column as str.
    return {gate.phase: cast(rules.GateState, gate.state) for gate in agent.gates.all()}


def agent_phase(agent: Agent) -> int | str:
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


def readiness_facts(*, organization: Organization) -> rules.ReadinessFacts | None:
    latest = assessment_latest_verdict(organization=organization)
    if latest is None:
        return None
    # A submitted assessment has its time (a check constraint) and its total (frozen by
    # assessment_submit); the columns are nullable for drafts.
    return rules.ReadinessFacts(
        latest.verdict, cast(int, latest.total), cast(datetime, latest.submitted_at)
    )


def people_facts(*, agent: Agent) -> rules.PeopleFacts:
    """Whether the agent's owner and escalation owners are still active members (two
    queries)."""
    active = active_member_user_ids(organization=agent.organization)
    inactive = sorted(
        {
            path.owner.get_username()
            for path in agent.escalation_paths.select_related("owner")
            if path.owner_id not in active
        }
    )
    return rules.PeopleFacts(
        owner=agent.owner.get_username(),
        owner_active=agent.owner_id in active,
        inactive_escalation_owners=tuple(inactive),
    )
