"""The facts the computed checklist items read, fetched once (fetch, then calculate:
gates/evidence.py holds the rules).

`evidence_facts_of(agents)` reads every input of the eighteen items for many agents in a
constant number of queries: the records and people here and below (accounts, agents,
killswitch, the prompt versions and attestations of this room), and the fields the higher
rooms contribute through gates.evidence_sources (alert switches and quality snapshots from
outcomes, spans from telemetry).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

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


class EvidenceAgent(NamedTuple):
    """The columns of an agent its items read (gates.evidence), as a tuple: for a page that
    needs the items of hundreds of agents and nothing else of them (`evidence_agents`)."""

    pk: int
    organization_id: int
    owner_id: int | None
    owner_username: str
    current_prompt_id: int | None
    api_calls_per_hour: int | None
    tokens_per_session: int | None
    sequential_actions_before_confirmation: int | None
    monthly_budget: Decimal | None


def evidence_agents(ids: Iterable[int]) -> list[EvidenceAgent]:
    """The agents of these ids as EvidenceAgent tuples, in one query: building hundreds of
    agents and their owners as models was a tenth of My work."""
    return [
        EvidenceAgent(*row)
        for row in Agent.objects.filter(pk__in=ids).values_list(
            *EvidenceAgent._fields[:3], "owner__username", *EvidenceAgent._fields[4:]
        )
    ]


def _owner_name(agent: Agent | EvidenceAgent) -> str:
    """The owner's username: an EvidenceAgent's, an agent's annotated `owner_username` (the
    board's), or its loaded owner's."""
    if not agent.owner_id:
        return ""
    name = getattr(agent, "owner_username", None)
    return name if name is not None else agent.owner.get_username()


def agent_ids_query(agents: Sequence[Agent | EvidenceAgent]):
    """The agents' ids as a subquery, built once per read. Each filter on `agent_id__in=[ids]`
    prepared every id again (a tenth of the gate board's time for a dozen queries over
    hundreds of agents); a filter on this subquery prepares none."""
    return Agent.objects.filter(pk__in=[a.pk for a in agents]).values("pk")


def _by_agent(rows: Iterable, key: str = "agent_id") -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _members(organization_ids: set[int]) -> dict[int, dict]:
    """Per organization: the active members' user ids and how many hold the operator role."""
    out: dict[int, dict] = {org: {"active": set(), "operators": 0} for org in organization_ids}
    rows = (
        Membership.objects.filter(organization_id__in=organization_ids, is_active=True)
        .order_by()  # the model's order joins the organizations, for nothing here
        .values_list("organization_id", "user_id", "is_operator")
    )
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


