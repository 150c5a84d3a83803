"""factory_boy factories, one per model of our rooms, for the tests' "given" steps.

- Tenancy holds by construction: every person a factory attaches to a row (an agent's owner
  and registrar, a suspension's operator, a decision's approver...) is a member of the row's
  organization, made on the spot with the role the rules ask for, unless the test names one.
- Framework, Dimension and Criterion are data loaded by a migration, not made here: the
  assessment factories use the default framework.
- Audit entries have no factory: only `audit.services.audit_record` writes them. A factory
  row is written straight to its table, with no audit entry and no side effect; where the
  real path matters (an agent's four gates, its audit entry), `AgentFactory.register` calls
  the service.
- Derived fields come from the real code: a token's hash from its model's `generate()`, a
  prompt version's answer from `gates.rules`, a snapshot's breaches from `outcomes.metrics`,
  an assessment's total and verdict from `assessments.scoring`, a report's snapshot from
  `reports.snapshot`.
- `*PayloadFactory` build the dicts the services and the API take (`factory.DictFactory`).
"""

import secrets
from dataclasses import asdict
from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import ApiToken, Invitation, Membership, Organization
from agents.models import (
    Agent,
    DecisionBoundary,
    EscalationPath,
    OwnerChange,
    RiskAssessment,
    ToolPermission,
)
from assessments.models import Assessment, Score
from assessments.selectors import framework_default
from core.models import WorkerHeartbeat, WorkerProbe
from core.roles import Role
from gates import rules as gates_rules
from gates.checklists import phase_definition
from gates.models import ChecklistItem, Gate, GateDecision, PromptVersion
from killswitch.models import AgentToken, Suspension
from outcomes import metrics
from outcomes.models import AgentThresholds, HorizonDecision, MetricSnapshot
from outcomes.services import thresholds_of
from overview import services as overview_services
from reports.models import Report
from reports.snapshot import build_snapshot

# --- accounts ----------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A member with no role, unless given `roles` (role names or `Role`s)."""

    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted is None:
            return
        self.set_roles({Role(r) for r in extracted})
        if create:
            self.save()


def member_of(organization, *roles) -> Membership:
    """A new member of `organization` holding `roles` (for the factories' people)."""
    return MembershipFactory(organization=organization, roles=roles)


def _with_raw_token(factory_class, model_class, kwargs, generated):
    """Create a token row from its model's own `generate()` (so the hash is the raw value's);
    the raw value is kept on the object as `.raw`, as a test needs it to authenticate."""
    raw, key_hash, *prefix = generated
    kwargs["key_hash"] = key_hash
    if prefix:
        kwargs["prefix"] = prefix[0]
    obj = super(factory_class, factory_class)._create(model_class, **kwargs)
    obj.raw = raw
    return obj


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """An API token of a member; `.raw` holds the bearer value (only its hash is stored)."""

    class Meta:
        model = ApiToken

    membership = factory.SubFactory(MembershipFactory)
    name = "API token"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return _with_raw_token(cls, model_class, kwargs, ApiToken.generate())


class InvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation sent by an admin of the organization; `.raw` holds the link's token."""

    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    roles = factory.LazyFunction(lambda: [Role.VIEWER.value])
    invited_by = factory.LazyAttribute(lambda o: member_of(o.organization, Role.ADMIN).user)
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=14))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return _with_raw_token(cls, model_class, kwargs, Invitation.generate())


# --- agents ------------------------------------------------------------------------------------


def _username(person) -> str:
    if isinstance(person, Membership):
        return person.user.get_username()
    if isinstance(person, str):
        return person
    return person.get_username()


