"""Agents, gates, prompt versions and the kill switch through agents/services.py (SPEC §2, §4).

Every service is role-checked (a refused call changes nothing), every write is audited, and the
audit chain still verifies after each test.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.forms.models import model_to_dict

from accounts.roles import Role
from agents import rules, selectors, services
from agents.checklists import PHASES, phase_definition
from agents.models import (
    Agent,
    AgentToken,
    ChecklistItem,
    DecisionBoundary,
    EscalationPath,
    Gate,
    GateDecision,
    PromptVersion,
    Suspension,
    ToolPermission,
)
from assessments import services as assessment_services
from audit.models import AuditEntry
from audit.services import audit_verify
from readiness.errors import Conflict, Forbidden, InvalidInput
from tests.conftest import scores_of

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
    return services.agent_create(
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
    return services.agent_create(membership=assessor, data={"name": "Quote bot", "owner": "oscar"})


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


def meet(agent, phase, membership, keys=None):
    keys = keys if keys is not None else phase_definition(phase).keys
    return services.checklist_update(
        agent=agent,
        phase=phase,
        membership=membership,
        changes={k: {"met": True, "evidence": f"https://wiki.example/{k}"} for k in keys},
    )


def go(agent, phase, membership, **kwargs):
    return services.gate_decide(
        agent=agent,
        phase=phase,
        membership=membership,
        decision="go",
        rationale=f"Phase {phase} reviewed with the team.",
        **kwargs,
    )


def no_go(agent, phase, membership, **kwargs):
    return services.gate_decide(
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


# --- agent_create ----------------------------------------------------------------------------


def test_registering_an_agent_creates_its_four_gates_with_their_checklists(agent, assessor):
    # then
    agent = fresh(agent)
    assert agent.state == "active"
    assert agent.horizon == ""
    assert agent.version == 1
    assert agent.current_prompt is None
    assert agent.owner.username == "olga"
    assert agent.created_by == assessor.user
    assert states(agent) == dict.fromkeys(PHASES, "pending")
    for phase in PHASES:
        items = list(gate(agent, phase).items.order_by("id"))
        assert [i.key for i in items] == list(phase_definition(phase).keys)
        assert not any(i.met for i in items)
    read = selectors.agent_get(organization=agent.organization, pk=agent.pk)
    assert selectors.agent_phase(read) == 1


def test_registering_an_agent_writes_one_audit_entry_with_its_records(agent):
    entry = AuditEntry.objects.get()

    assert entry.action == "agent.created"
    assert entry.actor_label == "sam"
    assert entry.object_id == str(agent.pk)
    assert entry.after["name"] == "Refund bot"
    assert entry.after["owner"] == "olga"


def test_registering_an_agent_with_its_records_stores_them(assessor, owner, operator):
    # when
    agent = services.agent_create(
        membership=assessor,
        data={
            "name": "Claims bot",
            "owner": "olga",
            "decision_boundaries": [
                {"decision": "Refund under 50 EUR", "mode": "alone"},
                {"decision": "Refund above 50 EUR", "mode": "escalate"},
            ],
            "escalation_paths": [{"failure_state": "Tool timeout", "owner": "otto"}],
            "tool_permissions": [
                {
                    "tool": "payments",
                    "access": "write",
                    "justification": "Issues refunds",
                    "last_used": "2026-05-01",
                    "last_reviewed": None,
                }
            ],
            "guardrails": {"api_calls_per_hour": 500, "monthly_budget": 1200.5},
        },
    )

    # then
    agent = fresh(agent)
    assert [(b.decision, b.mode) for b in agent.decision_boundaries.all()] == [
        ("Refund under 50 EUR", "alone"),
        ("Refund above 50 EUR", "escalate"),
    ]
    assert [(p.failure_state, p.owner.username) for p in agent.escalation_paths.all()] == [
        ("Tool timeout", "otto")
    ]
    permission = agent.tool_permissions.get()
    assert (permission.tool, permission.access, permission.last_used) == (
        "payments",
        "write",
        date(2026, 5, 1),
    )
    assert permission.last_reviewed is None
    assert agent.api_calls_per_hour == 500
    assert agent.guardrails()["monthly_budget"] == 1200.5


@pytest.mark.parametrize("owner_name", ["gus", "nobody", "", "  ", None, 42])
def test_the_owner_must_be_a_member_of_the_organization(assessor, other_assessor, owner_name):
    # given "gus" exists, but in another organization
    before = world()

    # when
    with pytest.raises(InvalidInput) as error:
        services.agent_create(membership=assessor, data={"name": "Bot", "owner": owner_name})

    # then the error names the owner field, and nothing was created
    assert list(error.value.errors) == ["owner"]
    assert world() == before


def test_an_agent_needs_a_name_and_an_owner(assessor):
    with pytest.raises(InvalidInput) as error:
        services.agent_create(membership=assessor, data={})

    assert set(error.value.errors) == {"name", "owner"}
    assert Agent.objects.count() == 0


def test_a_blank_name_is_refused(assessor, owner):
    with pytest.raises(InvalidInput) as error:
        services.agent_create(membership=assessor, data={"name": "   ", "owner": "olga"})

    assert list(error.value.errors) == ["name"]


def test_a_duplicate_name_in_the_organization_is_refused_and_nothing_changes(agent, assessor):
    before = world()

    with pytest.raises(InvalidInput) as error:
        services.agent_create(membership=assessor, data={"name": " Refund bot ", "owner": "olga"})

    assert list(error.value.errors) == ["name"]
    assert world() == before


def test_the_same_name_is_fine_in_another_organization(agent, other_assessor):
    other = services.agent_create(
        membership=other_assessor, data={"name": "Refund bot", "owner": "gus"}
    )

    assert other.organization != agent.organization


def test_renaming_to_another_agents_name_is_refused(agent, assessor):
    services.agent_create(membership=assessor, data={"name": "Quote bot", "owner": "olga"})

    with pytest.raises(InvalidInput) as error:
        services.agent_update(agent=agent, membership=assessor, data={"name": "Quote bot"})

    assert list(error.value.errors) == ["name"]
    assert fresh(agent).name == "Refund bot"


# --- roles: every service refuses every other role, and changes nothing ---------------------


def _create(agent, m):
    return services.agent_create(membership=m, data={"name": "Another bot", "owner": "olga"})


def _update(agent, m):
    return services.agent_update(agent=agent, membership=m, data={"purpose": "Something else"})


def _checklist(agent, m):
    return services.checklist_update(
        agent=agent, phase=1, membership=m, changes={"owner_assigned": {"met": True}}
    )


def _prompt(agent, m):
    return services.prompt_version_post(agent=agent, membership=m, data=prompt("v1"))


def _decide(agent, m):
    return no_go(agent, 1, m)


def _resume(agent, m):
    return services.agent_resume(agent=agent, membership=m, reason="False alarm")


def _suspend(agent, m):
    return services.agent_suspend(agent=agent, membership=m, reason="Odd refunds")


def _drill(agent, m):
    return services.drill_start(agent=agent, membership=m)


def _token(agent, m):
    return services.agent_token_create(agent=agent, membership=m, name="Runtime")


SERVICES = {
    "agent_create": (Role.ASSESSOR, _create),
    "agent_update": (Role.ASSESSOR, _update),
    "checklist_update": (Role.ASSESSOR, _checklist),
    "prompt_version_post": (Role.ASSESSOR, _prompt),
    "gate_decide": (Role.APPROVER, _decide),
    "agent_resume": (Role.APPROVER, _resume),
    "agent_suspend": (Role.OPERATOR, _suspend),
    "drill_start": (Role.OPERATOR, _drill),
    "agent_token_create": (Role.ADMIN, _token),
}
REFUSED = [
    (name, role) for name, (required, _) in SERVICES.items() for role in Role if role != required
]


@pytest.fixture
def prepared(agent, operator):
    """The agent, suspended when the service under test is resume."""

    def prepare(name):
        if name == "agent_resume":
            services.agent_suspend(agent=agent, membership=operator, reason="Test")
        return agent

    return prepare


@pytest.mark.parametrize(("name", "role"), REFUSED)
def test_a_role_the_spec_does_not_name_is_forbidden_and_changes_nothing(
    name, role, org, make_member, prepared
):
    # given a member holding only that role
    agent = prepared(name)
    member = make_member(org, role.value, username=f"only-{role.value}")
    before = world()

    # when / then
    with pytest.raises(Forbidden):
        SERVICES[name][1](agent, member)
    assert world() == before


@pytest.mark.parametrize("name", SERVICES)
def test_every_role_but_the_required_one_is_still_forbidden(name, org, make_member, prepared):
    # roles add up; none includes another
    agent = prepared(name)
    required = SERVICES[name][0]
    member = make_member(
        org, *(r.value for r in Role if r != required), username=f"all-but-{required.value}"
    )
    before = world()

    with pytest.raises(Forbidden):
        SERVICES[name][1](agent, member)
    assert world() == before


@pytest.mark.parametrize("name", SERVICES)
def test_the_required_role_alone_is_allowed(name, org, make_member, prepared):
    agent = prepared(name)
    required = SERVICES[name][0]
    member = make_member(org, required.value, username=f"just-{required.value}")
    count = AuditEntry.objects.count()

    SERVICES[name][1](agent, member)

    assert AuditEntry.objects.count() > count


# --- agent_update ------------------------------------------------------------------------------


def test_an_update_with_a_stale_version_is_a_conflict_and_saves_nothing(agent, assessor):
    # given someone saved after we opened version 1
    services.agent_update(agent=agent, membership=assessor, data={"purpose": "First"})
    before = world()

    # when
    with pytest.raises(Conflict) as error:
        services.agent_update(
            agent=agent, membership=assessor, data={"name": "Mine"}, expected_version=1
        )

    # then
    assert codes(error.value) == ["stale_version"]
    assert error.value.reasons[0].extra == {"current_version": 2}
    assert world() == before
    assert fresh(agent).name == "Refund bot"


def test_an_update_on_the_current_version_saves_and_counts_the_version(agent, assessor):
    updated = services.agent_update(
        agent=agent, membership=assessor, data={"purpose": "All refunds"}, expected_version=1
    )

    assert updated.version == 2
    assert fresh(agent).purpose == "All refunds"
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "agent.updated"
    assert entry.before == {"purpose": "Refunds under 50 EUR"}
    assert entry.after == {"purpose": "All refunds"}


def test_an_update_that_changes_nothing_writes_no_audit_entry(agent, assessor):
    count = AuditEntry.objects.count()

    services.agent_update(
        agent=agent, membership=assessor, data={"purpose": "Refunds under 50 EUR"}
    )

    assert AuditEntry.objects.count() == count


def test_lists_are_replaced_whole(agent, assessor):
    services.agent_update(
        agent=agent,
        membership=assessor,
        data={
            "decision_boundaries": [
                {"decision": "a", "mode": "alone"},
                {"decision": "b", "mode": "escalate"},
            ]
        },
    )
    services.agent_update(
        agent=agent,
        membership=assessor,
        data={"decision_boundaries": [{"decision": "c", "mode": "escalate"}]},
    )

    assert list(fresh(agent).decision_boundaries.values_list("decision", flat=True)) == ["c"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"decision_boundaries": [{"decision": "x", "mode": "sometimes"}]},
            "decision_boundaries.0.mode",
        ),
        ({"decision_boundaries": "x"}, "decision_boundaries"),
        (
            {"escalation_paths": [{"failure_state": "x", "owner": "gus"}]},
            "escalation_paths.0.owner",
        ),
        ({"tool_permissions": [{"tool": "db", "access": "root"}]}, "tool_permissions.0.access"),
        (
            {"tool_permissions": [{"tool": "db", "access": "read", "last_used": "yesterday"}]},
            "tool_permissions.0.last_used",
        ),
        ({"guardrails": {"api_calls_per_hour": -1}}, "guardrails.api_calls_per_hour"),
        ({"guardrails": {"api_calls_per_hour": 1.5}}, "guardrails.api_calls_per_hour"),
        ({"guardrails": {"api_calls_per_hour": True}}, "guardrails.api_calls_per_hour"),
        ({"guardrails": {"monthly_budget": -5}}, "guardrails.monthly_budget"),
        ({"guardrails": {"monthly_budget": float("nan")}}, "guardrails.monthly_budget"),
        ({"guardrails": {"monthly_budget": "100"}}, "guardrails.monthly_budget"),
        ({"guardrails": {"calls": 5}}, "guardrails.calls"),
    ],
)
def test_bad_records_are_refused_naming_the_field_and_nothing_is_saved(
    agent, assessor, other_assessor, data, field
):
    before = world()

    with pytest.raises(InvalidInput) as error:
        services.agent_update(agent=agent, membership=assessor, data=data)

    assert field in error.value.errors
    assert world() == before


@pytest.mark.parametrize("budget", [10**12, 999999999999.999])
def test_the_largest_accepted_monthly_budget_can_be_read_back(assessor, owner, org, budget):
    # given non_negative_number_error accepts it
    assert rules.non_negative_number_error(budget) is None

    # when an agent is registered with it (it is accepted and committed) ...
    try:
        services.agent_create(
            membership=assessor,
            data={"name": "Big spender", "owner": "olga", "guardrails": {"monthly_budget": budget}},
        )
    except InvalidInput:
        return  # a 400 would be a fine answer too

    # ... then the organization's agent list can still be read
    agents = selectors.agent_list(organization=org)
    assert agents[0].guardrails()["monthly_budget"] <= 10**12


def test_resending_unchanged_tool_permissions_keeps_when_they_were_granted(assessor, owner):
    with time_machine.travel(T0, tick=False) as clock:
        # given a permission granted at T0, never used nor reviewed
        permissions = [{"tool": "crm", "access": "read", "justification": "Look-ups"}]
        agent = services.agent_create(
            membership=assessor,
            data={"name": "CRM bot", "owner": "olga", "tool_permissions": permissions},
        )
        today = (T0 + timedelta(days=100)).date()
        clock.move_to(T0 + timedelta(days=100))

        # when an edit form sends the same list back
        services.agent_update(
            agent=agent, membership=assessor, data={"tool_permissions": permissions}
        )

    # then it is still flagged: granted 100 days ago, never used, never reviewed
    permission = ToolPermission.objects.get(agent=agent)
    reasons = rules.permission_review_reasons(
        last_used=None, last_reviewed=None, created=permission.created_at.date(), today=today
    )
    assert [r.code for r in reasons] == ["unused", "unreviewed"]


# --- needs_review: governance changes on a gate at go -----------------------------------------


@pytest.fixture
def in_production(agent, assessor, approver):
    submit_assessment(assessor)
    through_phase(agent, 4, assessor, approver)
    assert states(agent) == dict.fromkeys(PHASES, "go")
    return agent


PHASE_1_CHANGES = {
    "owner": {"owner": "otto"},
    "decision_boundaries": {"decision_boundaries": [{"decision": "Refunds", "mode": "alone"}]},
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
    assert selectors.agent_phase(selectors.agent_get(organization=org, pk=in_production.pk)) == (
        "production"
    )

    # when one of phase 1's governance fields changes
    services.agent_update(agent=in_production, membership=assessor, data=PHASE_1_CHANGES[field])

    # then phase 1 needs review, the others keep go, and the agent is no longer in production
    assert states(in_production) == {1: "needs_review", 2: "go", 3: "go", 4: "go"}
    assert field in gate(in_production, 1).review_reason
    agent = selectors.agent_get(organization=org, pk=in_production.pk)
    assert selectors.agent_phase(agent) == 1
    assert not rules.in_production(selectors.gate_states(agent))
    assert actions()[-2:] == ["agent.updated", "gate.needs_review"]


def test_a_phase_1_checklist_change_sends_phase_1_to_needs_review(in_production, assessor, org):
    services.checklist_update(
        agent=in_production,
        phase=1,
        membership=assessor,
        changes={"kill_switch_designed": {"evidence": "New runbook link"}},
    )

    assert states(in_production) == {1: "needs_review", 2: "go", 3: "go", 4: "go"}
    assert actions()[-2:] == ["gate.checklist_changed", "gate.needs_review"]
    assert selectors.agent_phase(selectors.agent_get(organization=org, pk=in_production.pk)) == 1


@pytest.mark.parametrize("phase", PHASES)
def test_unmarking_an_item_of_a_gate_at_go_sends_only_that_gate_to_needs_review(
    in_production, assessor, phase
):
    key = phase_definition(phase).keys[-1]

    services.checklist_update(
        agent=in_production, phase=phase, membership=assessor, changes={key: {"met": False}}
    )

    expected = dict.fromkeys(PHASES, "go") | {phase: "needs_review"}
    assert states(in_production) == expected


def test_a_guardrail_change_sends_phase_3_to_needs_review(in_production, assessor):
    services.agent_update(
        agent=in_production, membership=assessor, data={"guardrails": {"tokens_per_session": 8000}}
    )

    assert states(in_production) == {1: "go", 2: "go", 3: "needs_review", 4: "go"}
    assert "guardrails" in gate(in_production, 3).review_reason


def test_owner_and_guardrails_together_send_phases_1_and_3_to_needs_review(
    in_production, assessor, operator
):
    services.agent_update(
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
    services.agent_update(agent=in_production, membership=assessor, data=data)

    assert states(in_production) == dict.fromkeys(PHASES, "go")


def test_resending_the_same_records_is_no_change(in_production, assessor, operator):
    # given the records as they are
    services.agent_update(agent=in_production, membership=assessor, data=PHASE_1_CHANGES["owner"])
    go(in_production, 1, _other_approver(in_production))
    count = AuditEntry.objects.count()

    # when they are sent again
    services.agent_update(agent=in_production, membership=assessor, data=PHASE_1_CHANGES["owner"])

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

    services.agent_update(agent=agent, membership=assessor, data=PHASE_1_CHANGES["owner"])
    services.checklist_update(
        agent=agent, phase=1, membership=assessor, changes={"owner_assigned": {"met": True}}
    )

    assert states(agent)[1] == "no_go"
    assert "gate.needs_review" not in actions()


def test_a_gate_in_needs_review_can_go_again(in_production, assessor, approver, org):
    services.agent_update(
        agent=in_production, membership=assessor, data={"guardrails": {"monthly_budget": 10}}
    )

    go(in_production, 3, approver)

    assert states(in_production) == dict.fromkeys(PHASES, "go")
    assert gate(in_production, 3).review_reason == ""
    assert fresh(in_production).horizon == "stabilization"


# --- checklist_update --------------------------------------------------------------------------


def test_filling_a_checklist_stores_met_and_evidence_and_is_audited(agent, assessor):
    services.checklist_update(
        agent=agent,
        phase=1,
        membership=assessor,
        changes={
            "owner_assigned": {"met": True, "evidence": "  https://wiki.example/owner  "},
            "boundaries_documented": {"met": False, "evidence": "Draft only"},
        },
    )

    items = {i.key: i for i in gate(agent, 1).items.all()}
    assert items["owner_assigned"].met is True
    assert items["owner_assigned"].evidence == "https://wiki.example/owner"
    assert items["owner_assigned"].updated_by == assessor.user
    assert items["boundaries_documented"].met is False
    assert items["boundaries_documented"].evidence == "Draft only"
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "gate.checklist_changed"
    assert set(entry.after) == {"owner_assigned", "boundaries_documented"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tracing": {"met": True}}, "tracing"),  # a phase 4 item on phase 1
        ({"owner_assigned": {"met": "yes"}}, "owner_assigned.met"),
        ({"owner_assigned": {"evidence": 5}}, "owner_assigned.evidence"),
        ({"owner_assigned": {"evidence": "x" * 5001}}, "owner_assigned.evidence"),
        ({"owner_assigned": True}, "owner_assigned"),
        ({}, "__all__"),
    ],
)
def test_a_bad_checklist_change_is_refused_all_or_nothing(agent, assessor, changes, field):
    before = world()

    with pytest.raises(InvalidInput) as error:
        services.checklist_update(
            agent=agent,
            phase=1,
            membership=assessor,
            changes={"boundaries_documented": {"met": True}} | changes if changes else {},
        )

    assert field in error.value.errors
    assert world() == before


def test_a_checklist_change_that_changes_nothing_writes_no_audit_entry(agent, assessor):
    count = AuditEntry.objects.count()

    services.checklist_update(
        agent=agent, phase=1, membership=assessor, changes={"owner_assigned": {"met": False}}
    )

    assert AuditEntry.objects.count() == count


# --- gate_decide ------------------------------------------------------------------------------


def test_go_needs_every_item_met(agent, assessor, approver):
    meet(agent, 1, assessor, keys=["owner_assigned", "kill_switch_designed"])
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
        services.agent_update(agent=agent, membership=assessor, data=PHASE_1_CHANGES["owner"])
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

    reasons = services.gate_go_reasons(agent=agent, phase=2, membership=approver)

    assert [r.code for r in reasons] == ["previous_phase_not_go"]
    assert services.gate_go_reasons(agent=agent, phase=1, membership=approver)[0].code == (
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
    meet(agent, 3, assessor, keys=["token_spend_limit"])

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
        services.gate_decide(
            agent=agent, phase=1, membership=approver, decision=decision, rationale=rationale
        )

    assert list(error.value.errors) == ["rationale"]
    assert world() == before


@pytest.mark.parametrize("decision", ["maybe", "GO", "", None])
def test_an_unknown_decision_is_refused(agent, approver, decision):
    with pytest.raises(InvalidInput) as error:
        services.gate_decide(
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
    services.agent_update(
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
        meet(agent, 4, assessor)

        # when the approver decides `later`
        clock.move_to(T0 + later)
        if allowed:
            decision = go(agent, 4, approver)
            assert decision.readiness == {
                "verdict": "ready",
                "total": 16,
                "submitted_at": T0.isoformat(),
            }
            assert fresh(agent).horizon == "stabilization"
            assert selectors.agent_phase(selectors.agent_get(organization=org, pk=agent.pk)) == (
                "production"
            )
        else:
            with pytest.raises(Conflict) as error:
                go(agent, 4, approver)
            assert codes(error.value) == ["readiness_stale"]
            assert states(agent)[4] == "pending"
            assert fresh(agent).horizon == ""


def test_a_go_on_phase_4_moves_the_agent_into_stabilization_once(in_production, approver, assessor):
    # given the agent advanced beyond stabilization, and phase 4 sent to review
    Agent.objects.filter(pk=in_production.pk).update(horizon="scaling")
    services.checklist_update(
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
    version = services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1.4"))

    assert version.ship is True
    assert version.reasons == []
    assert fresh(agent).current_prompt == version
    items = {i.key: i for i in gate(agent, 2).items.all()}
    assert all(i.met for i in items.values())
    assert all("v1.4" in i.evidence for i in items.values())
    assert "rollback to v0" in items["rollback_plan"].evidence
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "prompt_version.posted"
    assert entry.after == {"tag": "v1.4", "ship": True, "reasons": [], "current_prompt": "v1.4"}


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
    v1 = services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))
    through_phase(agent, 2, assessor, approver)
    evidence = list(gate(agent, 2).items.values_list("evidence", flat=True))

    # when v2 may not ship
    v2 = services.prompt_version_post(
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
    services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))
    through_phase(agent, 2, assessor, approver)
    services.checklist_update(
        agent=agent,
        phase=2,
        membership=assessor,
        changes={"rollback_plan": {"evidence": "hand-written"}},
    )
    go(agent, 2, approver)

    # when v2 ships
    v2 = services.prompt_version_post(
        agent=agent, membership=assessor, data=prompt("v2", rollback_target="v1")
    )

    # then phase 2 needs review, every item is met by v2, and phase 1 kept go
    assert fresh(agent).current_prompt == v2
    assert states(agent) == {1: "go", 2: "needs_review", 3: "pending", 4: "pending"}
    assert "v2" in gate(agent, 2).review_reason
    items = list(gate(agent, 2).items.all())
    assert all(i.met and "v2" in i.evidence for i in items)
    assert actions()[-2:] == ["gate.needs_review", "prompt_version.posted"]
    agent_read = selectors.agent_get(organization=org, pk=agent.pk)
    assert selectors.agent_phase(agent_read) == 2


@pytest.mark.parametrize(
    ("delta", "tolerance", "ships"),
    [(0, 0, True), (0.05, 0.05, True), (0.05 + 1e-9, 0.05, False), (10**12, 10**12, True)],
)
def test_the_delta_edge(agent, assessor, delta, tolerance, ships):
    version = services.prompt_version_post(
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
        services.prompt_version_post(
            agent=agent, membership=assessor, data=prompt("v1") | overrides
        )

    assert field in error.value.errors
    assert world() == before


@pytest.mark.parametrize("missing", ["delta", "tolerance"])
def test_delta_and_tolerance_are_required(agent, assessor, missing):
    data = prompt("v1")
    del data[missing]

    with pytest.raises(InvalidInput) as error:
        services.prompt_version_post(agent=agent, membership=assessor, data=data)

    assert missing in error.value.errors


def test_a_tag_the_agent_already_has_is_a_conflict(agent, assessor):
    services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))
    before = world()

    with pytest.raises(Conflict) as error:
        services.prompt_version_post(
            agent=agent, membership=assessor, data=prompt("v1", regression_passed=False)
        )

    assert codes(error.value) == ["duplicate_tag"]
    assert world() == before


def test_the_same_tag_on_another_agent_is_fine(agent, assessor):
    other = services.agent_create(membership=assessor, data={"name": "Other", "owner": "olga"})
    services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))

    assert services.prompt_version_post(agent=other, membership=assessor, data=prompt("v1")).ship


# --- kill switch: suspend and resume -----------------------------------------------------------


def test_an_operator_suspends_an_agent_at_once(agent, operator):
    suspension = services.agent_suspend(agent=agent, membership=operator, reason=" Odd refunds ")

    assert fresh(agent).state == "suspended"
    assert (suspension.kind, suspension.reason, suspension.started_by) == (
        "manual",
        "Odd refunds",
        operator.user,
    )
    assert suspension.ended_at is None
    assert actions()[-1] == "agent.suspended.manual"


def test_suspending_a_suspended_agent_is_a_conflict_and_changes_nothing(agent, operator):
    services.agent_suspend(agent=agent, membership=operator, reason="First")
    before = world()

    with pytest.raises(Conflict) as error:
        services.agent_suspend(agent=agent, membership=operator, reason="Second")

    assert codes(error.value) == ["already_suspended"]
    assert world() == before


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_a_suspension_needs_a_reason(agent, operator, reason):
    before = world()

    with pytest.raises(InvalidInput) as error:
        services.agent_suspend(agent=agent, membership=operator, reason=reason)

    assert list(error.value.errors) == ["reason"]
    assert world() == before


def test_an_approver_resumes_a_suspended_agent(agent, operator, approver):
    suspension = services.agent_suspend(agent=agent, membership=operator, reason="Odd refunds")

    resumed = services.agent_resume(agent=agent, membership=approver, reason="Checked: fine")

    assert resumed.state == "active"
    suspension.refresh_from_db()
    assert suspension.ended_by == approver.user
    assert suspension.end_reason == "Checked: fine"
    assert suspension.ended_at is not None
    assert actions()[-1] == "agent.resumed"


def test_resuming_an_active_agent_is_a_conflict(agent, approver):
    before = world()

    with pytest.raises(Conflict) as error:
        services.agent_resume(agent=agent, membership=approver, reason="Why not")

    assert codes(error.value) == ["not_suspended"]
    assert world() == before


def test_the_agents_owner_cannot_resume_it(owned_by_approver, operator, approver_owner):
    services.agent_suspend(agent=owned_by_approver, membership=operator, reason="Odd")
    before = world()

    with pytest.raises(Conflict) as error:
        services.agent_resume(agent=owned_by_approver, membership=approver_owner, reason="Mine")

    assert codes(error.value) == ["owner_cannot_decide"]
    assert world() == before
    assert fresh(owned_by_approver).state == "suspended"


def test_resuming_needs_a_reason(agent, operator, approver):
    services.agent_suspend(agent=agent, membership=operator, reason="Odd")

    with pytest.raises(InvalidInput):
        services.agent_resume(agent=agent, membership=approver, reason=" ")

    assert fresh(agent).state == "suspended"


def test_an_alert_threshold_suspends_the_agent_automatically(agent):
    details = {"threshold": "error_rate", "value": 0.2, "limit": 0.1}

    suspension = services.agent_suspend_automatic(
        agent=agent, reason="Error rate above 0.10", details=details
    )

    assert suspension.kind == "automatic"
    assert suspension.started_by is None
    assert suspension.details == details
    assert fresh(agent).state == "suspended"
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "agent.suspended.automatic"
    assert entry.actor_label == "system"
    assert entry.after["details"] == details


@pytest.mark.parametrize("first", ["manual", "automatic"])
def test_an_automatic_suspension_of_a_suspended_agent_changes_nothing(agent, operator, first):
    if first == "manual":
        services.agent_suspend(agent=agent, membership=operator, reason="Odd")
    else:
        services.agent_suspend_automatic(agent=agent, reason="Errors", details={})
    before = world()

    assert services.agent_suspend_automatic(agent=agent, reason="Again", details={"x": 1}) is None
    assert world() == before


def test_an_automatic_suspension_during_a_drill_takes_over(agent, operator):
    # given a drill in progress
    drill = services.drill_start(agent=agent, membership=operator)

    # when a real threshold fires
    suspension = services.agent_suspend_automatic(agent=agent, reason="Errors", details={"x": 1})

    # then the drill ends, the agent stays suspended for the real reason,
    assert suspension.kind == "automatic"
    drill.refresh_from_db()
    assert drill.ended_at is not None
    assert fresh(agent).state == "suspended"
    # and ending the drill can no longer resume it
    with pytest.raises(Conflict):
        services.drill_end(agent=agent, drill=drill, membership=operator)
    assert fresh(agent).state == "suspended"


def test_a_suspension_can_follow_a_resume(agent, operator, approver):
    services.agent_suspend(agent=agent, membership=operator, reason="One")
    services.agent_resume(agent=agent, membership=approver, reason="Fine")

    services.agent_suspend(agent=agent, membership=operator, reason="Two")

    assert Suspension.objects.filter(agent=agent).count() == 2
    assert fresh(agent).state == "suspended"


# --- kill switch: status reads and drills ------------------------------------------------------


def test_the_runtime_reads_active_while_nothing_is_open(agent):
    assert services.agent_status_read(agent=agent) == {
        "state": "active",
        "reason": None,
        "since": None,
    }


def test_a_drill_really_suspends_the_agent(agent, operator):
    drill = services.drill_start(agent=agent, membership=operator)

    assert drill.kind == "drill"
    assert drill.started_by == operator.user
    assert fresh(agent).state == "suspended"
    assert actions()[-1] == "agent.suspended.drill"
    status = services.agent_status_read(agent=agent)
    assert status["state"] == "suspended"
    assert status["reason"] == drill.reason


def test_a_drill_cannot_start_on_a_suspended_agent(agent, operator):
    services.agent_suspend(agent=agent, membership=operator, reason="Odd")
    before = world()

    with pytest.raises(Conflict) as error:
        services.drill_start(agent=agent, membership=operator)

    assert codes(error.value) == ["already_suspended"]
    assert world() == before


def test_time_to_stop_is_the_seconds_to_the_runtimes_first_read(agent, operator):
    with time_machine.travel(T0, tick=False) as clock:
        # given a drill started at T0
        drill = services.drill_start(agent=agent, membership=operator)
        assert drill.started_at == T0

        # when the runtime first reads its status 7 s later, and again 5 s after that
        clock.shift(timedelta(seconds=7))
        status = services.agent_status_read(agent=agent)
        clock.shift(timedelta(seconds=5))
        services.agent_status_read(agent=agent)

        # then the first read is kept
        assert status == {"state": "suspended", "reason": "Kill-switch drill", "since": T0}
        drill.refresh_from_db()
        assert drill.runtime_seen_at == T0 + timedelta(seconds=7)

        # and ending the drill restores the agent and records the time to stop
        clock.shift(timedelta(minutes=1))
        ended = services.drill_end(agent=agent, drill=drill, membership=operator)

    assert fresh(agent).state == "active"
    assert ended.ended_at == T0 + timedelta(seconds=72)
    assert ended.ended_by == operator.user
    assert ended.time_to_stop_s == 7.0
    assert Suspension.objects.get(pk=drill.pk).time_to_stop_s == 7.0
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "agent.drill_ended"
    assert entry.after["time_to_stop_s"] == 7.0
    assert services.agent_status_read(agent=agent)["state"] == "active"


def test_a_drill_the_runtime_never_read_has_no_time_to_stop(agent, operator):
    drill = services.drill_start(agent=agent, membership=operator)

    ended = services.drill_end(agent=agent, drill=drill, membership=operator)

    assert ended.time_to_stop_s is None
    assert AuditEntry.objects.order_by("id").last().after["time_to_stop_s"] is None


def test_another_operator_may_not_end_the_drill(agent, operator, org, make_member):
    drill = services.drill_start(agent=agent, membership=operator)
    other = make_member(org, "operator", username="olivia")
    before = world()

    with pytest.raises(Forbidden):
        services.drill_end(agent=agent, drill=drill, membership=other)

    assert world() == before
    assert fresh(agent).state == "suspended"


@pytest.mark.parametrize("role", ["admin", "assessor", "viewer"])
def test_other_roles_may_not_end_the_drill(agent, operator, org, make_member, role):
    drill = services.drill_start(agent=agent, membership=operator)
    before = world()

    with pytest.raises(Forbidden):
        services.drill_end(
            agent=agent, drill=drill, membership=make_member(org, role, username=f"x-{role}")
        )

    assert world() == before


def test_an_approver_may_end_the_drill_and_not_twice(agent, operator, approver):
    drill = services.drill_start(agent=agent, membership=operator)

    services.drill_end(agent=agent, drill=drill, membership=approver)
    assert fresh(agent).state == "active"
    assert Suspension.objects.get(pk=drill.pk).ended_by == approver.user
    before = world()

    with pytest.raises(Conflict) as error:
        services.drill_end(agent=agent, drill=drill, membership=operator)

    assert codes(error.value) == ["drill_ended"]
    assert world() == before


def test_the_latest_drill_drives_the_drill_flag(agent, operator, org):
    with time_machine.travel(T0, tick=False) as clock:
        drill = services.drill_start(agent=agent, membership=operator)
        services.drill_end(agent=agent, drill=drill, membership=operator)

        clock.move_to(T0 + timedelta(days=90))
        read = selectors.agent_get(organization=org, pk=agent.pk)
        assert read.last_drill_at == T0
        assert rules.drill_flag(read.last_drill_at, T0 + timedelta(days=90)) == "ok"
        assert rules.drill_flag(read.last_drill_at, T0 + timedelta(days=90, seconds=1)) == (
            "overdue"
        )


# --- runtime tokens ----------------------------------------------------------------------------


def test_an_admin_creates_a_runtime_token_stored_as_a_hash(agent, admin):
    token, raw = services.agent_token_create(agent=agent, membership=admin, name="Prod runtime")

    assert raw.startswith("rdy_agent_")
    assert token.prefix == raw[:16]
    assert raw not in token.key_hash
    assert token.agent == agent
    assert token.created_by == admin.user
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "agent_token.created"
    assert raw not in str(entry.after)


# --- a whole journey, its audit trail -----------------------------------------------------------


def test_a_whole_journey_is_audited_in_order(agent, assessor, approver, operator, admin):
    # given / when
    submit_assessment(assessor)
    services.prompt_version_post(agent=agent, membership=assessor, data=prompt("v1"))
    meet(agent, 1, assessor)
    go(agent, 1, approver)
    go(agent, 2, approver)  # its items were met by v1
    for phase in (3, 4):
        meet(agent, phase, assessor)
        go(agent, phase, approver)
    services.agent_token_create(agent=agent, membership=admin)
    drill = services.drill_start(agent=agent, membership=operator)
    services.agent_status_read(agent=agent)
    services.drill_end(agent=agent, drill=drill, membership=operator)
    services.agent_suspend(agent=agent, membership=operator, reason="Odd")
    services.agent_resume(agent=agent, membership=approver, reason="Fine")
    services.agent_suspend_automatic(agent=agent, reason="Errors", details={"error_rate": 0.3})

    # then every agent write left its entry, in order
    agent_actions = [a for a in actions() if not a.startswith("assessment.")]
    assert agent_actions == [
        "agent.created",
        "prompt_version.posted",
        "gate.checklist_changed",
        "gate.decided",
        "gate.decided",
        "gate.checklist_changed",
        "gate.decided",
        "gate.checklist_changed",
        "gate.decided",
        "agent_token.created",
        "agent.suspended.drill",
        "agent.drill_ended",
        "agent.suspended.manual",
        "agent.resumed",
        "agent.suspended.automatic",
    ]
    assert audit_verify() == []


def test_decisions_cannot_be_deleted_one_by_one(agent, approver):
    from agents.models import GateDecision

    services.gate_decide(
        agent=agent, phase=1, membership=approver, decision="no_go", rationale="Not yet."
    )
    decision = GateDecision.objects.get()
    with pytest.raises(RuntimeError, match="append-only"):
        decision.delete()
    assert GateDecision.objects.count() == 1