def _prompts(agents: Sequence[Agent | EvidenceAgent], ids) -> dict[int, evidence.PromptFacts]:
    """Each agent's current prompt version as phase 2 reads it, with the tags of its earlier
    versions that were allowed to ship (`ids`: agent_ids_query of the agents)."""
    if not any(a.current_prompt_id for a in agents):
        return {}
    with_prompt = ids.filter(current_prompt__isnull=False)
    rows = PromptVersion.objects.filter(agent_id__in=with_prompt).values(
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


def _currencies(agents: Sequence, organizations: set[int]) -> dict[int, str]:
    """Each organization's currency: from the agents' loaded organization when every agent
    has it (the agent page), else one query."""
    field = Agent._meta.get_field("organization")
    if all(isinstance(a, Agent) and field.is_cached(a) for a in agents):
        return {a.organization_id: a.organization.currency for a in agents}
    return dict(
        Organization.objects.filter(id__in=organizations).order_by().values_list("id", "currency")
    )


def _records_read(ids) -> tuple[dict, dict, dict]:
    """The agents' decision modes (counted), escalation paths and tool permissions: three
    queries."""
    modes: dict[int, dict] = defaultdict(dict)
    for row in (
        DecisionBoundary.objects.filter(agent_id__in=ids)
        .order_by()  # the model's order would join the agents into the grouping
        .values("agent_id", "mode")
        .annotate(n=Count("id"))
    ):
        modes[row["agent_id"]][row["mode"]] = row["n"]
    paths = _by_agent(
        # Each agent's rows in the model's order, without joining the agents for their names.
        EscalationPath.objects.filter(agent_id__in=ids)
        .order_by("agent_id", "position", "id")
        .values("agent_id", "owner_id", "owner__username")
    )
    permissions = _by_agent(
        ToolPermission.objects.filter(agent_id__in=ids)
        .order_by("agent_id", "position", "id")
        .values("agent_id", "tool", "justification", "last_used", "last_reviewed", "created_at")
    )
    return modes, paths, permissions


_RECORDS = ("decision_boundaries", "escalation_paths", "tool_permissions")


def _records_prefetched(agents: Sequence) -> tuple[dict, dict, dict] | None:
    """`_records_read`'s rows from the agents' prefetched records (the agent page prefetches
    them to show them: reading them again was three queries), or None when any agent lacks
    them (or its paths' owners)."""
    owner = EscalationPath._meta.get_field("owner")
    caches = [getattr(a, "_prefetched_objects_cache", None) or {} for a in agents]
    if not all(name in cache for cache in caches for name in _RECORDS):
        return None
    if not all(owner.is_cached(p) for cache in caches for p in cache["escalation_paths"]):
        return None
    modes: dict[int, dict] = defaultdict(dict)
    paths: dict[int, list] = {}
    permissions: dict[int, list] = {}
    for agent, cache in zip(agents, caches, strict=True):
        for boundary in cache["decision_boundaries"]:
            modes[agent.pk][boundary.mode] = modes[agent.pk].get(boundary.mode, 0) + 1
        paths[agent.pk] = [
            {"owner_id": p.owner_id, "owner__username": p.owner.get_username()}
            for p in cache["escalation_paths"]
        ]
        permissions[agent.pk] = [
            {
                "tool": t.tool,
                "justification": t.justification,
                "last_used": t.last_used,
                "last_reviewed": t.last_reviewed,
                "created_at": t.created_at,
            }
            for t in cache["tool_permissions"]
        ]
    return modes, paths, permissions


def evidence_facts_of(
    agents: Sequence[Agent | EvidenceAgent], *, now: datetime | None = None
) -> dict[int, evidence.EvidenceFacts]:
    """The evidence of every agent given (with `owner` and `organization` loaded, or they are
    read per agent), by agent id."""
    now = now or timezone.now()
    agents = list(agents)
    if not agents:
        return {}
    ids = agent_ids_query(agents)
    organizations = {a.organization_id for a in agents}
    members = _members(organizations)
    currency = _currencies(agents, organizations)
    records = _records_prefetched(agents)
    if records is None:
        records = _records_read(ids)
    modes, paths, permissions = records
    tokens = dict(
        AgentToken.objects.filter(agent_id__in=ids, revoked_at__isnull=True)
        .order_by()
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    attestations = defaultdict(dict)
    for row in (
        ChecklistItem.objects.filter(gate__agent_id__in=ids, key__in=evidence.ATTESTABLE, met=True)
        .order_by()  # one row per agent and key: the order (joining the agents) reads nothing
        .values("gate__agent_id", "key", "evidence", "updated_by__username")
    ):
        attestations[row["gate__agent_id"]][row["key"]] = evidence.Attestation(
            by=row["updated_by__username"] or "someone no longer a member",
            evidence=row["evidence"],
        )
    prompts = _prompts(agents, ids)
    higher = evidence_sources.contributions(agents, now)
    out = {}
    for agent in agents:
        people = members[agent.organization_id]
        extra = dict(higher.get(agent.pk, {}))
        tools_seen = extra.pop("tools_seen", ())
        budget = agent.monthly_budget
        fields = {
            "owner": _owner_name(agent),
            "owner_active": agent.owner_id in people["active"],
            "decides_alone": modes[agent.pk].get(DecisionBoundary.Mode.ALONE, 0),
            "escalates": modes[agent.pk].get(DecisionBoundary.Mode.ESCALATE, 0),
            "escalation_paths": len(paths.get(agent.pk, [])),
            "inactive_escalation_owners": tuple(
                sorted(
                    {
                        p["owner__username"]
                        for p in paths.get(agent.pk, [])
                        if p["owner_id"] not in people["active"]
                    }
                )
            ),
            "active_operators": people["operators"],
            "live_runtime_tokens": tokens.get(agent.pk, 0),
            "prompt": prompts.get(agent.pk),
            "api_calls_per_hour": agent.api_calls_per_hour,
            "tokens_per_session": agent.tokens_per_session,
            "sequential_actions": agent.sequential_actions_before_confirmation,
            "monthly_budget": None
            if budget is None
            else money(budget, currency.get(agent.organization_id)),
            "attestations": attestations.get(agent.pk, {}),
            **_permission_facts(permissions.get(agent.pk, []), tools_seen, now.date()),
        }
        # The higher rooms' fields last, as they were folded in before (one dataclass built,
        # not built and then replaced: hundreds of agents per page).
        fields.update(extra)
        out[agent.pk] = evidence.EvidenceFacts(**fields)
    return out


class _FactsKey:
    """EvidenceFacts as a cache key: equal when every field is equal (its mappings compared
    as sets of pairs). The items are a pure function of the facts, so states cached under
    the facts they were computed from can never be stale: a write that changes an item
    changes the facts read on the next request, which is another key."""

    __slots__ = ("_hash", "facts", "key")

    def __init__(self, facts: evidence.EvidenceFacts):
        self.facts = facts
        # vars(): the fields in their order, without a getattr each (hundreds per page)
        self.key = tuple(
            [
                frozenset(value.items()) if isinstance(value, Mapping) else value
                for value in vars(facts).values()
            ]
        )
        self._hash = hash(self.key)  # TypeError for a field that cannot be hashed

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, _FactsKey) and self.key == other.key


# Agents whose states each process keeps: the board reloaded, My work, the agent page ask
# again for the same facts (computing the eighteen sentences of hundreds of agents on every
# request was a tenth of the board).
ITEMS_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=ITEMS_CACHE_SIZE)
def _cached_items(key: _FactsKey) -> dict[str, evidence.ItemState]:
    return evidence.items(key.facts)


