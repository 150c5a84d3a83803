"""A whole agent journey through the services of every room, and its audit trail.

Every service is role-checked (a refused call changes nothing), every write is audited, and the
audit chain still verifies after each test.
"""

import pytest

from agents.models import Agent
from assessments import services as assessment_services
from audit.models import AuditEntry
from audit.services import audit_verify
from gates import services as gates_services
from gates.models import Gate, GateDecision
from killswitch import services as killswitch_services
from overview import services as overview_services
from tests.conftest import scores_of
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def audit_chain_still_verifies(db):
    yield
    assert audit_verify() == []


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def owner(org, make_member):
    """The agent's owner: a member with no role that matters here."""
    return make_member(org, "viewer", username="olga")


@pytest.fixture
def agent(assessor, owner):
    return overview_services.agent_create(
        membership=assessor,
        data={
            "name": "Refund bot",
            "purpose": "Refunds under 50 EUR",
            "business_unit": "Support",
            "owner": "olga",
        },
    )


def gate(agent: Agent, phase: int) -> Gate:
    return Gate.objects.get(agent=agent, phase=phase)


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def meet(agent, phase, membership=None):
    """The evidence of the phase's computed items (nothing is ticked by hand)."""
    return provide_evidence(agent, phase)


def go(agent, phase, membership, **kwargs):
    return gates_services.gate_decide(
        agent=agent,
        phase=phase,
        membership=membership,
        decision="go",
        rationale=f"Phase {phase} reviewed with the team.",
        **kwargs,
    )


def no_go(agent, phase, membership, **kwargs):
    return gates_services.gate_decide(
        agent=agent,
        phase=phase,
        membership=membership,
        decision="no_go",
        rationale="Not yet.",
        **kwargs,
    )


def submit_assessment(assessor, values=(4, 4, 4, 4)):
    assessment = assessment_services.assessment_create(membership=assessor, title="Readiness")
    assessment_services.assessment_set_scores(
        assessment=assessment, membership=assessor, scores=scores_of(*values)
    )
    return assessment_services.assessment_submit(assessment=assessment, membership=assessor)


def prompt(tag, **overrides):
    return {
        "tag": tag,
        "regression_passed": True,
        "adversarial_passed": True,
        "delta": 0.02,
        "tolerance": 0.05,
        "rollback_target": "v0",
        **overrides,
    }


# --- a whole journey, its audit trail -----------------------------------------------------------


def test_a_whole_journey_is_audited_in_order(agent, assessor, approver, operator, admin):
    # given / when
    submit_assessment(assessor)
    gates_services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))
    meet(agent, 1, assessor)
    go(agent, 1, approver)
    go(agent, 2, approver)  # its items were met by v1
    for phase in (3, 4):
        meet(agent, phase, assessor)
        go(agent, phase, approver)
    killswitch_services.agent_token_create(agent=agent, membership=admin)
    drill = killswitch_services.drill_start(agent=agent, membership=operator)
    killswitch_services.agent_status_read(agent=agent)
    killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Odd")
    killswitch_services.agent_resume(agent=agent, membership=approver, reason="Fine")
    killswitch_services.agent_suspend_automatic(
        agent=agent, reason="Errors", details={"error_rate": 0.3}
    )

    # then every agent write left its entry, in order (the evidence of the items was given as
    # rows, not through services, so it writes none)
    agent_actions = [a for a in actions() if not a.startswith("assessment.")]
    assert agent_actions == [
        "agent.created",
        "prompt_version.posted",
        "gate.decided",
        "gate.decided",
        "gate.decided",
        "gate.decided",
        "agent.horizon_started",
        "agent_token.created",
        "agent.suspended.drill",
        "agent.drill_ended",
        "agent.suspended.manual",
        "agent.resumed",
        "agent.suspended.automatic",
    ]
    assert audit_verify() == []


def test_decisions_cannot_be_deleted_one_by_one(agent, approver):

    gates_services.gate_decide(
        agent=agent, phase=1, membership=approver, decision="no_go", rationale="Not yet."
    )
    decision = GateDecision.objects.get()
    with pytest.raises(RuntimeError, match="append-only"):
        decision.delete()
    assert GateDecision.objects.count() == 1
