"""Risk assessments and tool-permission reviews through agents/services.py and overview/services.py
(docs/rules.md §4).

Every write is role-checked (a refused call changes nothing) and audited; the audit chain still
verifies after each test.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.http import Http404

from agents import services as agents_services
from agents.models import Agent, RiskAssessment, ToolPermission
from audit.models import AuditEntry
from core.errors import Conflict, Forbidden, InvalidInput
from gates.checklists import PHASES
from gates.models import Gate, GateDecision
from outcomes import services as ms
from overview import services as overview_services
from tests.factories import AgentFactory, SnapshotPayloadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
EIGHT_WEEKS = timedelta(weeks=8)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


# --- fixtures and helpers --------------------------------------------------------------------

EXISTING_TOOLS = [
    {"tool": "payments", "access": "write", "justification": "Issues refunds"},
    {"tool": "crm", "access": "read", "justification": "Looks up customers"},
]


@pytest.fixture
def agent(assessor, owner):
    return AgentFactory.register(
        assessor,
        owner=owner,
        name="Refund bot",
        business_unit="Support",
        tool_permissions=EXISTING_TOOLS,
    )


def fresh(agent: Agent) -> Agent:
    return Agent.objects.get(pk=agent.pk)


def states(agent: Agent) -> dict[int, str]:
    return dict(Gate.objects.filter(agent=agent).values_list("phase", "state"))


def codes(error) -> list[str]:
    return [r.code for r in error.reasons]


BREACHING = {"errors": 20}  # error rate 0.20 > 0.10


def post(agent, membership, **overrides) -> dict:
    """Post a healthy snapshot (completion 95 %, escalations 5 %, errors 2 %, baseline 5 %)."""
    data = SnapshotPayloadFactory(**overrides)
    return ms.metric_snapshot_post(agent=agent, membership=membership, data=data)


@pytest.fixture
def live(clock, agent, to_production):
    """The agent in production since T0 (phase 4's go), in stabilization."""
    return to_production(agent)


def advance(agent, approver, rationale="Figures held for the whole period."):
    return ms.horizon_advance(agent=agent, membership=approver, rationale=rationale)


def to_optimization(live, clock, operator, approver):
    clock.move_to(T0 + EIGHT_WEEKS)
    post(live, operator)
    advance(live, approver)
    advance(live, approver)
    return fresh(live)


# --- risk assessments ------------------------------------------------------------------------


def record(agent, membership, scope="tool", subject="ledger", assessment="Low risk: read only."):
    return agents_services.risk_assessment_record(
        agent=agent, membership=membership, scope=scope, subject=subject, assessment=assessment
    )


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_an_approver_or_admin_records_a_risk_assessment(role, org, make_member, agent):
    member = make_member(org, role, username=f"only-{role}")

    risk = record(agent, member, scope="decision", subject="  Refunds above 50 EUR ")

    assert RiskAssessment.objects.get() == risk
    assert (risk.scope, risk.subject, risk.recorded_by) == (
        "decision",
        "Refunds above 50 EUR",
        member.user,
    )
    entry = AuditEntry.objects.get(action="agent.risk_assessed")
    assert entry.after == {"scope": "decision", "subject": "Refunds above 50 EUR"}


@pytest.mark.parametrize("role", ["assessor", "operator", "viewer"])
def test_other_roles_may_not_record_a_risk_assessment(role, org, make_member, agent, audit_ids):
    member = make_member(org, role, username=f"only-{role}")
    before = audit_ids()

    with pytest.raises(Forbidden):
        record(agent, member)

    assert RiskAssessment.objects.count() == 0
    assert audit_ids() == before


def test_a_risk_assessment_needs_a_scope_a_subject_and_the_assessment(agent, approver):
    with pytest.raises(InvalidInput) as error:
        record(agent, approver, scope="model", subject="  ", assessment=None)

    assert set(error.value.errors) == {"scope", "subject", "assessment"}
    assert RiskAssessment.objects.count() == 0


NEW_TOOL = {"tool": "ledger", "access": "read", "justification": "Reconciles refunds"}


def test_in_optimization_a_new_tool_needs_a_risk_assessment_first(
    live, clock, operator, approver, assessor, audit_ids
):
    agent = to_optimization(live, clock, operator, approver)
    before = audit_ids()

    with pytest.raises(Conflict) as error:
        overview_services.agent_update(
            agent=agent,
            membership=assessor,
            data={"tool_permissions": [*EXISTING_TOOLS, NEW_TOOL]},
        )

    (reason,) = error.value.reasons
    assert reason.code == "risk_assessment_required"
    assert reason.extra == {"scope": "tool", "subject": "ledger"}
    assert agent.tool_permissions.count() == 2
    assert fresh(agent).version == agent.version
    assert states(agent) == dict.fromkeys(PHASES, "go")
    assert audit_ids() == before


def test_in_optimization_a_new_decision_scope_needs_a_risk_assessment_first(
    live, clock, operator, approver, assessor
):
    agent = to_optimization(live, clock, operator, approver)
    before = list(agent.decision_boundaries.values_list("decision", flat=True))

    with pytest.raises(Conflict) as error:
        overview_services.agent_update(
            agent=agent,
            membership=assessor,
            data={"decision_boundaries": [{"decision": "Refunds above 50 EUR", "mode": "alone"}]},
        )

    assert [(r.code, r.extra) for r in error.value.reasons] == [
        ("risk_assessment_required", {"scope": "decision", "subject": "Refunds above 50 EUR"})
    ]
    assert list(agent.decision_boundaries.values_list("decision", flat=True)) == before


def test_in_optimization_every_unassessed_addition_is_listed(
    live, clock, operator, approver, assessor
):
    agent = to_optimization(live, clock, operator, approver)
    record(agent, approver, scope="decision", subject="ledger")  # wrong scope: not the tool

    with pytest.raises(Conflict) as error:
        overview_services.agent_update(
            agent=agent,
            membership=assessor,
            data={
                "tool_permissions": [*EXISTING_TOOLS, NEW_TOOL, {"tool": "mail", "access": "read"}],
                "decision_boundaries": [{"decision": "Close tickets", "mode": "alone"}],
            },
        )

    assert sorted(tuple(r.extra.values()) for r in error.value.reasons) == [
        ("decision", "Close tickets"),
        ("tool", "ledger"),
        ("tool", "mail"),
    ]


def test_in_optimization_another_agents_risk_assessment_does_not_count(
    live, clock, operator, approver, assessor
):
    agent = to_optimization(live, clock, operator, approver)
    other = AgentFactory.register(assessor, owner="olga", name="Quote bot")
    record(other, approver, scope="tool", subject="ledger")

    with pytest.raises(Conflict):
        overview_services.agent_update(
            agent=agent, membership=assessor, data={"tool_permissions": [*EXISTING_TOOLS, NEW_TOOL]}
        )


def test_in_optimization_existing_tools_may_be_kept_or_removed_without_one(
    live, clock, operator, approver, assessor
):
    agent = to_optimization(live, clock, operator, approver)

    overview_services.agent_update(
        agent=agent, membership=assessor, data={"tool_permissions": EXISTING_TOOLS[:1]}
    )

    assert list(agent.tool_permissions.values_list("tool", flat=True)) == ["payments"]


def test_in_scaling_a_new_tool_needs_no_risk_assessment(live, clock, operator, approver, assessor):
    clock.move_to(T0 + EIGHT_WEEKS)
    post(live, operator)
    advance(live, approver)

    overview_services.agent_update(
        agent=live, membership=assessor, data={"tool_permissions": [*EXISTING_TOOLS, NEW_TOOL]}
    )

    assert live.tool_permissions.count() == 3


def test_in_optimization_a_new_tool_with_a_risk_assessment_is_accepted(
    live, clock, operator, approver, assessor
):
    agent = to_optimization(live, clock, operator, approver)
    record(agent, approver, scope="tool", subject="  LEDGER ")  # matched without case

    overview_services.agent_update(
        agent=agent, membership=assessor, data={"tool_permissions": [*EXISTING_TOOLS, NEW_TOOL]}
    )

    assert set(agent.tool_permissions.values_list("tool", flat=True)) == {
        "payments",
        "crm",
        "ledger",
    }


def test_before_optimization_a_new_tool_needs_no_risk_assessment(agent, assessor):
    overview_services.agent_update(
        agent=agent, membership=assessor, data={"tool_permissions": [*EXISTING_TOOLS, NEW_TOOL]}
    )

    assert agent.tool_permissions.count() == 3


# --- tool permission reviews -----------------------------------------------------------------


def permission(agent, tool="payments") -> ToolPermission:
    return ToolPermission.objects.get(agent=agent, tool=tool)


def review(agent, membership, action, tool="payments", note="Refunds still need it"):
    return overview_services.tool_permission_review(
        agent=agent,
        membership=membership,
        permission_id=permission(agent, tool).pk,
        action=action,
        note=note,
    )


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_an_approver_or_admin_marks_a_permission_reviewed_today(
    role, org, make_member, agent, clock
):
    member = make_member(org, role, username=f"only-{role}")
    clock.move_to(datetime(2026, 6, 1, 23, 30, tzinfo=UTC))

    reviewed = review(agent, member, "mark_reviewed")

    assert reviewed.last_reviewed == date(2026, 6, 1)
    assert permission(agent).last_reviewed == date(2026, 6, 1)
    assert permission(agent, "crm").last_reviewed is None
    entry = AuditEntry.objects.get(action="agent.permission_reviewed")
    assert entry.actor == member.user
    assert entry.before == {"tool": "payments", "access": "write", "last_reviewed": None}
    assert entry.after == {
        "tool": "payments",
        "access": "write",
        "last_reviewed": "2026-06-01",
        "note": "Refunds still need it",
    }


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_an_approver_or_admin_revokes_a_permission(role, org, make_member, agent):
    member = make_member(org, role, username=f"only-{role}")

    assert review(agent, member, "revoke") is None

    assert list(agent.tool_permissions.values_list("tool", flat=True)) == ["crm"]
    entry = AuditEntry.objects.get(action="agent.permission_revoked")
    assert entry.actor == member.user
    assert entry.before == {"tool": "payments", "access": "write"}
    assert entry.after is None


def test_revoking_on_an_agent_with_phase_1_at_go_sends_it_to_review(live, approver, audit_actions):
    review(live, approver, "revoke")

    assert states(live) == {1: "needs_review", 2: "go", 3: "go", 4: "go"}
    assert "payments" in Gate.objects.get(agent=live, phase=1).review_reason
    assert audit_actions()[-2:] == ["agent.permission_revoked", "gate.needs_review"]


def test_revoking_on_an_agent_not_at_go_changes_no_gate(agent, approver, audit_actions):
    review(agent, approver, "revoke")

    assert states(agent) == dict.fromkeys(PHASES, "pending")
    assert "gate.needs_review" not in audit_actions()


@pytest.mark.parametrize("action", ["revoke", "mark_reviewed"])
@pytest.mark.parametrize("role", ["assessor", "operator", "viewer"])
def test_other_roles_may_not_review_permissions(role, action, org, make_member, agent, audit_ids):
    member = make_member(org, role, username=f"only-{role}")
    before = audit_ids()

    with pytest.raises(Forbidden):
        review(agent, member, action)

    assert agent.tool_permissions.count() == 2
    assert permission(agent).last_reviewed is None
    assert audit_ids() == before


@pytest.mark.parametrize("action", ["delete", "", None, "Revoke"])
def test_an_unknown_review_action_is_refused_and_changes_nothing(
    action, agent, approver, audit_ids
):
    before = audit_ids()

    with pytest.raises(InvalidInput) as error:
        review(agent, approver, action)

    assert list(error.value.errors) == ["action"]
    assert agent.tool_permissions.count() == 2
    assert audit_ids() == before


def test_another_agents_permission_is_not_found(agent, assessor, approver):
    other = AgentFactory.register(
        assessor,
        owner="olga",
        name="Quote bot",
        tool_permissions=[{"tool": "pricing", "access": "read"}],
    )

    with pytest.raises(Http404):
        overview_services.tool_permission_review(
            agent=agent,
            membership=approver,
            permission_id=permission(other, "pricing").pk,
            action="revoke",
        )

    assert other.tool_permissions.count() == 1


def test_a_gate_decision_is_untouched_by_metrics(live, operator):
    decisions = GateDecision.objects.count()

    post(live, operator, period_start="2026-02-01", period_end="2026-02-28", **BREACHING)

    assert GateDecision.objects.count() == decisions
    assert states(live) == dict.fromkeys(PHASES, "go")


def test_a_revoke_makes_an_edit_opened_before_it_stale(agent, assessor, approver):
    # given an assessor opened the edit form at this version
    seen = fresh(agent).version

    # when an approver revokes "payments", then the assessor saves the form as they saw it
    review(agent, approver, "revoke")
    with pytest.raises(Conflict) as error:
        overview_services.agent_update(
            agent=agent,
            membership=assessor,
            data={"tool_permissions": EXISTING_TOOLS, "purpose": "Refunds"},
            expected_version=seen,
        )

    # then the save is refused as stale, and the revoked permission stays revoked
    assert codes(error.value) == ["stale_version"]
    assert list(agent.tool_permissions.values_list("tool", flat=True)) == ["crm"]
