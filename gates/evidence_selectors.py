"""The facts the computed checklist items read, fetched once (fetch, then calculate:
gates/evidence.py holds the rules).

`evidence_facts_of(agents)` reads every input of the eighteen items for many agents in a
constant number of queries: the records and people here and below (accounts, agents,
killswitch, the prompt versions and attestations of this room), and the fields the higher
rooms contribute through gates.evidence_sources (alert switches and quality snapshots from
outcomes, spans from telemetry).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models import Count, IntegerField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import Membership, Organization
from agents.models import Agent, DecisionBoundary, EscalationPath, ToolPermission
from agents.rules import permission_review_reasons
from core.formatting import money
from killswitch.models import AgentToken

from . import evidence, evidence_sources
from .checklists import phase_definition
from .models import ChecklistItem, PromptVersion
from .promptfoo import SuiteResults, summary


def _by_agent(rows: Iterable, key: str = "agent_id") -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _members(organization_ids: set[int]) -> dict[int, dict]:
    """Per organization: the active members' user ids and how many hold the operator role."""
    out: dict[int, dict] = {org: {"active": set(), "operators": 0} for org in organization_ids}
    rows = Membership.objects.filter(
        organization_id__in=organization_ids, is_active=True
    ).values_list("organization_id", "user_id", "is_operator")
    for org, user_id, is_operator in rows:
        out[org]["active"].add(user_id)
        out[org]["operators"] += int(is_operator)
    return out


def _suite_counts(row: dict, suite: str) -> str:
    passed = row[f"{suite}_p"]
    if passed is None:
        return ""
    return summary(
        SuiteResults(int(passed), int(row[f"{suite}_f"] or 0), int(row[f"{suite}_e"] or 0), {})
    )


def _counts(suite: str) -> dict:
    """The stored counts of a suite sent as promptfoo's results, read in the database (the
    outcomes by test key can be large and are not needed here)."""
    return {
        f"{suite}_{short}": Cast(KeyTextTransform(name, f"{suite}_results"), IntegerField())
        for short, name in (("p", "passed"), ("f", "failed"), ("e", "errors"))
    }


def _prompts(agents: Sequence[Agent]) -> dict[int, evidence.PromptFacts]:
    """Each agent's current prompt version as phase 2 reads it, with the tags of its earlier
    versions that were allowed to ship."""
    ids = [a.pk for a in agents if a.current_prompt_id]
    if not ids:
        return {}
    rows = PromptVersion.objects.filter(agent_id__in=ids).values(
        "id",
        "agent_id",
        "tag",
        "ship",
        "created_at",
        "regression_passed",
        "adversarial_passed",
        "delta",
        "tolerance",
        "rollback_target",
        **_counts("regression"),
        **_counts("adversarial"),
    )
    versions = _by_agent(rows)
    out = {}
    for agent in agents:
        if not agent.current_prompt_id:
            continue
        mine = versions.get(agent.pk, [])
        current = next((v for v in mine if v["id"] == agent.current_prompt_id), None)
        if current is None:
            continue
        order = (current["created_at"], current["id"])
        earlier = [v for v in mine if (v["created_at"], v["id"]) < order]
        out[agent.pk] = evidence.PromptFacts(
            tag=current["tag"],
            regression=evidence.SuiteFacts(
                current["regression_passed"], _suite_counts(current, "regression")
            ),
            adversarial=evidence.SuiteFacts(
                current["adversarial_passed"], _suite_counts(current, "adversarial")
            ),
            delta=current["delta"],
            tolerance=current["tolerance"],
            rollback_target=current["rollback_target"],
            earlier_shipped=frozenset(v["tag"] for v in earlier if v["ship"]),
            first_version=not earlier,
        )
    return out


def _permission_facts(rows: list[dict], tools_seen: Iterable[str], today) -> dict:
    held = {row["tool"].strip().casefold() for row in rows}
    return {
        "permissions": len(rows),
        "unjustified_tools": tuple(r["tool"] for r in rows if not r["justification"].strip()),
        "flagged_tools": tuple(
            r["tool"]
            for r in rows
            if permission_review_reasons(
                last_used=r["last_used"],
                last_reviewed=r["last_reviewed"],
                created=r["created_at"].date(),
                today=today,
            )
        ),
        "unpermitted_tools_seen": tuple(
            sorted({t for t in tools_seen if t.strip().casefold() not in held})
        ),
    }


