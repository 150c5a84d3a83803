"""Gates, checklists, decisions and prompt versions through gates/services.py (docs/rules.md §2).

Every service is role-checked (a refused call changes nothing), every write is audited, and the
audit chain still verifies after each test.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.forms.models import model_to_dict

from agents.models import Agent, DecisionBoundary, EscalationPath, ToolPermission
from assessments import services as assessment_services
from audit.models import AuditEntry
from audit.services import audit_verify
from core.errors import Conflict, InvalidInput
from core.roles import Role
from gates import rules
from gates import selectors as gates_selectors
from gates import services as gates_services
from gates.checklists import PHASES
from gates.models import ChecklistItem, Gate, GateDecision, PromptVersion
from killswitch.models import AgentToken, Suspension
from overview import services as overview_services
from tests.conftest import scores_of
from tests.factories import AgentTokenFactory, member_of
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


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


@pytest.fixture
def approver_owner(org, make_member):
    return make_member(org, "approver", username="oscar")


@pytest.fixture
def owned_by_approver(assessor, approver_owner):
    return overview_services.agent_create(
        membership=assessor, data={"name": "Quote bot", "owner": "oscar"}
    )


def fresh(agent: Agent) -> Agent:
    return Agent.objects.get(pk=agent.pk)


def states(agent: Agent) -> dict[int, str]:
    return dict(Gate.objects.filter(agent=agent).values_list("phase", "state"))


def gate(agent: Agent, phase: int) -> Gate:
    return Gate.objects.get(agent=agent, phase=phase)


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def codes(error: Conflict) -> list[str]:
    return [r.code for r in error.reasons]


def meet(agent, phase, membership=None):
    """Give the phase's computed items their evidence (nothing is ticked by hand)."""
    return provide_evidence(agent, phase)


def go(agent, phase, membership, **kwargs):
    """Decide as an approver who has read the gate (its current version)."""
    kwargs.setdefault("expected_version", gate(agent, phase).version)
    return gates_services.gate_decide(
        agent=agent,
        phase=phase,
        membership=membership,
        decision="go",
        rationale=f"Phase {phase} reviewed with the team.",
        **kwargs,
    )


def no_go(agent, phase, membership, **kwargs):
    """Decide as an approver who has read the gate (its current version)."""
    kwargs.setdefault("expected_version", gate(agent, phase).version)
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


def through_phase(agent, last_phase, assessor, approver):
    """Meet every item and decide go on phases 1..last_phase (phase 4 needs a ready assessment
    submitted beforehand)."""
    for phase in range(1, last_phase + 1):
        meet(agent, phase, assessor)
        go(agent, phase, approver)


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


def world() -> dict:
    """Everything a service could change, for "a refused call changes nothing"."""
    models = (
        Agent,
        Gate,
        ChecklistItem,
        GateDecision,
        PromptVersion,
        Suspension,
        AgentToken,
        DecisionBoundary,
        EscalationPath,
        ToolPermission,
    )
    snapshot = {
        model.__name__: [
            sorted((k, str(v)) for k, v in model_to_dict(obj).items())
            for obj in model.objects.order_by("pk")
        ]
        for model in models
    }
    snapshot["audit"] = list(AuditEntry.objects.order_by("id").values_list("id", "hash"))
    return snapshot


# --- needs_review: governance changes on a gate at go -----------------------------------------


@pytest.fixture
def in_production(agent, assessor, approver):
    submit_assessment(assessor)
    through_phase(agent, 4, assessor, approver)
    assert states(agent) == dict.fromkeys(PHASES, "go")
    return agent


PHASE_1_CHANGES = {
    "owner": {"owner": "otto"},
    "decision_boundaries": {
        "decision_boundaries": [
            {"decision": "Refunds", "mode": "alone"},
            {"decision": "Refunds over 500 EUR", "mode": "escalate"},
        ]
    },
    "escalation_paths": {"escalation_paths": [{"failure_state": "Timeout", "owner": "otto"}]},
    "tool_permissions": {
        "tool_permissions": [{"tool": "crm", "access": "read", "justification": "Look-ups"}]
    },
}


