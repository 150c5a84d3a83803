"""Reads that join several rooms: the home page's agent summary."""

from agents.models import Agent
from gates import rules
from gates.models import Gate


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