def evidence_facts_of(
    agents: Sequence[Agent], *, now: datetime | None = None
) -> dict[int, evidence.EvidenceFacts]:
    """The evidence of every agent given (with `owner` and `organization` loaded, or they are
    read per agent), by agent id."""
    now = now or timezone.now()
    agents = list(agents)
    if not agents:
        return {}
    ids = [a.pk for a in agents]
    organizations = {a.organization_id for a in agents}
    members = _members(organizations)
    currency = dict(Organization.objects.filter(id__in=organizations).values_list("id", "currency"))
    modes = defaultdict(dict)
    for row in (
        DecisionBoundary.objects.filter(agent_id__in=ids)
        .values("agent_id", "mode")
        .annotate(n=Count("id"))
    ):
        modes[row["agent_id"]][row["mode"]] = row["n"]
    paths = _by_agent(
        EscalationPath.objects.filter(agent_id__in=ids).values(
            "agent_id", "owner_id", "owner__username"
        )
    )
    permissions = _by_agent(
        ToolPermission.objects.filter(agent_id__in=ids).values(
            "agent_id", "tool", "justification", "last_used", "last_reviewed", "created_at"
        )
    )
    tokens = dict(
        AgentToken.objects.filter(agent_id__in=ids, revoked_at__isnull=True)
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    attestations = defaultdict(dict)
    for row in ChecklistItem.objects.filter(
        gate__agent_id__in=ids, key__in=evidence.ATTESTABLE, met=True
    ).values("gate__agent_id", "key", "evidence", "updated_by__username"):
        attestations[row["gate__agent_id"]][row["key"]] = evidence.Attestation(
            by=row["updated_by__username"] or "someone no longer a member",
            evidence=row["evidence"],
        )
    prompts = _prompts(agents)
    higher = evidence_sources.contributions(agents, now)
    out = {}
    for agent in agents:
        people = members[agent.organization_id]
        extra = dict(higher.get(agent.pk, {}))
        tools_seen = extra.pop("tools_seen", ())
        budget = agent.monthly_budget
        out[agent.pk] = dataclasses.replace(
            evidence.EvidenceFacts(
                owner=agent.owner.get_username() if agent.owner_id else "",
                owner_active=agent.owner_id in people["active"],
                decides_alone=modes[agent.pk].get(DecisionBoundary.Mode.ALONE, 0),
                escalates=modes[agent.pk].get(DecisionBoundary.Mode.ESCALATE, 0),
                escalation_paths=len(paths.get(agent.pk, [])),
                inactive_escalation_owners=tuple(
                    sorted(
                        {
                            p["owner__username"]
                            for p in paths.get(agent.pk, [])
                            if p["owner_id"] not in people["active"]
                        }
                    )
                ),
                active_operators=people["operators"],
                live_runtime_tokens=tokens.get(agent.pk, 0),
                prompt=prompts.get(agent.pk),
                api_calls_per_hour=agent.api_calls_per_hour,
                tokens_per_session=agent.tokens_per_session,
                sequential_actions=agent.sequential_actions_before_confirmation,
                monthly_budget=None
                if budget is None
                else money(budget, currency.get(agent.organization_id)),
                attestations=attestations.get(agent.pk, {}),
                **_permission_facts(permissions.get(agent.pk, []), tools_seen, now.date()),
            ),
            **extra,
        )
    return out


def evidence_of_many(
    agents: Sequence[Agent], *, now: datetime | None = None
) -> dict[int, dict[str, evidence.ItemState]]:
    """Every computed item of each agent, by agent id then key."""
    return {pk: evidence.items(f) for pk, f in evidence_facts_of(agents, now=now).items()}


def agent_facts_and_items(
    *, agent: Agent, now: datetime | None = None
) -> tuple[evidence.EvidenceFacts, dict[str, evidence.ItemState]]:
    """One agent's evidence (read afresh) and the states of its items, by key."""
    row = Agent.objects.select_related("owner", "organization").get(pk=agent.pk)
    facts = evidence_facts_of([row], now=now)[row.pk]
    return facts, evidence.items(facts)


def agent_evidence(*, agent: Agent, now: datetime | None = None) -> dict[str, evidence.ItemState]:
    """Every computed item of one agent, by key."""
    return agent_facts_and_items(agent=agent, now=now)[1]


def phase_items(states: dict[str, evidence.ItemState], phase: int) -> list[evidence.ItemState]:
    """The items of one phase, in the checklist's order."""
    return [states[key] for key in phase_definition(phase).keys]


def item_counts_of(
    agents: Sequence[Agent], *, now: datetime | None = None
) -> dict[int, dict[int, dict]]:
    """For the gate board: per agent and phase, how many items are met, of how many, and
    whether any met item rests on an attestation."""
    out: dict[int, dict[int, dict]] = {}
    for agent_id, states in evidence_of_many(agents, now=now).items():
        out[agent_id] = {}
        for phase in (1, 2, 3, 4):
            items = phase_items(states, phase)
            out[agent_id][phase] = {
                "met": sum(1 for s in items if s.met),
                "of": len(items),
                "attested": any(s.met and s.source == "attested" for s in items),
            }
    return out
