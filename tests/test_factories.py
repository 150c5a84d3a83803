"""The factories of tests/factories.py: each builds a row its model accepts (full_clean: fields,
choices, uniqueness and the check constraints), whose people belong to its organization, and
whose derived fields are the ones the real code derives."""

import importlib
from pathlib import Path

import factory
import pytest
from django.apps import apps

from accounts.models import Membership, hash_token
from assessments.scoring import assessment_result
from audit.models import AuditEntry
from gates import services as gates_services
from gates.checklists import PHASES, phase_definition
from gates.models import Gate
from outcomes import services as outcome_services

from . import factories as f
from .conftest import scores_of

pytestmark = pytest.mark.django_db

# Rooms whose every model has a factory here or in a tests/factories_<room>.py. The framework
# is data loaded by a migration; the audit log is written only by audit_record.
ROOMS = ("core", "accounts", "assessments", "agents", "killswitch", "gates", "outcomes", "reports")
NO_FACTORY = {
    "assessments.Framework",
    "assessments.Dimension",
    "assessments.Criterion",
    # One row, made by its migration and kept by core/freshness.py: no test builds another.
    "core.DataVersion",
}

MODEL_FACTORIES = [
    f.UserFactory,
    f.OrganizationFactory,
    f.MembershipFactory,
    f.ApiTokenFactory,
    f.InvitationFactory,
    f.AgentFactory,
    f.DecisionBoundaryFactory,
    f.EscalationPathFactory,
    f.ToolPermissionFactory,
    f.RiskAssessmentFactory,
    f.OwnerChangeFactory,
    f.SuspensionFactory,
    f.AgentTokenFactory,
    f.GateFactory,
    f.ChecklistItemFactory,
    f.GateDecisionFactory,
    f.PromptVersionFactory,
    f.AgentThresholdsFactory,
    f.MetricSnapshotFactory,
    f.HorizonDecisionFactory,
    f.AssessmentFactory,
    f.ScoreFactory,
    f.ReportFactory,
    f.WorkerHeartbeatFactory,
    f.WorkerProbeFactory,
]


def _name(factory_class) -> str:
    return factory_class.__name__


def _organization_of(obj):
    """The organization a row belongs to, following its path to one."""
    for path in ("organization", "agent.organization", "gate.agent.organization"):
        target = obj
        for part in path.split("."):
            target = getattr(target, part, None)
        if target is not None:
            return target
    raise AssertionError(f"{obj!r} belongs to no organization")


PEOPLE = (
    "owner",
    "created_by",
    "recorded_by",
    "previous_owner",
    "new_owner",
    "changed_by",
    "started_by",
    "ended_by",
    "decided_by",
    "updated_by",
    "requested_by",
    "invited_by",
    "submitted_by",
)


@pytest.mark.parametrize("factory_class", MODEL_FACTORIES, ids=_name)
def test_each_factory_builds_a_valid_row(factory_class):
    obj = factory_class()

    obj.full_clean()
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("factory_class", MODEL_FACTORIES, ids=_name)
def test_each_factory_builds_a_second_row_beside_the_first(factory_class):
    # unique fields come from sequences, not constants
    first, second = factory_class(), factory_class()

    assert first.pk != second.pk
    second.full_clean()


# the factories whose rows name people (the others name none: a user, an organization, a
# membership, a token of one, a gate, a score, the worker's rows)
NAMING_PEOPLE = [
    f.InvitationFactory,
    f.AgentFactory,
    f.EscalationPathFactory,
    f.RiskAssessmentFactory,
    f.OwnerChangeFactory,
    f.SuspensionFactory,
    f.AgentTokenFactory,
    f.GateDecisionFactory,
    f.PromptVersionFactory,
    f.AgentThresholdsFactory,
    f.MetricSnapshotFactory,
    f.HorizonDecisionFactory,
    f.AssessmentFactory,
    f.ReportFactory,
]


