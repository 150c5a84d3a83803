"""What an export does besides its figures (docs/telemetry.md "Effects"): an unregistered tool
and each limit suspend the agent through the kill switch, naming the figure, its value and the
limit; the operators are emailed; an agent already suspended stays as it was."""

import pytest

from agents.models import Agent
from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_verify
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from outcomes import services as outcome_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def audit_chain_still_verifies(db):
    yield
    assert audit_verify() == []


def limits(agent, **values):
    Agent.objects.filter(pk=agent.pk).update(**values)


def suspension_of(agent) -> Suspension | None:
    return Suspension.objects.filter(agent=agent, ended_at__isnull=True).first()


def breach(suspension, figure) -> dict:
    (found,) = [b for b in suspension.details["breaches"] if b["figure"] == figure]
    return found


def test_an_unregistered_tool_suspends_the_agent_naming_the_tool(
    agent, runtime, exporter, operator, queued_emails, django_capture_on_commit_callbacks
):
    runtime.run(tools=[("crm", False), ("wire_transfer", False), ("wire_transfer", False)])

    with django_capture_on_commit_callbacks(execute=True):
        response = exporter.post(runtime.protobuf())

    assert response.status_code == 200
    suspension = suspension_of(agent)
    assert suspension.kind == Suspension.Kind.AUTOMATIC
    assert "wire_transfer" in suspension.reason
    assert "Unregistered tool use" in suspension.reason
    assert breach(suspension, "unregistered_tool_use") == {
        "figure": "unregistered_tool_use",
        "value": 2,
        "limit": 0,
        "tool": "wire_transfer",
        "message": "Unregistered tool use: wire_transfer was called 2 time(s) and the agent "
        "holds no permission for it.",
    }
    assert Agent.objects.get(pk=agent.pk).is_suspended
    entry = AuditEntry.objects.filter(action=Action.AGENT_SUSPENDED_AUTOMATIC).get()
    assert entry.after["details"]["source"] == "telemetry"
    (email,) = queued_emails
    assert email["recipients"] == [operator.user.email]
    assert "wire_transfer" in email["body"]


def test_unregistered_tool_use_can_be_switched_off(agent, runtime, exporter, admin):
    outcome_services.thresholds_update(
        agent=agent, membership=admin, data={"alert_unregistered_tool_use": False}
    )
    runtime.run(tools=[("wire_transfer", False)])
    exporter.post(runtime.protobuf())
    assert suspension_of(agent) is None


def test_calls_in_one_hour_above_the_api_call_limit_suspend(agent, runtime, exporter):
    limits(agent, api_calls_per_hour=5)
    runtime.run(model_calls=2, tools=[("crm", False)] * 3)  # 5 calls: at the limit
    exporter.post(runtime.protobuf())
    assert suspension_of(agent) is None
    runtime.clear()
    runtime.run(model_calls=1, tools=[])  # the hour's 6th call

    exporter.post(runtime.protobuf())

    found = breach(suspension_of(agent), "calls_per_hour")
    assert (found["value"], found["limit"]) == (6, 5)
    assert "Calls per hour 6 is above the alert limit of 5" in suspension_of(agent).reason


def test_a_conversation_above_the_tokens_per_session_limit_suspends(agent, runtime, exporter):
    limits(agent, tokens_per_session=1000)
    runtime.run(conversation="c", input_tokens=400, output_tokens=100)
    exporter.post(runtime.protobuf())
    assert suspension_of(agent) is None
    runtime.clear()
    runtime.run(conversation="c", input_tokens=400, output_tokens=101)

    exporter.post(runtime.protobuf())

    found = breach(suspension_of(agent), "tokens_per_session")
    assert (found["value"], found["limit"], found["conversation"]) == (1001, 1000, "c")