class AgentFactory(factory.django.DjangoModelFactory):
    """An agent row alone: no gates, no audit entry (use `register` for the real thing).

    `owned_by=membership` (or `registered_by=membership`) places it in that member's
    organization; by default a new assessor of the organization registered it and owns it.
    Building one whose owner or registrar is not a member of its organization is refused.
    """

    class Meta:
        model = Agent

    class Params:
        owned_by = None
        registered_by = None

    organization = factory.LazyAttribute(
        lambda o: (
            (o.owned_by or o.registered_by).organization
            if (o.owned_by or o.registered_by)
            else OrganizationFactory()
        )
    )
    name = factory.Sequence(lambda n: f"Agent {n}")
    purpose = "Sorts incoming invoices"
    business_unit = "Finance"
    created_by = factory.LazyAttribute(
        lambda o: (
            o.registered_by.user
            if o.registered_by
            else member_of(o.organization, Role.ASSESSOR).user
        )
    )
    owner = factory.LazyAttribute(lambda o: o.owned_by.user if o.owned_by else o.created_by)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        organization = kwargs["organization"]
        for field in ("owner", "created_by"):
            user = kwargs[field]
            if not Membership.objects.filter(user=user, organization=organization).exists():
                raise ValueError(f"{field} {user} is not a member of {organization}")
        return super()._create(model_class, *args, **kwargs)

    @classmethod
    def register(cls, membership, *, owner=None, **data) -> Agent:
        """Register an agent for real (`overview.services.agent_create`: its four gates, its
        records and its audit entry), as `membership`. `owner` is a membership, a user or a
        username (default: the registering member); `data` are the service's fields."""
        data.setdefault("name", f"Registered agent {cls._meta.next_sequence()}")
        data["owner"] = _username(owner or membership)
        return overview_services.agent_create(membership=membership, data=data)


class DecisionBoundaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DecisionBoundary

    agent = factory.SubFactory(AgentFactory)
    decision = factory.Sequence(lambda n: f"Refund under {n + 1}0 EUR")
    mode = DecisionBoundary.Mode.ALONE
    position = factory.Sequence(int)


class EscalationPathFactory(factory.django.DjangoModelFactory):
    """Escalates to the agent's owner, unless told otherwise."""

    class Meta:
        model = EscalationPath

    agent = factory.SubFactory(AgentFactory)
    failure_state = factory.Sequence(lambda n: f"Tool timeout {n}")
    owner = factory.SelfAttribute("agent.owner")
    position = factory.Sequence(int)


class ToolPermissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolPermission

    agent = factory.SubFactory(AgentFactory)
    tool = factory.Sequence(lambda n: f"tool-{n}")
    access = ToolPermission.Access.READ
    justification = "Looks up customers"
    position = factory.Sequence(int)


class RiskAssessmentFactory(factory.django.DjangoModelFactory):
    """Recorded by a new approver of the agent's organization."""

    class Meta:
        model = RiskAssessment

    agent = factory.SubFactory(AgentFactory)
    scope = RiskAssessment.Scope.TOOL
    subject = factory.Sequence(lambda n: f"ledger-{n}")
    assessment = "Low risk: read only."
    recorded_by = factory.LazyAttribute(
        lambda o: member_of(o.agent.organization, Role.APPROVER).user
    )


class OwnerChangeFactory(factory.django.DjangoModelFactory):
    """The agent handed to its current owner by a previous owner (a new member), who made the
    change. It records the change only: the agent's `owner` is not touched."""

    class Meta:
        model = OwnerChange

    agent = factory.SubFactory(AgentFactory)
    previous_owner = factory.LazyAttribute(lambda o: member_of(o.agent.organization).user)
    new_owner = factory.SelfAttribute("agent.owner")
    changed_by = factory.SelfAttribute("previous_owner")
    changed_at = factory.LazyFunction(timezone.now)


# --- killswitch --------------------------------------------------------------------------------


