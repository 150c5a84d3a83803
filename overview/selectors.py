"""Reads that join several rooms: the home page's agent summary and the gate board's facts."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Max, OuterRef, Q, Subquery

from agents.models import Agent
from agents.selectors import agent_in
from gates import rules
from gates import selectors as gates_selectors
from gates.models import Gate, GateDecision

BOARD_PAGE_SIZE = 250  # the gate board shows at most this many agents per page


def agent_page_get(*, organization, pk) -> Agent:
    """An agent of the organization as its agent page shows it (404 for any other): its
    owner, organization and current prompt, and its records (boundaries, escalation paths,
    tool permissions). gates.selectors.agent_get also reads its gates with three subqueries
    each for their latest decision, and its last drill over every suspension: the page reads
    its gates with their checklists and decisions itself (gates_detail), so those were read
    twice."""
    return agent_in(
        Agent.objects.filter(organization=organization)
        .select_related("owner", "current_prompt", "organization")
        .prefetch_related("decision_boundaries", "escalation_paths__owner", "tool_permissions"),
        pk,
    )


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


@dataclass(frozen=True)
class BoardFact:
    """What the gate board's summary and its phase order need of one agent, as plain values."""

    pk: int
    phase: int | str
    suspended: bool
    needs_review: bool
    last_drill_at: datetime | None


def board_facts(*, organization) -> dict[int, BoardFact]:
    """Every agent of the organization as a BoardFact, in two light queries (tuples, no
    model instances): the board's summary counts all agents whatever page is shown."""
    states: dict[int, dict[int, str]] = {}
    for agent_id, phase, state in Gate.objects.filter(agent__organization=organization).values_list(
        "agent_id", "phase", "state"
    ):
        states.setdefault(agent_id, {})[phase] = state
    agents = (
        Agent.objects.filter(organization=organization)
        .annotate(last_drill_at=Max("suspensions__started_at", filter=Q(suspensions__kind="drill")))
        .values_list("pk", "state", "last_drill_at")
    )
    facts = {}
    for pk, state, last_drill_at in agents:
        gates = states.get(pk, {})
        facts[pk] = BoardFact(
            pk=pk,
            phase=rules.agent_phase(gates),
            suspended=state == Agent.State.SUSPENDED,
            needs_review="needs_review" in gates.values(),
            last_drill_at=last_drill_at,
        )
    return facts


def _phase_rank(fact: BoardFact | None) -> int:
    if fact is None:
        return 0
    return 5 if fact.phase == rules.PRODUCTION else int(fact.phase)


def board_ids(
    *,
    organization,
    facts: dict[int, BoardFact],
    business_unit: str = "",
    owner: str = "",
    state: str = "",
    suspended: str = "",
    order: str = "name",
) -> list[int]:
    """The ids of the agents the board's filters keep, in the board's order, in one query.
    The filters and orders are gates.selectors.agent_list's, on ids only, so that a page of
    the board loads only its own agents (tests/overview/test_board_pagination.py)."""
    qs = gates_selectors.agents_filtered(
        Agent.objects.filter(organization=organization),
        business_unit=business_unit,
        owner=owner,
        state=state,
        suspended=suspended,
        order=order,
    )
    ids = list(qs.values_list("pk", flat=True))
    if order in ("phase", "-phase"):
        ids.sort(key=lambda pk: _phase_rank(facts.get(pk)), reverse=order == "-phase")
    return ids


@dataclass(frozen=True)
class BoardGate:
    """One gate of a board row with its latest decision, as plain values."""

    phase: int
    state: str
    last_decision: str | None
    last_decided_at: datetime | None
    last_decided_by: str | None


def board_agents(
    *, organization, ids: list[int], facts: dict[int, BoardFact] | None = None
) -> list[Agent]:
    """The agents of these ids in the order of `ids` (ids of another organization are left
    out), each with `owner_username`, `board_gates` ({phase: BoardGate}) and `last_drill_at`
    (from `facts`, board_facts's, which read it for every agent already): three queries. The
    gates come as tuples, not model instances: building a thousand Gate objects per page was a
    third of the board's time."""
    if facts is None:
        facts = board_facts(organization=organization)
    agents = (
        Agent.objects.filter(organization=organization, pk__in=ids)
        # What a row shows and its checklist items read (gates.evidence_selectors), no more:
        # the other columns' conversions were a tenth of the page. The owner's username is
        # an annotation: hundreds of owners built as User models were a fortieth of it.
        .annotate(owner_username=F("owner__username"))
        .only(
            "organization_id",
            "name",
            "business_unit",
            "state",
            "horizon",
            "owner_id",
            "current_prompt_id",
            "api_calls_per_hour",
            "tokens_per_session",
            "sequential_actions_before_confirmation",
            "monthly_budget",
        )
    )
    found = {a.id: a for a in agents}  # .id: a deferred model's .pk goes through its meta
    for agent_id, agent in found.items():
        agent.board_gates = {}
        fact = facts.get(agent_id)
        agent.last_drill_at = fact.last_drill_at if fact else None
    latest = GateDecision.objects.filter(gate=OuterRef("pk")).order_by("-decided_at", "-id")
    gates = list(
        Gate.objects.filter(agent_id__in=list(found))
        .annotate(last_id=Subquery(latest.values("pk")[:1]))
        .values_list("agent_id", "phase", "state", "last_id")
    )
    decisions = {
        pk: rest
        for pk, *rest in GateDecision.objects.filter(
            pk__in=[g[3] for g in gates if g[3] is not None]
        ).values_list("pk", "decision", "decided_at", "decided_by__username")
    }
    for agent_id, phase, state, last_id in gates:
        decision, at, by = decisions.get(last_id, (None, None, None))
        found[agent_id].board_gates[phase] = BoardGate(phase, state, decision, at, by)
    return [found[pk] for pk in ids if pk in found]
