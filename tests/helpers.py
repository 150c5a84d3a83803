"""Helpers shared by the page tests of the agent rooms: register an agent, give a gate the
evidence its computed items read, decide it, read a gate's state."""

from datetime import timedelta

from django.utils import timezone

from agents.models import Agent, DecisionBoundary
from core.roles import Role
from gates import services as gates_services
from gates.models import Gate
from killswitch.models import AgentToken
from overview import services as overview_services


def make_agent(membership, name="Invoice triage", owner=None, **data):
    return overview_services.agent_create(
        membership=membership,
        data={
            "name": name,
            "purpose": "Sorts incoming invoices",
            "business_unit": "Finance",
            "owner": owner or membership.user.username,
            **data,
        },
    )


def _phase_1(agent: Agent) -> None:
    from tests.factories import (
        AgentTokenFactory,
        DecisionBoundaryFactory,
        EscalationPathFactory,
        ToolPermissionFactory,
        member_of,
    )

    modes = set(agent.decision_boundaries.values_list("mode", flat=True))
    for mode in DecisionBoundary.Mode:
        if mode not in modes:
            DecisionBoundaryFactory(agent=agent, mode=mode)
    if not agent.escalation_paths.exists():
        EscalationPathFactory(agent=agent)
    if not agent.tool_permissions.exists():
        today = timezone.now().date()
        ToolPermissionFactory(agent=agent, last_used=today, last_reviewed=today)
    organization = agent.organization
    if not organization.memberships.filter(is_active=True, is_operator=True).exists():
        member_of(organization, Role.OPERATOR)
    if not AgentToken.objects.filter(agent=agent, revoked_at__isnull=True).exists():
        AgentTokenFactory(agent=agent)


def _phase_2(agent: Agent) -> None:
    from tests.factories import PromptVersionFactory

    if agent.current_prompt_id is None:
        version = PromptVersionFactory(
            agent=agent, tag="baseline", rollback_target="the manual process (first version)"
        )
        Agent.objects.filter(pk=agent.pk).update(current_prompt=version)


def _phase_3(agent: Agent) -> None:
    limits = {
        "api_calls_per_hour": 600,
        "tokens_per_session": 20000,
        "sequential_actions_before_confirmation": 5,
        "monthly_budget": 4000,
    }
    unset = {name: value for name, value in limits.items() if getattr(agent, name) is None}
    if unset:
        Agent.objects.filter(pk=agent.pk).update(**unset)


def _phase_4(agent: Agent) -> None:
    from tests.factories_telemetry import TelemetryHourFactory

    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    if not agent.telemetry_hours.filter(hour=hour).exists():
        TelemetryHourFactory(agent=agent, hour=hour, score_count=3, score_sum=2.7)


EVIDENCE = {1: _phase_1, 2: _phase_2, 3: _phase_3, 4: _phase_4}


def provide_evidence(agent, *phases) -> Agent:
    """Give the agent what the computed items of these phases (all four by default) read, as
    rows (no audit entry): decision boundaries of both kinds, an escalation path, a justified
    tool permission used and reviewed today, an active operator in the organization and a
    runtime token (phase 1); a current prompt version whose suites passed, first of its name
    (2); the three guardrail limits and a monthly budget (3); spans of model and tool calls
    with evaluation scores in the last hour (4). What the agent already has is kept."""
    for phase in phases or (1, 2, 3, 4):
        EVIDENCE[phase](Agent.objects.get(pk=agent.pk))
    return Agent.objects.get(pk=agent.pk)


def complete_checklist(agent, phase, assessor=None):
    """The evidence of one phase's items (they are computed: nothing is ticked)."""
    provide_evidence(agent, phase)


def go(agent, phase, assessor, approver):
    complete_checklist(agent, phase, assessor)
    gates_services.gate_decide(
        agent=agent, phase=phase, membership=approver, decision="go", rationale="All in place."
    )


def state_of(agent, phase):
    return Gate.objects.get(agent=agent, phase=phase).state


def worker_callbacks(callbacks) -> list:
    """The on-commit callbacks of a change, without the audit trail's announcements."""
    return [c for c in callbacks if not getattr(c, "audit_announcement", False)]


def send_to_review(agent, phase, assessor):
    """Change the records a gate at go approved, keeping every item met, so that the gate goes
    to needs_review (phase 1: one more decision boundary; phase 3: a new token limit)."""
    agent = Agent.objects.get(pk=agent.pk)
    if phase == 1:
        boundaries = list(agent.decision_boundaries.values("decision", "mode"))
        boundaries.append({"decision": f"Another decision {len(boundaries)}", "mode": "alone"})
        data = {"decision_boundaries": boundaries}
    elif phase == 3:
        data = {"guardrails": {"tokens_per_session": (agent.tokens_per_session or 1000) + 1}}
    else:
        raise ValueError("send_to_review knows phases 1 and 3")
    return overview_services.agent_update(agent=agent, membership=assessor, data=data)
