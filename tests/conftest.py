"""Shared fixtures: two organizations, a member per role, logged-in clients, API clients."""

import json

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from accounts.middleware import SESSION_KEY
from accounts.services import token_create
from agents.models import Agent, DecisionBoundary, EscalationPath, ToolPermission
from assessments.selectors import framework_default
from audit.models import AuditEntry
from audit.services import audit_verify
from core.roles import Role
from gates import services as gates_services
from gates.checklists import PHASES
from gates.models import ChecklistItem, Gate, GateDecision, PromptVersion
from killswitch.models import AgentToken, Suspension

from .browser_fixtures import chromium, page  # noqa: F401  (one browser for the suite)
from .factories import (
    AgentFactory,
    AssessmentFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from .helpers import make_agent, provide_evidence
from .live import live_redis

CRITERIA = [
    "ownership",
    "decision_boundaries",
    "least_privilege",
    "prompt_lifecycle",
    "guardrails",
    "human_override",
    "tracing",
    "alerting",
    "outcome_metrics",
    "data_monitoring",
    "drift_detection",
    "test_data",
]


def scores_of(*values: int) -> dict[str, int]:
    """Twelve values in framework order (or four, one per dimension, repeated thrice)."""
    if len(values) == 4:
        values = tuple(v for v in values for _ in range(3))
    assert len(values) == 12
    return dict(zip(CRITERIA, values, strict=True))


@pytest.fixture
def framework(db):
    return framework_default()


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme Robotics", slug="acme")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Globex", slug="globex")


@pytest.fixture
def make_member(db):
    def make(org, *roles: str, username: str | None = None):
        kwargs = {"organization": org}
        if username:
            kwargs["user"] = UserFactory(username=username)
        membership = MembershipFactory(**kwargs)
        membership.set_roles({Role(r) for r in roles})
        membership.save()
        return membership

    return make


@pytest.fixture
def admin(org, make_member):
    return make_member(org, "admin", username="ada")


@pytest.fixture
def assessor(org, make_member):
    return make_member(org, "assessor", username="sam")


@pytest.fixture
def approver(org, make_member):
    return make_member(org, "approver", username="april")


@pytest.fixture
def operator(org, make_member):
    return make_member(org, "operator", username="otto")


@pytest.fixture
def viewer(org, make_member):
    return make_member(org, "viewer", username="vic")


@pytest.fixture
def other_assessor(other_org, make_member):
    return make_member(other_org, "assessor", "admin", "approver", "operator", username="gus")


@pytest.fixture
def client_for(db):
    """A test client signed in as the membership's user, acting in its organization."""

    def make(membership) -> Client:
        client = Client()
        client.force_login(membership.user)
        session = client.session
        session[SESSION_KEY] = membership.pk
        session.save()
        return client

    return make


class ApiClient:
    """Sends JSON with a bearer token; `.json` on responses is the decoded body."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _send(self, method, path, data=None, raw=None, content_type="application/json"):
        body = raw if raw is not None else (json.dumps(data) if data is not None else None)
        kwargs = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=body, content_type=content_type)
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path):
        return self._send("get", path)

    def post(self, path, data=None, **kw):
        return self._send("post", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self._send("patch", path, data, **kw)

    def delete(self, path):
        return self._send("delete", path)


@pytest.fixture
def api_for(db):
    def make(membership) -> ApiClient:
        _, raw = token_create(membership=membership)
        return ApiClient(raw)

    return make


@pytest.fixture
def agent(assessor):
    """A registered agent owned by the assessor "sam" (so the approver "april" may decide).
    Test modules with an agent of their own override this."""
    return make_agent(assessor)


@pytest.fixture(scope="module")
def redis_url():
    """A real redis-server for the integration tests (make test installs it)."""
    with live_redis() as url:
        yield url


@pytest.fixture(autouse=True)
def _fresh_audit_checkpoints():
    """Every test starts with an empty checkpoint storage (in memory in the test settings)."""
    from django.core.files.storage import storages

    storages._storages.pop("audit_checkpoints", None)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test starts with no request counted against the rate limits."""
    from django.core.cache import caches

    caches["ratelimit"].clear()


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Every test starts with no cached page: a rolled-back test leaves the data version
    where it was, so the next test's pages could otherwise meet its copies."""
    from django.core.cache import caches

    caches["pages"].clear()


# --- the agent rooms' services: an owner, a registered agent, what a refused call must not change


@pytest.fixture
def owner(org, make_member):
    """An agent's owner: "olga", a member with no role that matters to the agent rooms."""
    return make_member(org, "viewer", username="olga")


@pytest.fixture
def refund_bot(assessor, owner):
    """The "Refund bot", registered for real by the assessor "sam" (four gates, an audit entry),
    owned by "olga"."""
    return AgentFactory.register(
        assessor,
        owner=owner,
        name="Refund bot",
        purpose="Refunds under 50 EUR",
        business_unit="Support",
    )


@pytest.fixture
def audit_ids(db):
    """`audit_ids()`: the audit log's (id, hash) pairs in order, to show nothing was added."""
    return lambda: list(AuditEntry.objects.order_by("id").values_list("id", "hash"))


@pytest.fixture
def audit_actions(db):
    """`audit_actions()`: the audit log's actions in order."""
    return lambda: list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


@pytest.fixture
def world(audit_ids):
    """`world()`: every row an agent-room service could change, and the audit log, for
    "a refused call changes nothing" (`before = world()` ... `assert world() == before`)."""
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

    def snapshot() -> dict:
        rows = {
            model.__name__: [
                sorted((k, str(v)) for k, v in model_to_dict(obj).items())
                for obj in model.objects.order_by("pk")
            ]
            for model in models
        }
        rows["audit"] = audit_ids()
        return rows

    return snapshot


@pytest.fixture
def audit_chain_verifies(db):
    """After the test, the audit chain still verifies (a module of service tests uses it for
    every test: `pytestmark = [..., pytest.mark.usefixtures("audit_chain_verifies")]`)."""
    yield
    assert audit_verify() == []


@pytest.fixture
def to_production(assessor, approver):
    """`to_production(agent)`: a submitted assessment of the organization (a factory row, 4 in
    every criterion), then the evidence every computed item reads
    (tests.helpers.provide_evidence) and each gate decided go by the approver, through the gate
    services; answers the agent as it is now (in stabilization)."""

    def advance(agent: Agent) -> Agent:
        AssessmentFactory(
            submitted=True,
            organization=assessor.organization,
            created_by=assessor.user,
            title="Readiness",
            scores=scores_of(4, 4, 4, 4),
        )
        provide_evidence(agent)
        for phase in PHASES:
            gates_services.gate_decide(
                agent=agent,
                phase=phase,
                membership=approver,
                decision="go",
                rationale=f"Phase {phase} reviewed.",
            )
        return Agent.objects.get(pk=agent.pk)

    return advance