@pytest.mark.parametrize("field", PHASE_1_CHANGES)
def test_a_governance_change_sends_phase_1_at_go_to_needs_review_and_later_gates_keep_theirs(
    in_production, assessor, operator, org, field
):
    # given an agent in production
    assert gates_selectors.agent_phase(
        gates_selectors.agent_get(organization=org, pk=in_production.pk)
    ) == ("production")

    # when one of phase 1's governance fields changes
    overview_services.agent_update(
        agent=in_production, membership=assessor, data=PHASE_1_CHANGES[field]
    )

    # then phase 1 needs review, the others keep go, and the agent is no longer in production
    assert states(in_production) == {1: "needs_review", 2: "go", 3: "go", 4: "go"}
    assert field in gate(in_production, 1).review_reason
    agent = gates_selectors.agent_get(organization=org, pk=in_production.pk)
    assert gates_selectors.agent_phase(agent) == 1
    assert not rules.in_production(gates_selectors.gate_states(agent))
    assert actions()[-2:] == ["agent.updated", "gate.needs_review"]


def test_setting_a_computed_item_is_refused_and_the_gate_keeps_go(in_production, assessor):
    before = world()

    with pytest.raises(InvalidInput) as error:
        gates_services.checklist_update(
            agent=in_production,
            phase=1,
            membership=assessor,
            changes={"kill_switch_designed": {"met": False, "evidence": "New runbook link"}},
        )

    assert "cannot be set by hand" in error.value.errors["kill_switch_designed"][0]
    assert world() == before


def test_withdrawing_an_attestation_on_a_gate_at_go_sends_only_that_gate_to_review(
    in_production, assessor
):
    # given tracing attested, then its spans ageing out of the 7 days
    gates_services.checklist_update(
        agent=in_production,
        phase=4,
        membership=assessor,
        changes={"tracing": {"met": True, "evidence": "https://traces.example/refunds"}},
    )
    in_production.telemetry_hours.update(hour=T0)
    assert states(in_production) == dict.fromkeys(PHASES, "go")

    gates_services.checklist_update(
        agent=in_production, phase=4, membership=assessor, changes={"tracing": {"met": False}}
    )

    assert states(in_production) == dict.fromkeys(PHASES, "go") | {4: "needs_review"}
    assert actions()[-2:] == ["gate.checklist_changed", "gate.needs_review"]


def test_a_guardrail_change_sends_phase_3_to_needs_review(in_production, assessor):
    overview_services.agent_update(
        agent=in_production, membership=assessor, data={"guardrails": {"tokens_per_session": 8000}}
    )

    assert states(in_production) == {1: "go", 2: "go", 3: "needs_review", 4: "go"}
    assert "guardrails" in gate(in_production, 3).review_reason


def test_owner_and_guardrails_together_send_phases_1_and_3_to_needs_review(
    in_production, assessor, operator
):
    overview_services.agent_update(
        agent=in_production,
        membership=assessor,
        data={"owner": "otto", "guardrails": {"monthly_budget": 99}},
    )

    assert states(in_production) == {1: "needs_review", 2: "go", 3: "needs_review", 4: "go"}


@pytest.mark.parametrize(
    "data",
    [{"name": "Refund bot 2"}, {"purpose": "Other"}, {"business_unit": "Finance"}],
)
def test_non_governance_fields_leave_the_gates_alone(in_production, assessor, data):
    overview_services.agent_update(agent=in_production, membership=assessor, data=data)

    assert states(in_production) == dict.fromkeys(PHASES, "go")


def test_resending_the_same_records_is_no_change(in_production, assessor, operator):
    # given the records as they are
    overview_services.agent_update(
        agent=in_production, membership=assessor, data=PHASE_1_CHANGES["owner"]
    )
    go(in_production, 1, _other_approver(in_production))
    count = AuditEntry.objects.count()

    # when they are sent again
    overview_services.agent_update(
        agent=in_production, membership=assessor, data=PHASE_1_CHANGES["owner"]
    )

    # then nothing changed
    assert states(in_production) == dict.fromkeys(PHASES, "go")
    assert AuditEntry.objects.count() == count