class SuspensionFactory(factory.django.DjangoModelFactory):
    """A manual suspension by a new operator; traits `automatic`, `drill` and `ended`.
    An open suspension also marks its agent suspended, as the services do."""

    class Meta:
        model = Suspension
        skip_postgeneration_save = True

    class Params:
        automatic = factory.Trait(
            kind=Suspension.Kind.AUTOMATIC,
            reason="Error rate 0.2 is above 0.1.",
            details=factory.LazyFunction(lambda: {"breaches": [{"threshold": "error_rate"}]}),
            started_by=None,
        )
        drill = factory.Trait(kind=Suspension.Kind.DRILL, reason="Kill-switch drill")
        ended = factory.Trait(
            ended_at=factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=5)),
            ended_by=factory.LazyAttribute(
                lambda o: member_of(o.agent.organization, Role.APPROVER).user
            ),
            end_reason="Checked: fine",
        )

    agent = factory.SubFactory(AgentFactory)
    kind = Suspension.Kind.MANUAL
    reason = "Odd refunds"
    started_by = factory.LazyAttribute(
        lambda o: member_of(o.agent.organization, Role.OPERATOR).user
    )
    started_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def agent_state(self, create, extracted, **kwargs):
        if create and self.ended_at is None:
            Agent.objects.filter(pk=self.agent_id).update(state=Agent.State.SUSPENDED)
            self.agent.state = Agent.State.SUSPENDED


class AgentTokenFactory(factory.django.DjangoModelFactory):
    """A runtime token made by a new admin; `.raw` holds the bearer value."""

    class Meta:
        model = AgentToken

    agent = factory.SubFactory(AgentFactory)
    name = "Runtime token"
    created_by = factory.LazyAttribute(lambda o: member_of(o.agent.organization, Role.ADMIN).user)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return _with_raw_token(cls, model_class, kwargs, AgentToken.generate())


# --- gates -------------------------------------------------------------------------------------


class GateFactory(factory.django.DjangoModelFactory):
    """One gate row (phase 1 unless told), without its checklist items. A registered agent
    has its four gates already: read those instead."""

    class Meta:
        model = Gate

    agent = factory.SubFactory(AgentFactory)
    phase = 1
    state = Gate.State.PENDING


def _next_key(item) -> str:
    used = set(ChecklistItem.objects.filter(gate=item.gate).values_list("key", flat=True))
    return next(k for k in phase_definition(item.gate.phase).keys if k not in used)


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    """The gate's next checklist item of gates.json, unmet; trait `done` meets it, with
    evidence, by the agent's registrar."""

    class Meta:
        model = ChecklistItem

    class Params:
        done = factory.Trait(
            met=True,
            evidence="https://wiki.example/runbook",
            updated_by=factory.SelfAttribute("gate.agent.created_by"),
            updated_at=factory.LazyFunction(timezone.now),
        )

    gate = factory.SubFactory(GateFactory)
    key = factory.LazyAttribute(_next_key)
    met = False


class GateDecisionFactory(factory.django.DjangoModelFactory):
    """A go by a new approver of the agent's organization (never its owner), on a gate at the
    decided state. Append-only, like the real ones."""

    class Meta:
        model = GateDecision

    gate = factory.SubFactory(GateFactory, state=factory.SelfAttribute("..decision"))
    decision = GateDecision.Decision.GO
    rationale = "All in place."
    decided_by = factory.LazyAttribute(
        lambda o: member_of(o.gate.agent.organization, Role.APPROVER).user
    )
    decided_at = factory.LazyFunction(timezone.now)


def _ship_reasons(o) -> list[dict]:
    reasons = gates_rules.prompt_ship_reasons(
        regression_passed=o.regression_passed,
        adversarial_passed=o.adversarial_passed,
        delta=o.delta,
        tolerance=o.tolerance,
    )
    return [{"code": r.code, "message": r.message} for r in reasons]