@pytest.mark.parametrize("factory_class", NAMING_PEOPLE, ids=_name)
def test_everyone_a_row_names_is_a_member_of_its_organization(factory_class):
    obj = factory_class()
    organization = _organization_of(obj)

    named = [getattr(obj, p) for p in PEOPLE if getattr(obj, p, None) is not None]
    assert named
    for user in named:
        assert Membership.objects.filter(user=user, organization=organization).exists(), user


def test_every_model_of_the_rooms_has_a_factory():
    # given every factory module of the tests
    modules = [f] + [
        importlib.import_module(f"tests.{p.stem}")
        for p in Path(__file__).parent.glob("factories_*.py")
    ]
    covered = {
        obj._meta.model._meta.label
        for module in modules
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, factory.django.DjangoModelFactory)
        and obj._meta.model is not None
    }

    # then each model of the rooms has one
    models = {m._meta.label for room in ROOMS for m in apps.get_app_config(room).get_models()}
    assert models - NO_FACTORY - covered == set()


# --- agents: tenancy and the real registration --------------------------------------------------


def test_an_agents_owner_and_registrar_are_members_of_its_organization():
    agent = f.AgentFactory()

    owner = Membership.objects.get(user=agent.owner)
    assert owner.organization == agent.organization
    assert "assessor" in owner.role_names
    assert agent.created_by == agent.owner


def test_an_agent_owned_by_a_member_is_in_that_members_organization(org, make_member):
    olga = make_member(org, "viewer", username="olga")
    sam = make_member(org, "assessor", username="sam")

    agent = f.AgentFactory(owned_by=olga, registered_by=sam)

    assert (agent.organization, agent.owner, agent.created_by) == (org, olga.user, sam.user)


def test_an_agent_whose_owner_is_of_another_organization_is_refused(org, other_assessor):
    with pytest.raises(ValueError, match="not a member"):
        f.AgentFactory(organization=org, owner=other_assessor.user)


def test_records_of_an_agent_belong_to_its_organization():
    agent = f.AgentFactory()

    path = f.EscalationPathFactory(agent=agent)
    risk = f.RiskAssessmentFactory(agent=agent)
    change = f.OwnerChangeFactory(agent=agent)

    assert path.owner == agent.owner
    assert change.new_owner == agent.owner
    assert change.previous_owner != agent.owner
    for user in (risk.recorded_by, change.previous_owner):
        assert Membership.objects.filter(user=user, organization=agent.organization).exists()


def test_register_calls_the_service_which_opens_four_gates_and_audits(assessor, owner):
    agent = f.AgentFactory.register(
        assessor, owner=owner, tool_permissions=[{"tool": "crm", "access": "read"}]
    )

    assert agent.owner == owner.user
    assert agent.created_by == assessor.user
    assert agent.tool_permissions.get().tool == "crm"
    assert list(Gate.objects.filter(agent=agent).values_list("phase", flat=True)) == list(PHASES)
    assert AuditEntry.objects.get().action == "agent.created"


# --- derived fields come from the real code ---------------------------------------------------


@pytest.mark.parametrize("factory_class", [f.ApiTokenFactory, f.AgentTokenFactory], ids=_name)
def test_a_tokens_hash_is_the_hash_of_its_raw_value(factory_class):
    token = factory_class()

    assert token.key_hash == hash_token(token.raw)
    assert token.raw.startswith(token.prefix)


def test_an_invitations_hash_is_the_hash_of_its_raw_value_and_it_is_open():
    invitation = f.InvitationFactory()

    assert invitation.key_hash == hash_token(invitation.raw)
    assert invitation.is_open


def test_an_open_suspension_suspends_its_agent_and_an_ended_one_does_not():
    suspended = f.SuspensionFactory()
    ended = f.SuspensionFactory(ended=True)

    suspended.agent.refresh_from_db()
    ended.agent.refresh_from_db()
    assert suspended.agent.is_suspended
    assert not ended.agent.is_suspended
    assert ended.ended_at > ended.started_at


def test_automatic_and_drill_suspensions():
    automatic = f.SuspensionFactory(automatic=True)
    drill = f.SuspensionFactory(drill=True)

    automatic.full_clean()
    drill.full_clean()
    assert (automatic.kind, automatic.started_by) == ("automatic", None)
    assert drill.kind == "drill"
    assert drill.started_by is not None


