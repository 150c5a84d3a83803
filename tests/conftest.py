"""Shared fixtures: two organizations, a member per role, logged-in clients, API clients."""

import json

import pytest
from django.test import Client

from accounts.middleware import SESSION_KEY
from accounts.services import token_create
from assessments.selectors import framework_default
from core.roles import Role

from .factories import MembershipFactory, OrganizationFactory, UserFactory
from .helpers import make_agent
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