@functools.lru_cache(maxsize=ITEMS_CACHE_SIZE)
def _cached_counts(key: _FactsKey) -> dict[int, dict]:
    return item_counts(_cached_items(key))


def _key(facts: evidence.EvidenceFacts) -> _FactsKey | None:
    try:
        return _FactsKey(facts)
    except TypeError:  # a source gave a field as a list or a dict of lists: not cached
        return None


def items_of(facts: evidence.EvidenceFacts) -> dict[str, evidence.ItemState]:
    """`evidence.items(facts)`, computed once per distinct facts in this process (a new dict
    each time: the ItemState values are frozen)."""
    key = _key(facts)
    return evidence.items(facts) if key is None else dict(_cached_items(key))


def counts_of(facts: evidence.EvidenceFacts) -> dict[int, dict]:
    """`item_counts(items_of(facts))`, computed once per distinct facts (new dicts each
    time)."""
    key = _key(facts)
    counts = item_counts(evidence.items(facts)) if key is None else _cached_counts(key)
    return {phase: dict(count) for phase, count in counts.items()}


def evidence_of_many(
    agents: Sequence[Agent | EvidenceAgent], *, now: datetime | None = None
) -> dict[int, dict[str, evidence.ItemState]]:
    """Every computed item of each agent, by agent id then key."""
    return {pk: items_of(f) for pk, f in evidence_facts_of(agents, now=now).items()}


def agent_facts_and_items(
    *, agent: Agent, now: datetime | None = None
) -> tuple[evidence.EvidenceFacts, dict[str, evidence.ItemState]]:
    """One agent's evidence (read afresh) and the states of its items, by key."""
    row = Agent.objects.select_related("owner", "organization").get(pk=agent.pk)
    facts = evidence_facts_of([row], now=now)[row.pk]
    return facts, items_of(facts)


def agent_evidence(*, agent: Agent, now: datetime | None = None) -> dict[str, evidence.ItemState]:
    """Every computed item of one agent, by key."""
    return agent_facts_and_items(agent=agent, now=now)[1]


def phase_items(states: dict[str, evidence.ItemState], phase: int) -> list[evidence.ItemState]:
    """The items of one phase, in the checklist's order."""
    return [states[key] for key in phase_definition(phase).keys]


def item_counts(states: dict[str, evidence.ItemState]) -> dict[int, dict]:
    """Per phase of one agent: how many items are met, of how many, and whether any met item
    rests on an attestation."""
    out = {}
    for phase in (1, 2, 3, 4):
        items = phase_items(states, phase)
        out[phase] = {
            "met": sum(1 for s in items if s.met),
            "of": len(items),
            "attested": any(s.met and s.source == "attested" for s in items),
        }
    return out


def item_counts_of(
    agents: Sequence[Agent | EvidenceAgent], *, now: datetime | None = None
) -> dict[int, dict[int, dict]]:
    """For the gate board: `item_counts` of each agent, by agent id."""
    return {pk: counts_of(f) for pk, f in evidence_facts_of(agents, now=now).items()}