def _other_approver(agent):
    from tests.factories import MembershipFactory

    member = MembershipFactory(organization=agent.organization)
    member.set_roles({Role.APPROVER})
    member.save()
    return member


def test_a_change_on_a_gate_not_at_go_leaves_it_as_it_was(agent, assessor, approver, operator):
    # given phase 1 at no_go
    no_go(agent, 1, approver)

    overview_services.agent_update(agent=agent, membership=assessor, data=PHASE_1_CHANGES["owner"])
    gates_services.checklist_update(
        agent=agent,
        phase=4,
        membership=assessor,
        changes={"tracing": {"met": True, "evidence": "x"}},
    )

    assert states(agent)[1] == "no_go"
    assert "gate.needs_review" not in actions()


def test_a_gate_in_needs_review_can_go_again(in_production, assessor, approver, org):
    overview_services.agent_update(
        agent=in_production, membership=assessor, data={"guardrails": {"monthly_budget": 10}}
    )

    go(in_production, 3, approver)

    assert states(in_production) == dict.fromkeys(PHASES, "go")
    assert gate(in_production, 3).review_reason == ""
    assert fresh(in_production).horizon == "stabilization"


# --- checklist_update --------------------------------------------------------------------------


def test_an_attestation_stores_met_and_evidence_and_is_audited(agent, assessor):
    gates_services.checklist_update(
        agent=agent,
        phase=4,
        membership=assessor,
        changes={
            "tracing": {"met": True, "evidence": "  https://traces.example/refunds  "},
            "quality_threshold": {"met": True, "evidence": "Weekly eval report"},
        },
    )

    items = {i.key: i for i in gate(agent, 4).items.all()}
    assert items["tracing"].met is True
    assert items["tracing"].evidence == "https://traces.example/refunds"
    assert items["tracing"].updated_by == assessor.user
    assert items["quality_threshold"].evidence == "Weekly eval report"
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "gate.checklist_changed"
    assert entry.after["phase"] == 4
    assert set(entry.after["items"]) == {"tracing", "quality_threshold"}


def test_withdrawing_an_attestation_clears_it(agent, assessor):
    change = {"tracing": {"met": True, "evidence": "https://traces.example/refunds"}}
    gates_services.checklist_update(agent=agent, phase=4, membership=assessor, changes=change)

    gates_services.checklist_update(
        agent=agent, phase=4, membership=assessor, changes={"tracing": {"met": False}}
    )

    item = gate(agent, 4).items.get(key="tracing")
    assert (item.met, item.evidence) == (False, "")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"owner_assigned": {"met": True}}, "owner_assigned"),  # a phase 1 item on phase 4
        ({"auto_suspend": {"met": True, "evidence": "on"}}, "auto_suspend"),  # computed
        ({"tracing": {"met": "yes"}}, "tracing.met"),
        ({"tracing": {"evidence": 5}}, "tracing.evidence"),
        ({"tracing": {"evidence": "x" * 5001}}, "tracing.evidence"),
        ({"tracing": {"met": True}}, "tracing.evidence"),  # an attestation needs evidence
        ({"tracing": {"met": True, "evidence": "  "}}, "tracing.evidence"),
        ({"tracing": True}, "tracing"),
        ({}, "__all__"),
    ],
)
def test_a_bad_checklist_change_is_refused_all_or_nothing(agent, assessor, changes, field):
    before = world()

    with pytest.raises(InvalidInput) as error:
        gates_services.checklist_update(
            agent=agent,
            phase=4,
            membership=assessor,
            changes={"quality_threshold": {"met": True, "evidence": "Eval report"}} | changes
            if changes
            else {},
        )

    assert field in error.value.errors
    assert world() == before


def test_a_checklist_change_that_changes_nothing_writes_no_audit_entry(agent, assessor):
    count = AuditEntry.objects.count()

    gates_services.checklist_update(
        agent=agent, phase=4, membership=assessor, changes={"tracing": {"met": False}}
    )

    assert AuditEntry.objects.count() == count


# --- gate_decide ------------------------------------------------------------------------------