class PromptVersionFactory(factory.django.DjangoModelFactory):
    """A version CI posted, with the deployment gate's answer as gates.rules gives it. It does
    not become the agent's current prompt (the service decides that)."""

    class Meta:
        model = PromptVersion

    agent = factory.SubFactory(AgentFactory)
    tag = factory.Sequence(lambda n: f"v{n + 1}")
    regression_passed = True
    adversarial_passed = True
    delta = 0.02
    tolerance = 0.05
    rollback_target = "v0"
    reasons = factory.LazyAttribute(_ship_reasons)
    ship = factory.LazyAttribute(lambda o: not o.reasons)
    created_by = factory.SelfAttribute("agent.created_by")
    created_at = factory.LazyFunction(timezone.now)


class PromptPayloadFactory(factory.DictFactory):
    """What CI posts to the deployment gate (`gates.services.prompt_version_post`)."""

    tag = factory.Sequence(lambda n: f"v{n + 1}")
    regression_passed = True
    adversarial_passed = True
    delta = 0.02
    tolerance = 0.05
    rollback_target = "v0"


# --- outcomes ----------------------------------------------------------------------------------


class AgentThresholdsFactory(factory.django.DjangoModelFactory):
    """The rules' default thresholds (the model's defaults), set by a new admin."""

    class Meta:
        model = AgentThresholds

    agent = factory.SubFactory(AgentFactory)
    updated_by = factory.LazyAttribute(lambda o: member_of(o.agent.organization, Role.ADMIN).user)


def _breaches(o) -> list[dict]:
    values = {name: getattr(o, name, None) for name in metrics.ALL_FIELDS}
    found = metrics.alert_breaches(
        values, metrics.derived_figures(values), thresholds_of(o.agent), o.agent.api_calls_per_hour
    )
    return [asdict(b) for b in found]