def test_a_run_above_the_sequential_actions_limit_suspends(agent, runtime, exporter):
    limits(agent, sequential_actions_before_confirmation=3)
    runtime.run(tools=[("crm", False)] * 3)
    exporter.post(runtime.protobuf())
    assert suspension_of(agent) is None
    runtime.clear()
    runtime.run(tools=[("crm", False)] * 4)

    exporter.post(runtime.protobuf())

    found = breach(suspension_of(agent), "sequential_actions")
    assert (found["value"], found["limit"]) == (4, 3)


def test_failed_tool_calls_above_the_threshold_suspend(agent, runtime, exporter, admin):
    outcome_services.thresholds_update(
        agent=agent, membership=admin, data={"alert_failed_tool_calls_max": 0.25}
    )
    runtime.run(tools=[("crm", True), ("crm", False), ("crm", False), ("crm", False)])
    exporter.post(runtime.protobuf())  # 1 of 4: at the threshold
    assert suspension_of(agent) is None
    runtime.clear()
    runtime.run(tools=[("crm", True)])

    exporter.post(runtime.protobuf())  # 2 of 5 in the hour

    found = breach(suspension_of(agent), "failed_tool_calls")
    assert (found["value"], found["limit"]) == (pytest.approx(0.4), 0.25)
    assert (
        "Failed tool calls 40.0% is above the alert limit of 25.0%" in suspension_of(agent).reason
    )


def test_an_hours_mean_evaluation_score_below_the_quality_threshold_suspends(
    agent, runtime, exporter
):
    runtime.run(score=0.9)
    runtime.run(score=0.5)  # mean 0.7: at the default threshold
    exporter.post(runtime.protobuf())
    assert suspension_of(agent) is None
    runtime.clear()
    runtime.run(score=0.4)

    exporter.post(runtime.protobuf())

    found = breach(suspension_of(agent), "quality_score")
    assert (found["value"], found["limit"]) == (pytest.approx(0.6), 0.7)


def test_an_agent_already_suspended_stays_as_it_was(agent, runtime, exporter, operator):
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="By hand")
    runtime.run(tools=[("wire_transfer", False)])

    assert exporter.post(runtime.protobuf()).status_code == 200

    (suspension,) = Suspension.objects.filter(agent=agent)
    assert (suspension.kind, suspension.reason) == ("manual", "By hand")


def test_a_breach_during_a_drill_takes_over(agent, runtime, exporter, operator):
    killswitch_services.drill_start(agent=agent, membership=operator)
    runtime.run(tools=[("wire_transfer", False)])
    exporter.post(runtime.protobuf())
    assert suspension_of(agent).kind == Suspension.Kind.AUTOMATIC


def test_the_thresholds_form_shows_and_saves_the_switch(agent, admin, client_for):
    client = client_for(admin)
    url = f"/agents/{agent.pk}/thresholds/"
    page = client.get(url)
    assert page.status_code == 200, url
    assert "alert_unregistered_tool_use" in page.content.decode()
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.pop("alert_unregistered_tool_use")  # an unticked box is not sent

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert outcome_services.thresholds_of(agent).alert_unregistered_tool_use is False


def test_automatic_suspension_switched_off_leaves_the_agent_running(
    agent, runtime, exporter, admin
):
    outcome_services.thresholds_update(agent=agent, membership=admin, data={"auto_suspend": False})
    runtime.run(tools=[("wire_transfer", False)])

    response = exporter.post(runtime.protobuf())

    assert response.status_code == 200
    assert suspension_of(agent) is None
    assert not Agent.objects.get(pk=agent.pk).is_suspended


def test_a_tool_used_without_a_permission_sends_phase_1_at_go_to_review(
    agent, runtime, exporter, to_production
):
    live = to_production(agent)
    runtime.run(tools=[("crm", False), ("wire_transfer", False)])

    exporter.post(runtime.protobuf())

    gate = live.gates.get(phase=1)
    assert gate.state == "needs_review"
    assert "wire_transfer" in gate.review_reason
    entry = AuditEntry.objects.filter(action=Action.GATE_NEEDS_REVIEW).get()
    assert entry.after["items"] == ["least_privilege_justified"]