def test_go_needs_every_item_met(agent, assessor, approver):
    # The owner is an active member; an operator and a runtime token design the kill switch.
    member_of(agent.organization, Role.OPERATOR)
    AgentTokenFactory(agent=agent)
    before = world()

    with pytest.raises(Conflict) as error:
        go(agent, 1, approver)

    assert codes(error.value) == ["unmet_items"]
    assert error.value.reasons[0].extra["items"] == [
        "boundaries_documented",
        "escalation_owners_mapped",
        "least_privilege_justified",
    ]
    assert world() == before


@pytest.mark.parametrize("previous", ["pending", "no_go", "needs_review"])
def test_go_needs_the_previous_gate_at_go(agent, assessor, approver, operator, previous):
    # given phase 2's items all met, and phase 1 in `previous`
    meet(agent, 1, assessor)
    if previous == "no_go":
        no_go(agent, 1, approver)
    elif previous == "needs_review":
        go(agent, 1, approver)
        overview_services.agent_update(
            agent=agent, membership=assessor, data=PHASE_1_CHANGES["owner"]
        )
    meet(agent, 2, assessor)
    assert states(agent)[1] == previous

    with pytest.raises(Conflict) as error:
        go(agent, 2, approver)

    assert codes(error.value) == ["previous_phase_not_go"]
    assert error.value.reasons[0].extra == {"previous_phase": 1, "previous_state": previous}
    assert states(agent)[2] == "pending"


def test_a_go_refused_for_several_reasons_lists_them_all(owned_by_approver, approver_owner):
    with pytest.raises(Conflict) as error:
        go(owned_by_approver, 4, approver_owner)

    assert codes(error.value) == [
        "owner_cannot_decide",
        "unmet_items",
        "previous_phase_not_go",
        "readiness_missing",
    ]


def test_the_service_lists_the_reasons_before_the_approver_presses(agent, assessor, approver):
    meet(agent, 2, assessor)

    reasons = gates_services.gate_go_reasons(agent=agent, phase=2, membership=approver)

    assert [r.code for r in reasons] == ["previous_phase_not_go"]
    assert gates_services.gate_go_reasons(agent=agent, phase=1, membership=approver)[0].code == (
        "unmet_items"
    )


def test_a_go_records_the_decision_and_moves_the_gate(agent, assessor, approver):
    meet(agent, 1, assessor)
    version = gate(agent, 1).version

    decision = go(agent, 1, approver, expected_version=version)

    assert (decision.decision, decision.unmet_items, decision.decided_by) == (
        "go",
        [],
        approver.user,
    )
    assert decision.rationale == "Phase 1 reviewed with the team."
    assert decision.readiness is None
    assert gate(agent, 1).state == "go"
    assert gate(agent, 1).version == version + 1
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "gate.decided"
    assert entry.before == {"phase": 1, "state": "pending"}
    assert entry.after["state"] == "go"


def test_a_no_go_stores_the_unmet_items_with_their_labels(agent, assessor, approver):
    Agent.objects.filter(pk=agent.pk).update(tokens_per_session=8000)

    decision = no_go(agent, 3, approver)

    assert decision.unmet_items == [
        {"key": "api_call_limit", "label": "Hard limit on API call volume"},
        {
            "key": "sequential_actions_limit",
            "label": "Maximum sequential actions before human confirmation",
        },
        {"key": "budget_alerts", "label": "Budget limit with usage alerts"},
    ]
    assert gate(agent, 3).state == "no_go"
    assert AuditEntry.objects.order_by("id").last().after["unmet_items"] == [
        "api_call_limit",
        "sequential_actions_limit",
        "budget_alerts",
    ]


def test_a_no_go_with_every_item_met_stores_no_unmet_items(agent, assessor, approver):
    meet(agent, 1, assessor)

    assert no_go(agent, 1, approver).unmet_items == []


@pytest.mark.parametrize("rationale", ["", "   ", None, 5])
@pytest.mark.parametrize("decision", ["go", "no_go"])
def test_both_decisions_need_a_written_rationale(agent, assessor, approver, decision, rationale):
    meet(agent, 1, assessor)
    before = world()

    with pytest.raises(InvalidInput) as error:
        gates_services.gate_decide(
            agent=agent, phase=1, membership=approver, decision=decision, rationale=rationale
        )

    assert list(error.value.errors) == ["rationale"]
    assert world() == before


