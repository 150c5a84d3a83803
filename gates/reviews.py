"""Sending gates to review: when the records a gate approved change, and when a computed item
is no longer met (docs/rules.md §2, needs review and rechecks). gates.services writes the rest
of the gates and re-exports these for its callers."""

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization
from agents.models import Agent
from audit.actions import Action
from audit.services import audit_record

from . import evidence
from .checklists import phase_definition
from .evidence_selectors import evidence_of_many, phase_items
from .models import Gate

GOVERNANCE_PHASE = {
    "owner": 1,
    "decision_boundaries": 1,
    "escalation_paths": 1,
    "tool_permissions": 1,
    "guardrails": 3,
}


def gate_review(
    agent: Agent, phase: int, actor: User | None, why: str, items: list[str] | None = None
) -> bool:
    """A gate at go whose checklist or governance fields changed, or whose computed items are
    no longer met (`items`), shows needs_review; answers whether it was at go (and so was
    sent). One audited step."""
    updated = Gate.objects.filter(agent=agent, phase=phase, state=Gate.State.GO).update(
        state=Gate.State.NEEDS_REVIEW,
        review_reason=why[:300],
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if updated:
        after = {"phase": phase, "state": "needs_review", "why": why}
        if items:
            after["items"] = items
        audit_record(
            organization=agent.organization,
            actor=actor,
            action=Action.GATE_NEEDS_REVIEW,
            target=agent,
            object_label=f"{agent.name} phase {phase}",
            before={"phase": phase, "state": "go"},
            after=after,
        )
    return bool(updated)


def _unmet_why(states: list[evidence.ItemState], phase: int) -> str:
    definition = phase_definition(phase)
    return "No longer met: " + "; ".join(
        f"{definition.label(s.key)} ({s.evidence.rstrip('.')})" for s in states
    )


def gates_recheck(
    *,
    agents: Iterable[Agent | int],
    actor: User | None = None,
    now: datetime | None = None,
) -> list[tuple[int, int, list[str]]]:
    """Send every gate at go of these agents whose computed items are no longer met to
    needs_review, naming the items, in one audited step each (docs/rules.md §2, rechecks).
    Called by the services that change an item's inputs, and by the scheduled recheck for
    what time alone changes. Answers (agent id, phase, keys) of each gate sent."""
    # An agent's pk, or the id itself.
    ids = [cast(int, getattr(a, "pk", a)) for a in agents]
    at_go = list(
        Gate.objects.filter(agent_id__in=ids, state=Gate.State.GO).values_list("agent_id", "phase")
    )
    if not at_go:
        return []
    rows = list(
        Agent.objects.filter(pk__in={agent_id for agent_id, _ in at_go}).select_related(
            "owner", "organization"
        )
    )
    states = evidence_of_many(rows, now=now)  # each agent's items once, for all its gates
    by_id = {agent.pk: agent for agent in rows}
    sent = []
    for agent_id, phase in sorted(at_go):
        unmet = [state for state in phase_items(states[agent_id], phase) if not state.met]
        if unmet and gate_review(
            by_id[agent_id], phase, actor, _unmet_why(unmet, phase), [s.key for s in unmet]
        ):
            sent.append((agent_id, phase, [s.key for s in unmet]))
    return sent


def gates_review_changes(*, agent: Agent, changed: list[str], actor: User | None) -> list[int]:
    """Send each gate at go whose governance records are among `changed` to needs_review;
    answer the phases that were sent."""
    sent = []
    for phase in sorted({GOVERNANCE_PHASE[k] for k in changed if k in GOVERNANCE_PHASE}):
        fields = [k for k in changed if GOVERNANCE_PHASE.get(k) == phase]
        if gate_review(agent, phase, actor, "changed: " + ", ".join(fields)):
            sent.append(phase)
    return sent


RECHECK_BATCH = 200


def recheck_on_evidence_changed(
    sender: object,
    *,
    organization: Organization,
    agents: Iterable[Agent | int] | None = None,
    actor: User | None = None,
    **kwargs: object,
) -> None:
    """A room below the gates changed what an item reads (core.signals.evidence_changed)."""
    if agents is None:
        agents = Agent.objects.filter(organization=organization).values_list("pk", flat=True)
    gates_recheck(agents=list(agents), actor=actor)


def gates_recheck_all(*, now: datetime | None = None) -> int:
    """The scheduled recheck, for what time alone changes (7 days of spans, 30 days of quality
    scores, 90-day permission flags): every agent with a gate at go, in batches; answers how
    many gates it sent to review. Each batch commits on its own."""
    ids = list(
        Gate.objects.filter(state=Gate.State.GO)
        .order_by("agent_id")
        .values_list("agent_id", flat=True)
        .distinct()
    )
    sent = 0
    for start in range(0, len(ids), RECHECK_BATCH):
        with transaction.atomic():
            sent += len(gates_recheck(agents=ids[start : start + RECHECK_BATCH], now=now))
    return sent