class MetricSnapshotFactory(factory.django.DjangoModelFactory):
    """A healthy month (completion 95 %, escalations 5 %, errors 2 % against a 5 % baseline),
    each one the month after the previous; `breaches` as outcomes.metrics finds them against
    the agent's thresholds. Written straight to the table: nothing is suspended."""

    class Meta:
        model = MetricSnapshot

    agent = factory.SubFactory(AgentFactory)
    period_start = factory.Sequence(lambda n: date(2026 + n // 12, n % 12 + 1, 1))
    period_end = factory.LazyAttribute(
        lambda o: (o.period_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    )
    tasks = 100
    tasks_completed = 95
    escalations = 5
    errors = 2
    cost = 190.0
    avg_cycle_time_s = 60.0
    baseline_cost_per_case = 4.0
    baseline_cycle_time_s = 240.0
    baseline_error_rate = 0.05
    breaches = factory.LazyAttribute(_breaches)
    created_by = factory.LazyAttribute(
        lambda o: member_of(o.agent.organization, Role.OPERATOR).user
    )


class SnapshotPayloadFactory(factory.DictFactory):
    """The fields of a healthy snapshot as the form, the CSV and the API send them."""

    period_start = "2026-03-01"
    period_end = "2026-03-31"
    tasks = 100
    tasks_completed = 95
    escalations = 5
    errors = 2
    cost = 190.0
    avg_cycle_time_s = 60.0
    baseline_cost_per_case = 4.0
    baseline_cycle_time_s = 240.0
    baseline_error_rate = 0.05


class HorizonDecisionFactory(factory.django.DjangoModelFactory):
    """An advance from stabilization to scaling by a new approver; the agent is at the horizon
    it advanced to."""

    class Meta:
        model = HorizonDecision

    agent = factory.SubFactory(AgentFactory, horizon=factory.SelfAttribute("..to_horizon"))
    from_horizon = Agent.Horizon.STABILIZATION
    to_horizon = Agent.Horizon.SCALING
    rationale = "Figures held for the whole period."
    decided_by = factory.LazyAttribute(
        lambda o: member_of(o.agent.organization, Role.APPROVER).user
    )
    decided_at = factory.LazyFunction(timezone.now)


# --- assessments -------------------------------------------------------------------------------


class AssessmentFactory(factory.django.DjangoModelFactory):
    """A draft of the default framework by a new assessor, with `scores` (criterion key to
    value) if given. Trait `submitted`: submitted by its author, every criterion scored (4 where
    `scores` names none), its total and verdict frozen as assessments.scoring gives them."""

    class Meta:
        model = Assessment
        skip_postgeneration_save = True

    class Params:
        submitted = factory.Trait(
            status=Assessment.Status.SUBMITTED,
            submitted_by=factory.SelfAttribute("created_by"),
            submitted_at=factory.LazyFunction(timezone.now),
        )

    organization = factory.SubFactory(OrganizationFactory)
    framework = factory.LazyFunction(framework_default)
    title = factory.Sequence(lambda n: f"Assessment {n:02d}")
    created_by = factory.LazyAttribute(lambda o: member_of(o.organization, Role.ASSESSOR).user)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")

    @factory.post_generation
    def scores(self, create, extracted, **kwargs):
        if not create:
            return
        values = dict(extracted or {})
        if self.status == Assessment.Status.SUBMITTED:
            values = dict.fromkeys(self.framework.criteria_by_key, 4) | values
        by_key = self.framework.criteria_by_key
        Score.objects.bulk_create(
            Score(assessment=self, criterion=by_key[key], value=value)
            for key, value in values.items()
        )
        if self.status == Assessment.Status.SUBMITTED:
            result = self.result
            self.total, self.verdict = result.total, result.verdict
            Assessment.objects.filter(pk=self.pk).update(total=self.total, verdict=self.verdict)


def _unscored(score) -> object:
    scored = set(
        Score.objects.filter(assessment=score.assessment).values_list("criterion_id", flat=True)
    )
    criteria = score.assessment.framework.criteria_by_key.values()
    return next(c for c in criteria if c.pk not in scored)


class ScoreFactory(factory.django.DjangoModelFactory):
    """A score of the assessment's next unscored criterion, in framework order."""

    class Meta:
        model = Score

    assessment = factory.SubFactory(AssessmentFactory)
    criterion = factory.LazyAttribute(_unscored)
    value = 3


# --- reports -----------------------------------------------------------------------------------


class ReportFactory(factory.django.DjangoModelFactory):
    """A queued board report of last month, requested by a new member, with the snapshot
    reports.snapshot freezes for the organization as it is now."""

    class Meta:
        model = Report

    organization = factory.SubFactory(OrganizationFactory)
    period_end = factory.LazyFunction(lambda: timezone.now().date().replace(day=1) - timedelta(1))
    period_start = factory.LazyAttribute(lambda o: o.period_end.replace(day=1))
    title = factory.LazyAttribute(
        lambda o: f"Board report {o.period_start.isoformat()} to {o.period_end.isoformat()}"
    )
    requested_by = factory.LazyAttribute(lambda o: member_of(o.organization, Role.VIEWER).user)
    requested_at = factory.LazyFunction(timezone.now)
    queued_at = factory.SelfAttribute("requested_at")
    stage = "Waiting for a worker"
    snapshot = factory.LazyAttribute(
        lambda o: build_snapshot(
            organization=o.organization,
            title=o.title,
            period_start=o.period_start,
            period_end=o.period_end,
            requested_by=o.requested_by,
            now=o.requested_at,
            previous=None,
        )
    )


# --- core --------------------------------------------------------------------------------------


class WorkerHeartbeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerHeartbeat
        django_get_or_create = ("worker",)

    worker = factory.Sequence(lambda n: f"celery@worker{n}")
    last_ran_at = factory.LazyFunction(timezone.now)
    beats = 1


class WorkerProbeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerProbe

    token = factory.LazyFunction(lambda: secrets.token_hex(32))
    worker = factory.Sequence(lambda n: f"celery@worker{n}")
    ran_at = factory.LazyFunction(timezone.now)