@pytest.mark.parametrize("decision", ["maybe", "GO", "", None])
def test_an_unknown_decision_is_refused(agent, approver, decision):
    with pytest.raises(InvalidInput) as error:
        gates_services.gate_decide(
            agent=agent, phase=1, membership=approver, decision=decision, rationale="x"
        )

    assert "decision" in error.value.errors


@pytest.mark.parametrize("decide", [go, no_go])
def test_the_agents_owner_cannot_decide_its_gates(
    owned_by_approver, assessor, approver_owner, decide
):
    meet(owned_by_approver, 1, assessor)
    before = world()

    with pytest.raises(Conflict) as error:
        decide(owned_by_approver, 1, approver_owner)

    assert codes(error.value) == ["owner_cannot_decide"]
    assert world() == before


def test_decisions_are_append_only_and_the_history_stays(agent, assessor, approver):
    # given a no-go, then a go on the same gate
    first = no_go(agent, 1, approver)
    meet(agent, 1, assessor)
    second = go(agent, 1, approver)

    # then both are kept, the latest first
    assert list(gate(agent, 1).decisions.values_list("pk", flat=True)) == [second.pk, first.pk]
    assert gate(agent, 1).state == "go"

    # and an existing decision cannot be saved again
    first.rationale = "Rewritten history"
    with pytest.raises(RuntimeError, match="append-only"):
        first.save()
    assert GateDecision.objects.get(pk=first.pk).rationale == "Not yet."


def test_two_decisions_on_the_version_they_saw_only_the_first_lands(agent, assessor, approver):
    # given two approvers who opened the gate at the same version
    meet(agent, 1, assessor)
    seen = gate(agent, 1).version
    other = _other_approver(agent)

    # when both decide
    go(agent, 1, approver, expected_version=seen)
    before = world()
    with pytest.raises(Conflict) as error:
        no_go(agent, 1, other, expected_version=seen)

    # then the second is told the gate changed, and nothing of it was recorded
    assert codes(error.value) == ["gate_changed"]
    assert world() == before
    assert GateDecision.objects.count() == 1
    assert gate(agent, 1).state == "go"


def test_a_change_after_the_approver_opened_the_gate_is_a_conflict(
    in_production, assessor, approver
):
    # given the approver saw phase 3 at its current version
    seen = gate(in_production, 3).version
    overview_services.agent_update(
        agent=in_production, membership=assessor, data={"guardrails": {"monthly_budget": 7}}
    )

    with pytest.raises(Conflict) as error:
        go(in_production, 3, approver, expected_version=seen)

    assert codes(error.value) == ["gate_changed"]
    assert states(in_production)[3] == "needs_review"


@pytest.mark.parametrize("version", ["3", 1.0, True])
def test_the_expected_version_must_be_a_whole_number(agent, approver, version):
    with pytest.raises(InvalidInput) as error:
        no_go(agent, 1, approver, expected_version=version)

    assert "version" in error.value.errors


# --- phase 4 and readiness ---------------------------------------------------------------------


def test_phase_4_go_needs_a_submitted_assessment(agent, assessor, approver):
    through_phase(agent, 3, assessor, approver)
    meet(agent, 4, assessor)

    with pytest.raises(Conflict) as error:
        go(agent, 4, approver)

    assert codes(error.value) == ["readiness_missing"]


@pytest.mark.parametrize(
    ("values", "verdict"), [((3, 3, 3, 4), "not_ready"), ((5, 5, 5, 2), "blocked")]
)
def test_phase_4_go_needs_the_latest_assessment_ready(agent, assessor, approver, values, verdict):
    submit_assessment(assessor)  # an earlier ready one does not count
    submit_assessment(assessor, values)
    through_phase(agent, 3, assessor, approver)
    meet(agent, 4, assessor)

    with pytest.raises(Conflict) as error:
        go(agent, 4, approver)

    assert codes(error.value) == ["readiness_not_ready"]
    assert error.value.reasons[0].extra == {"verdict": verdict}


