"""What a go through the API reads (docs/architecture.md, "A request, call by call"): a
fixed number of statements in the request and after its commit, whatever else the agent or
the organization holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Agent
from audit.actions import Action
from audit.models import AuditEntry
from notifications.models import Notification
from tests.api.test_agents_api import decide, go, meet_all, register, submit_assessment
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db


def _statements(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


@pytest.fixture
def api(assessor, api_for, framework):
    return api_for(assessor)


@pytest.fixture
def as_approver(approver, api_for):
    return api_for(approver)


def _go_measured(api, as_approver, agent, phase, django_capture_on_commit_callbacks):
    meet_all(api, agent, phase)
    with (
        CaptureQueriesContext(connection) as request,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        response = decide(as_approver, agent, phase)
    assert response.status_code == 201, response.content
    with CaptureQueriesContext(connection) as after:
        for callback in callbacks:
            callback()
    return _statements(request), _statements(after)


def test_a_phase_4_go_reads_a_fixed_number_of_statements(
    api, as_approver, assessor, django_capture_on_commit_callbacks
):
    """The walk's request: the agent found by its light write lookup (not with its gates and
    records), the chain head read once per entry, the evidence once."""
    agent = register(api)
    submit_assessment(assessor, 4, 4, 4, 4)
    go(api, as_approver, agent, 1, 2, 3)
    request, after = _go_measured(api, as_approver, agent, 4, django_capture_on_commit_callbacks)
    assert Agent.objects.get(pk=agent["id"]).horizon == "stabilization"
    assert len(request) <= 27, "\n".join(request)
    assert len(after) <= 2, "\n".join(after)


def test_a_go_whose_next_phase_waits_tells_the_approvers_without_reading_the_evidence_again(
    api, as_approver, org, make_member, django_capture_on_commit_callbacks
):
    make_member(org, "approver", username="abe")  # the decider herself is not told
    agent = register(api)
    go(api, as_approver, agent, 1)
    provide_evidence(Agent.objects.get(pk=agent["id"]), 3)  # phase 3 is met before 2 is decided
    request, after = _go_measured(api, as_approver, agent, 2, django_capture_on_commit_callbacks)
    entry = AuditEntry.objects.filter(action=Action.GATE_DECIDED).latest("seq")
    assert entry.after["next_phase_waits"] is True
    assert Notification.objects.filter(kind="gate_waiting", object_id=f"{agent['id']}:3").exists()
    assert len(request) <= 22, "\n".join(request)
    # The agent, the gate, whether it was told already, the audience, owner changes, the
    # notification rows, the webhooks' endpoints: no evidence query.
    assert len(after) <= 9, "\n".join(after)
    assert not [sql for sql in after if "agents_decisionboundary" in sql]


def test_a_go_whose_next_phase_does_not_wait_tells_nobody_and_reads_almost_nothing(
    api, as_approver, django_capture_on_commit_callbacks
):
    agent = register(api)
    go(api, as_approver, agent, 1, 2)
    request, after = _go_measured(api, as_approver, agent, 3, django_capture_on_commit_callbacks)
    entry = AuditEntry.objects.filter(action=Action.GATE_DECIDED).latest("seq")
    assert entry.after["next_phase_waits"] is False  # phase 4 needs a ready assessment
    assert (
        not Notification.objects.filter(kind="gate_waiting")
        .exclude(object_id__endswith=":2")
        .exists()
        or not Notification.objects.filter(object_id=f"{agent['id']}:4").exists()
    )
    assert len(request) <= 23, "\n".join(request)
    assert len(after) <= 2, "\n".join(after)
