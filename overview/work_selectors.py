"""Reads for "My work" (what waits for the signed-in member, by role) and for a new
organization's first steps (docs/my-work.md).

Every read is scoped to the member's organization and costs a fixed number of queries,
whatever the number of agents: the facts are fetched in a few queries and handed to the pure
rules the services apply (gates.rules, agents.rules, killswitch.rules), so a gate is listed
here exactly when `gates.services.gate_go_reasons` would find no reason to refuse its go."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db.models import Count, F, Max, Q

from accounts.models import Membership
from accounts.selectors import active_member_user_ids
from agents.models import Agent, EscalationPath, OwnerChange
from agents.rules import SEPARATION_WINDOW, OwnerChangeFact, separation_of_duties
from agents.selectors import PermissionToReview, permissions_to_review
from assessments.models import Assessment
from assessments.selectors import assessment_latest_verdict
from core import permissions
from gates import rules as gate_rules
from gates.checklists import PHASES, phase_definition
from gates.evidence_selectors import evidence_agents
from gates.models import Gate
from gates.selectors import evidence_of_many
from killswitch.rules import drill_flag
from killswitch.selectors import open_suspensions_prefetch

# The states from which a go can still be recorded: a gate at go waits for nobody.
DECIDABLE_STATES = frozenset({Gate.State.PENDING, Gate.State.NO_GO, Gate.State.NEEDS_REVIEW})


@dataclass(frozen=True)
class GateToDecide:
    agent: Agent
    phase: int
    state: str
    name: str

    @property
    def state_label(self) -> str:
        return Gate.State(self.state).label


@dataclass(frozen=True)
class SuspendedAgent:
    agent: Agent
    suspension: object | None  # killswitch.models.Suspension, the open one
    may_resume: bool
    may_end_drill: bool
    barred: str | None  # why this approver may not resume it (separation of duties)


@dataclass(frozen=True)
class DrillDue:
    agent: Agent
    flag: str  # "never" or "overdue" (killswitch.rules.drill_flag)
    last_drill_at: datetime | None


@dataclass(frozen=True)
class ReassessmentDue:
    assessment: Assessment | None  # None: no assessment was ever submitted
    reasons: list[gate_rules.Reason]


@dataclass
class Work:
    """What waits for one member. A section is None when the member's roles do not look at
    it (the page leaves it out); an empty list means nothing waits there."""

    gates: list[GateToDecide] | None = None
    suspended: list[SuspendedAgent] | None = None
    drills: list[DrillDue] | None = None
    reassessment: ReassessmentDue | None = None
    looks_at_reassessment: bool = False
    permissions: list[PermissionToReview] | None = None
    drafts: list[Assessment] = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            len(self.gates or ())
            + len(self.suspended or ())
            + len(self.drills or ())
            + (1 if self.reassessment else 0)
            + len(self.permissions or ())
            + len(self.drafts)
        )


class GateFact(NamedTuple):
    """What My work needs of a gate: which one it is and its state (a tuple, no model)."""

    pk: int
    phase: int
    state: str


def _agents(organization, *, with_records: bool) -> list[Agent]:
    """Every agent of the organization (only the columns My work shows or judges by) with
    `owner_username`, `gate_facts` (phase to GateFact), `last_drill_at` and
    `open_suspensions`; with
    `with_records`, also `escalation_owners` (owner id and username of each escalation path:
    what phase 1's go needs). Three queries, four with the records, and model instances only
    for the agents and the open suspensions: hundreds of agents would otherwise be thousands
    of gates, paths and owners built as models on every request."""
    agents = list(
        Agent.objects.filter(organization=organization)
        .only("id", "name", "state", "owner_id")
        .annotate(
            owner_username=F("owner__username"),
            last_drill_at=Max("suspensions__started_at", filter=Q(suspensions__kind="drill")),
        )
        .order_by("name", "id")
    )
    gates: dict[int, dict[int, GateFact]] = {}
    for agent_id, pk, phase, state in Gate.objects.filter(
        agent__organization=organization
    ).values_list("agent_id", "pk", "phase", "state"):
        gates.setdefault(agent_id, {})[phase] = GateFact(pk, phase, state)
    suspensions: dict[int, list] = {}
    for suspension in (
        open_suspensions_prefetch()
        .queryset.filter(agent__organization=organization)
        .select_related("started_by")
    ):
        suspensions.setdefault(suspension.agent_id, []).append(suspension)
    paths: dict[int, list[tuple[int, str]]] = {}
    if with_records:
        for agent_id, owner_id, username in EscalationPath.objects.filter(
            agent__organization=organization
        ).values_list("agent_id", "owner_id", "owner__username"):
            paths.setdefault(agent_id, []).append((owner_id, username))
    for agent in agents:
        agent.gate_facts = gates.get(agent.pk, {})
        agent.open_suspensions = suspensions.get(agent.pk, [])
        agent.escalation_owners = paths.get(agent.pk, [])
    return agents


def _items_met(agents: list[Agent]) -> dict[int, dict[str, bool]]:
    """The computed checklist items of each gate a go can still be recorded on and whose phase
    before is at go (the others are skipped before the rules are asked), gate id to item key to
    met: gates.selectors.evidence_of_many, a fixed number of queries, for those agents only."""
    wanted: list[tuple[int, int, int]] = []
    for agent in agents:
        facts = agent.gate_facts
        for phase, gate in facts.items():
            before = facts.get(phase - 1)
            if gate.state in DECIDABLE_STATES and (phase == 1 or (before and before.state == "go")):
                wanted.append((gate.pk, agent.pk, phase))
    if not wanted:
        return {}
    # Only the columns the evidence reads: full rows of hundreds of agents were a tenth of
    # the page.
    rows = evidence_agents({agent_id for _, agent_id, _ in wanted})
    states = evidence_of_many(rows)
    return {
        gate_id: {key: states[agent_id][key].met for key in phase_definition(phase).keys}
        for gate_id, agent_id, phase in wanted
    }


def _owner_changes(organization, now) -> dict[int, list[OwnerChangeFact]]:
    """The owner changes of the separation window, per agent (one query for all agents, the
    rows agents.selectors.owner_changes_recent reads for one)."""
    rows = OwnerChange.objects.filter(
        agent__organization=organization, changed_at__gte=now - SEPARATION_WINDOW
    ).values_list("agent_id", "previous_owner_id", "new_owner_id", "changed_by_id", "changed_at")
    changes: dict[int, list[OwnerChangeFact]] = {}
    for agent_id, *fact in rows:
        changes.setdefault(agent_id, []).append(OwnerChangeFact(*fact))
    return changes


def _people(agent: Agent, active: set[int]) -> gate_rules.PeopleFacts:
    """gates.selectors.people_facts, from the prefetched escalation paths."""
    inactive = sorted(
        {username for owner_id, username in agent.escalation_owners if owner_id not in active}
    )
    return gate_rules.PeopleFacts(
        owner=agent.owner_username,
        owner_active=agent.owner_id in active,
        inactive_escalation_owners=tuple(inactive),
    )


def _go_reasons(
    agent, gate, gates, *, items_met, barred, readiness, active, now
) -> list[gate_rules.Reason]:
    """The facts gates.services.gate_go_reasons fetches for one gate, from prefetched rows."""
    definition = phase_definition(gate.phase)
    return gate_rules.gate_go_reasons(
        phase=gate.phase,
        item_keys=definition.keys,
        item_labels={i.key: i.label for i in definition.items},
        items_met=items_met.get(gate.pk, {}),
        previous_state=gates[gate.phase - 1].state if gate.phase > 1 else None,
        readiness=readiness if gate.phase == 4 else None,
        decider_is_owner=barred is not None,
        now=now,
        people=_people(agent, active) if gate.phase == 1 else None,
        owner_message=barred,
    )


def gates_waiting(
    *, agents: list[Agent], items_met, user_id: int, changes, readiness, active: set[int], now
) -> list[GateToDecide]:
    """The gates nothing but this approver's decision stands in the way of: not at go, every
    item met, the phase before at go, for phase 4 a fit assessment, and this approver not
    barred from the agent (its owner, or within separation of duties). `agents` come from
    `_agents(..., with_records=True)`, `items_met` from `_items_met`."""
    waiting = []
    for agent in agents:
        barred = separation_of_duties(
            user_id=user_id, owner_id=agent.owner_id, changes=changes.get(agent.pk, ()), now=now
        )
        if barred is not None:
            continue
        gates = agent.gate_facts
        for phase in PHASES:
            gate = gates.get(phase)
            if gate is None or gate.state not in DECIDABLE_STATES:
                continue
            previous = gates.get(phase - 1)
            if phase > 1 and (previous is None or previous.state != Gate.State.GO):
                continue  # the rules refuse a go while the phase before is not at go
            reasons = _go_reasons(
                agent,
                gate,
                gates,
                items_met=items_met,
                barred=None,
                readiness=readiness,
                active=active,
                now=now,
            )
            if not reasons:
                waiting.append(GateToDecide(agent, phase, gate.state, phase_definition(phase).name))
    return waiting


def _readiness(latest: Assessment | None) -> gate_rules.ReadinessFacts | None:
    if latest is None:
        return None
    return gate_rules.ReadinessFacts(latest.verdict, latest.total, latest.submitted_at)


def _suspended(agents, *, membership, changes, now) -> list[SuspendedAgent]:
    member = membership
    rows = []
    for agent in agents:
        if not agent.is_suspended:
            continue
        suspension = agent.open_suspensions[0] if agent.open_suspensions else None
        barred = separation_of_duties(
            user_id=membership.user_id,
            owner_id=agent.owner_id,
            changes=changes.get(agent.pk, ()),
            now=now,
        )
        is_drill = suspension is not None and suspension.kind == "drill"
        rows.append(
            SuspendedAgent(
                agent=agent,
                suspension=suspension,
                may_resume=bool(permissions.may_resume_agent(member)) and barred is None,
                # The operator who started the drill, or an approver not barred from the agent
                # (killswitch.services.drill_end).
                may_end_drill=is_drill
                and bool(permissions.may_end_drills(member))
                and (
                    suspension.started_by_id == membership.user_id
                    or (bool(permissions.may_resume_agent(member)) and barred is None)
                ),
                barred=barred if bool(permissions.may_resume_agent(member)) else None,
            )
        )
    return rows


def _drills(agents, now) -> list[DrillDue]:
    """Active agents whose kill switch was never drilled or not within 90 days (a suspended
    agent cannot start a drill: it is listed as suspended)."""
    due = []
    for agent in agents:
        flag = drill_flag(agent.last_drill_at, now)
        if flag != "ok" and not agent.is_suspended:
            due.append(DrillDue(agent, flag, agent.last_drill_at))
    return due


def _drafts(membership):
    qs = Assessment.objects.filter(
        organization=membership.organization, status=Assessment.Status.DRAFT
    )
    if not bool(permissions.may_edit_assessment(membership)):
        qs = qs.filter(created_by_id=membership.user_id)
    return qs


def drafts_to_finish(*, membership) -> list[Assessment]:
    """The member's own draft assessments and, for an assessor, every draft of the
    organization (one query)."""
    return list(_drafts(membership).select_related("created_by").order_by("-updated_at", "-id"))


def my_work(*, membership, now: datetime) -> Work:
    """Everything that waits for the member, by role; a fixed number of queries (ten for a
    member holding every role; the latest assessment is one of them, its verdict without its
    scores), whatever the number of agents."""
    organization = membership.organization
    member = membership
    decides, suspends = (
        bool(permissions.may_decide_gate(member)),
        bool(permissions.may_suspend_agent(member)),
    )
    resumes = bool(permissions.may_resume_agent(member))
    looks_at_reassessment = bool(permissions.may_edit_assessment(member)) or bool(
        permissions.may_manage_members(member)
    )
    work = Work(drafts=drafts_to_finish(membership=membership))
    work.looks_at_reassessment = looks_at_reassessment
    latest = None
    if decides or looks_at_reassessment:
        latest = assessment_latest_verdict(organization=organization)
    if decides or suspends or resumes:
        agents = _agents(organization, with_records=decides)
        changes = _owner_changes(organization, now) if resumes or decides else {}
        work.suspended = _suspended(agents, membership=membership, changes=changes, now=now)
        if decides:
            work.gates = gates_waiting(
                agents=agents,
                items_met=_items_met(agents),
                user_id=membership.user_id,
                changes=changes,
                readiness=_readiness(latest),
                active=active_member_user_ids(organization=organization),
                now=now,
            )
        if suspends:
            work.drills = _drills(agents, now)
    if looks_at_reassessment:
        reasons = gate_rules.readiness_reasons(_readiness(latest), now)
        if reasons:
            work.reassessment = ReassessmentDue(latest, reasons)
    if permissions.may_review_permissions(member):
        work.permissions = permissions_to_review(organization=organization, today=now.date())
    return work


def work_count_querysets(*, membership) -> dict:
    """What the number beside "My work" in the navigation counts: the kinds a single count
    tells and that the member can act on, the drafts to finish (assessors, who may continue
    them) and the suspended agents (operators and approvers); nothing for a member with
    neither role (docs/my-work.md). The page itself counts everything."""
    member = membership
    querysets = {}
    if permissions.may_edit_assessment(member):
        querysets["work_drafts"] = _drafts(membership)
    if permissions.may_suspend_agent(member) or permissions.may_resume_agent(member):
        querysets["work_suspended"] = Agent.objects.filter(
            organization=membership.organization, state=Agent.State.SUSPENDED
        )
    return querysets


@dataclass(frozen=True)
class FirstSteps:
    """What a new organization misses before work can flow."""

    no_approver: bool
    no_operator: bool
    no_assessment: bool

    @property
    def missing(self) -> bool:
        return self.no_approver or self.no_operator or self.no_assessment


def first_steps(*, organization, has_submitted_assessment: bool) -> FirstSteps:
    """Whether the organization has an active approver and operator (one query) and a
    submitted assessment (the caller read it already)."""
    counts = Membership.objects.filter(organization=organization, is_active=True).aggregate(
        approvers=Count("pk", filter=Q(is_approver=True)),
        operators=Count("pk", filter=Q(is_operator=True)),
    )
    return FirstSteps(
        no_approver=not counts["approvers"],
        no_operator=not counts["operators"],
        no_assessment=not has_submitted_assessment,
    )