@pytest.mark.parametrize(
    ("later", "allowed"),
    [
        (timedelta(days=90), True),
        (timedelta(days=90, seconds=1), False),
        (timedelta(days=91), False),
    ],
)
def test_phase_4_go_within_90_days_of_the_submission(
    agent, assessor, approver, org, later, allowed
):
    with time_machine.travel(T0, tick=False) as clock:
        # given a ready assessment submitted at T0, and phases 1-3 at go
        assessment = submit_assessment(assessor)
        assert assessment.submitted_at == T0
        through_phase(agent, 3, assessor, approver)

        # when the approver decides `later` (with phase 4's spans and scores fresh then)
        clock.move_to(T0 + later)
        meet(agent, 4, assessor)
        if allowed:
            decision = go(agent, 4, approver)
            assert decision.readiness == {
                "verdict": "ready",
                "total": 16,
                "submitted_at": T0.isoformat(),
            }
            assert fresh(agent).horizon == "stabilization"
            assert gates_selectors.agent_phase(
                gates_selectors.agent_get(organization=org, pk=agent.pk)
            ) == ("production")
        else:
            with pytest.raises(Conflict) as error:
                go(agent, 4, approver)
            assert codes(error.value) == ["readiness_stale"]
            assert states(agent)[4] == "pending"
            assert fresh(agent).horizon == ""


def test_a_go_on_phase_4_moves_the_agent_into_stabilization_once(in_production, approver, assessor):
    # given the agent advanced beyond stabilization, and phase 4 sent to review
    Agent.objects.filter(pk=in_production.pk).update(horizon="scaling")
    gates_services.checklist_update(
        agent=in_production, phase=4, membership=assessor, changes={"tracing": {"evidence": "v2"}}
    )

    # when phase 4 goes again (on the agent as a page or the API reads it)
    go(fresh(in_production), 4, approver)

    # then the horizon is not reset
    assert fresh(in_production).horizon == "scaling"


def test_a_go_does_not_lapse_when_the_assessment_ages(agent, assessor, approver):
    with time_machine.travel(T0, tick=False) as clock:
        submit_assessment(assessor)
        through_phase(agent, 4, assessor, approver)

        clock.move_to(T0 + timedelta(days=400))

        assert states(agent) == dict.fromkeys(PHASES, "go")


# --- prompt versions -------------------------------------------------------------------------


def test_a_shipping_version_becomes_current_and_meets_phase_2(agent, assessor):
    version = gates_services.prompt_version_post(
        agent=agent, membership=assessor, data=prompt("v1.4")
    )

    assert version.ship is True
    assert version.reasons == []
    assert fresh(agent).current_prompt == version
    items = gates_selectors.phase_items(gates_selectors.agent_evidence(agent=agent), 2)
    assert all(i.met for i in items)
    assert all("v1.4" in i.evidence for i in items if i.key != "rollback_plan")
    assert items[3].evidence == "First version; fallback stated: v0."
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "prompt_version.posted"
    assert entry.after == {
        "id": version.pk,
        "tag": "v1.4",
        "ship": True,
        "reasons": [],
        "current_prompt": "v1.4",
        "delta": 0.02,
        "delta_source": "given",
        "counts": {},
    }


@pytest.mark.parametrize(
    ("overrides", "reasons"),
    [
        ({"regression_passed": False}, ["regression_failed"]),
        ({"adversarial_passed": False}, ["adversarial_failed"]),
        ({"delta": 0.0500001}, ["delta_above_tolerance"]),
        (
            {"regression_passed": False, "adversarial_passed": False, "delta": 1},
            ["regression_failed", "adversarial_failed", "delta_above_tolerance"],
        ),
    ],
)
def test_a_version_that_may_not_ship_is_recorded_and_changes_nothing_else(
    agent, assessor, approver, overrides, reasons
):
    # given v1 shipped and phase 2 at go
    v1 = gates_services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))
    through_phase(agent, 2, assessor, approver)
    evidence = list(gate(agent, 2).items.values_list("evidence", flat=True))

    # when v2 may not ship
    v2 = gates_services.prompt_version_post(
        agent=agent, membership=assessor, data=prompt("v2", **overrides)
    )

    # then it is recorded with its reasons, and neither the current version nor the gate moved
    assert v2.ship is False
    assert [r["code"] for r in v2.reasons] == reasons
    assert fresh(agent).current_prompt == v1
    assert states(agent)[2] == "go"
    assert list(gate(agent, 2).items.values_list("evidence", flat=True)) == evidence
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "prompt_version.posted"
    assert entry.after["current_prompt"] == "v1"
    assert entry.after["reasons"] == reasons