def test_checklist_items_follow_the_gates_json_keys_of_their_phase():
    gate = f.GateFactory(phase=3)

    items = [f.ChecklistItemFactory(gate=gate) for _ in phase_definition(3).keys]

    assert [i.key for i in items] == list(phase_definition(3).keys)
    done = f.ChecklistItemFactory(done=True)
    assert done.met
    assert done.evidence


def test_a_gate_decision_sits_on_a_gate_at_its_state():
    go = f.GateDecisionFactory()
    no_go = f.GateDecisionFactory(decision="no_go")

    assert (go.gate.state, no_go.gate.state) == ("go", "no_go")
    assert go.decided_by != go.gate.agent.owner


@pytest.mark.parametrize(
    ("overrides", "ship", "codes"),
    [
        ({}, True, []),
        ({"delta": 0.09}, False, ["delta_above_tolerance"]),
        ({"regression_passed": False}, False, ["regression_failed"]),
    ],
)
def test_a_prompt_versions_answer_is_the_deployment_gates(overrides, ship, codes):
    version = f.PromptVersionFactory(**overrides)

    assert version.ship is ship
    assert [r["code"] for r in version.reasons] == codes


def test_a_snapshots_breaches_are_the_alert_thresholds_of_its_agent():
    healthy = f.MetricSnapshotFactory()
    breaching = f.MetricSnapshotFactory(errors=20)
    thresholds = f.AgentThresholdsFactory(alert_error_rate_max=0.01)
    strict = f.MetricSnapshotFactory(agent=thresholds.agent)

    assert healthy.breaches == []
    assert [b["threshold"] for b in breaching.breaches] == ["error_rate"]
    assert [b["threshold"] for b in strict.breaches] == ["error_rate"]
    assert breaching.period_start > healthy.period_start


def test_snapshot_payload_is_what_the_service_accepts(assessor):
    agent = f.AgentFactory.register(assessor)

    posted = outcome_services.metric_snapshot_post(
        agent=agent, membership=assessor, data=f.SnapshotPayloadFactory()
    )

    assert posted["breaches"] == []


def test_a_prompt_payload_is_what_the_deployment_gate_accepts(assessor):
    agent = f.AgentFactory.register(assessor)

    version = gates_services.prompt_version_post(
        agent=agent, membership=assessor, data=f.PromptPayloadFactory()
    )

    assert version.ship


def test_a_horizon_decision_leaves_its_agent_at_the_horizon_it_reached():
    decision = f.HorizonDecisionFactory()

    assert decision.agent.horizon == decision.to_horizon == "scaling"


def test_a_draft_keeps_the_scores_it_is_given():
    draft = f.AssessmentFactory(scores={"ownership": 5, "tracing": 2})

    assert draft.is_draft
    assert draft.score_map == {"ownership": 5, "tracing": 2}
    assert draft.result is None


def test_a_submitted_assessment_freezes_the_scoring_result():
    scores = scores_of(5, 5, 5, 2)

    assessment = f.AssessmentFactory(submitted=True, scores=scores)

    expected = assessment_result(assessment.framework.shape, scores)
    assert (assessment.total, assessment.verdict) == (expected.total, expected.verdict)
    assert assessment.verdict == "blocked"
    assert assessment.submitted_by == assessment.created_by
    assessment.refresh_from_db()
    assert assessment.total == expected.total


def test_scores_take_the_next_unscored_criterion():
    assessment = f.AssessmentFactory()

    first, second = f.ScoreFactory(assessment=assessment), f.ScoreFactory(assessment=assessment)

    assert [first.criterion.key, second.criterion.key] == ["ownership", "decision_boundaries"]


def test_a_report_snapshot_is_the_organizations(org, assessor):
    f.AgentFactory.register(assessor, name="Quote bot")

    report = f.ReportFactory(organization=org)

    assert report.snapshot["organization"] == {"name": "Acme Robotics", "slug": "acme"}
    assert report.snapshot["title"] == report.title
    assert report.period_start <= report.period_end
