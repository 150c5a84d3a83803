"""Two members acting on the same thing at the same moment, in real threads with their own
database connections (SQLite in WAL mode with immediate transactions, or PostgreSQL when
DATABASE_URL points at it): no write is lost and no state the rules forbid is left."""

import threading

import pytest
from django.db import connection

from agents.models import Agent
from assessments import services as assessment_services
from assessments.models import Assessment
from audit.services import audit_verify
from core.errors import Conflict
from gates import services as gates_services
from gates.models import GateDecision
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from overview import services as overview_services
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(*calls):
    """Run the calls in threads released together; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the conflict is the expected answer for one of them
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def conflicts(results):
    return [r for r in results if isinstance(r, Conflict)]


def test_two_saves_of_the_same_draft_one_lands_the_other_is_refused(org, make_member, framework):
    first = make_member(org, "assessor", username="ann")
    second = make_member(org, "assessor", username="bob")
    draft = assessment_services.assessment_create(membership=first, title="Shared draft")
    seen = draft.version

    results = at_once(
        lambda: assessment_services.assessment_set_scores(
            assessment=draft, membership=first, scores={"ownership": 2}, expected_version=seen
        ),
        lambda: assessment_services.assessment_set_scores(
            assessment=draft, membership=second, scores={"ownership": 5}, expected_version=seen
        ),
    )

    refused = conflicts(results)
    assert len(refused) == 1
    assert refused[0].reasons[0].code == "stale_version"
    saved = next(r for r in results if not isinstance(r, Exception))
    fresh = Assessment.objects.get(pk=draft.pk)
    assert fresh.version == seen + 1
    assert saved.score_map == {"ownership": saved.score_map["ownership"]}
    assert audit_verify() == []


def test_two_decisions_on_one_gate_at_the_same_moment_one_is_recorded(org, make_member):
    assessor = make_member(org, "assessor", username="sam")
    first = make_member(org, "approver", username="april")
    second = make_member(org, "approver", username="arno")
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Contested", "owner": "sam"}
    )
    provide_evidence(agent, 1)

    seen = agent.gates.get(phase=1).version  # both opened the gate page at this version

    results = at_once(
        lambda: gates_services.gate_decide(
            agent=agent,
            phase=1,
            membership=first,
            decision="go",
            rationale="Fine by me.",
            expected_version=seen,
        ),
        lambda: gates_services.gate_decide(
            agent=agent,
            phase=1,
            membership=second,
            decision="no_go",
            rationale="Not yet.",
            expected_version=seen,
        ),
    )

    assert [r.reasons[0].code for r in conflicts(results)] == ["gate_changed"]
    assert GateDecision.objects.filter(gate__agent=agent).count() == 1
    recorded = GateDecision.objects.get(gate__agent=agent)
    assert agent.gates.get(phase=1).state == recorded.decision
    assert audit_verify() == []


def test_twenty_decisions_without_a_version_at_once_record_one(org, make_member):
    # given a fresh gate, its checklist met, and twenty approvers
    assessor = make_member(org, "assessor", username="sam")
    approvers = [make_member(org, "approver", username=f"ap{i}") for i in range(20)]
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Crowded", "owner": "sam"}
    )
    provide_evidence(agent, 1)

    # when all twenty decide at the same moment without sending a version
    results = at_once(
        *[
            lambda ap=ap: gates_services.gate_decide(
                agent=agent, phase=1, membership=ap, decision="go", rationale="Blind."
            )
            for ap in approvers
        ]
    )

    # then exactly one is recorded; each other one is refused with a reason, none fails
    assert GateDecision.objects.filter(gate__agent=agent).count() == 1
    refused = conflicts(results)
    assert len(refused) == 19
    assert {r.reasons[0].code for r in refused} <= {"version_required", "gate_changed"}
    assert audit_verify() == []


def test_two_operators_suspending_at_once_leave_one_suspension(org, make_member):
    assessor = make_member(org, "assessor", username="sam")
    operators = [make_member(org, "operator", username=f"op{i}") for i in range(2)]
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Hot", "owner": "sam"}
    )

    results = at_once(
        *[
            lambda op=op: killswitch_services.agent_suspend(
                agent=agent, membership=op, reason="Stop"
            )
            for op in operators
        ]
    )

    assert [r.reasons[0].code for r in conflicts(results)] == ["already_suspended"]
    assert Suspension.objects.filter(agent=agent, ended_at=None).count() == 1
    assert Agent.objects.get(pk=agent.pk).state == "suspended"
    assert audit_verify() == []


def test_suspend_and_resume_at_once_leave_a_consistent_state(org, make_member):
    assessor = make_member(org, "assessor", username="sam")
    operator = make_member(org, "operator", username="otto")
    approver = make_member(org, "approver", username="april")
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Flip", "owner": "sam"}
    )
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="First stop")

    at_once(
        lambda: killswitch_services.agent_resume(agent=agent, membership=approver, reason="Safe"),
        lambda: killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Again"),
    )

    fresh = Agent.objects.get(pk=agent.pk)
    open_suspensions = Suspension.objects.filter(agent=agent, ended_at=None).count()
    # Whichever came first, the agent's state and its open suspensions agree.
    assert open_suspensions == (1 if fresh.state == "suspended" else 0)
    assert audit_verify() == []