def test_a_shipping_version_sends_phase_2_at_go_to_needs_review(agent, assessor, approver, org):
    # given v1 shipped and phases 1-2 at go
    gates_services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))
    through_phase(agent, 2, assessor, approver)

    # when v2 ships
    v2 = gates_services.prompt_version_post(
        agent=agent, membership=assessor, data=prompt("v2", rollback_target="v1")
    )

    # then phase 2 needs review, every item is met by v2, and phase 1 kept go
    assert fresh(agent).current_prompt == v2
    assert states(agent) == {1: "go", 2: "needs_review", 3: "pending", 4: "pending"}
    assert "v2" in gate(agent, 2).review_reason
    items = gates_selectors.phase_items(gates_selectors.agent_evidence(agent=agent), 2)
    assert all(i.met for i in items)
    assert items[3].evidence == "Rolls back to v1, an earlier version that was allowed to ship."
    assert actions()[-2:] == ["gate.needs_review", "prompt_version.posted"]
    agent_read = gates_selectors.agent_get(organization=org, pk=agent.pk)
    assert gates_selectors.agent_phase(agent_read) == 2


@pytest.mark.parametrize(
    ("delta", "tolerance", "ships"),
    [(0, 0, True), (0.05, 0.05, True), (0.05 + 1e-9, 0.05, False), (10**12, 10**12, True)],
)
def test_the_delta_edge(agent, assessor, delta, tolerance, ships):
    version = gates_services.prompt_version_post(
        agent=agent, membership=assessor, data=prompt("v1", delta=delta, tolerance=tolerance)
    )

    assert version.ship is ships
    assert (fresh(agent).current_prompt_id == version.pk) is ships


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"delta": -0.01}, "delta"),
        ({"tolerance": -1}, "tolerance"),
        ({"delta": float("nan")}, "delta"),
        ({"delta": float("inf")}, "delta"),
        ({"delta": "0.1"}, "delta"),
        ({"delta": True}, "delta"),
        ({"tolerance": None}, "tolerance"),
        ({"delta": 10**12 + 1}, "delta"),
        ({"regression_passed": "true"}, "regression_passed"),
        ({"adversarial_passed": None}, "adversarial_passed"),
        ({"tag": ""}, "tag"),
        ({"tag": "x" * 101}, "tag"),
    ],
)
def test_a_bad_prompt_version_is_refused_and_nothing_is_recorded(agent, assessor, overrides, field):
    before = world()

    with pytest.raises(InvalidInput) as error:
        gates_services.prompt_version_post(
            agent=agent, membership=assessor, data=prompt("v1") | overrides
        )

    assert field in error.value.errors
    assert world() == before


@pytest.mark.parametrize("missing", ["tolerance"])
def test_tolerance_is_required(agent, assessor, missing):
    # delta is not: without it the service computes it (tests/gates/test_promptfoo_posts.py)
    data = prompt("v1")
    del data[missing]

    with pytest.raises(InvalidInput) as error:
        gates_services.prompt_version_post(agent=agent, membership=assessor, data=data)

    assert missing in error.value.errors


def test_a_tag_the_agent_already_has_is_a_conflict(agent, assessor):
    gates_services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))
    before = world()

    with pytest.raises(Conflict) as error:
        gates_services.prompt_version_post(
            agent=agent, membership=assessor, data=prompt("v1", regression_passed=False)
        )

    assert codes(error.value) == ["duplicate_tag"]
    assert world() == before


def test_the_same_tag_on_another_agent_is_fine(agent, assessor):
    other = overview_services.agent_create(
        membership=assessor, data={"name": "Other", "owner": "olga"}
    )
    gates_services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))

    assert gates_services.prompt_version_post(
        agent=other, membership=assessor, data=prompt("v1")
    ).ship
