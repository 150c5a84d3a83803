"""Where events come from: the audit trail's entries (after commit) and the reminders, turned
into deliveries for the endpoints that receive them, in a bounded number of queries."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_record
from gates import services as gates_services
from killswitch import services as killswitch_services
from notifications.signals import reminder_due
from outcomes import services as outcome_services
from overview import services as overview_services
from tests.factories_webhooks import EndpointFactory
from tests.helpers import complete_checklist
from webhooks import events, rules
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

SNAPSHOT = {
    "period_start": "2026-03-01",
    "period_end": "2026-03-31",
    "tasks": 100,
    "tasks_completed": 95,
    "escalations": 5,
    "errors": 20,  # error rate 0.20 > 0.10: suspends the agent automatically
    "cost": 190.0,
    "avg_cycle_time_s": 60.0,
    "baseline_cost_per_case": 4.0,
    "baseline_cycle_time_s": 240.0,
    "baseline_error_rate": 0.05,
}


@pytest.fixture
def every_event(org):
    return EndpointFactory(organization=org, events=list(rules.EVENTS))


def sent(*types):
    return list(Delivery.objects.filter(event_type__in=types).order_by("id"))


def data_of(delivery):
    return delivery.payload["data"]


def test_each_kind_of_suspension_is_agent_suspended_with_its_kind(
    every_event, agent, operator, approver, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Manual stop")
        killswitch_services.agent_resume(agent=agent, membership=approver, reason="Fixed")
        drill = killswitch_services.drill_start(agent=agent, membership=operator)
        killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)
    suspended = [data_of(d) for d in sent("agent.suspended")]
    assert [(d["kind"], d["reason"], d["by"]) for d in suspended] == [
        ("manual", "Manual stop", "otto"),
        ("drill", "Kill-switch drill", "otto"),
    ]
    resumed = [data_of(d) for d in sent("agent.resumed")]
    assert [(d["kind"], d["state"], d["by"]) for d in resumed] == [
        ("manual", "active", "april"),
        ("drill", "active", "otto"),
    ]
    assert all(d["agent_id"] == str(agent.pk) for d in suspended + resumed)
    assert len(queued) == 4


def test_a_breach_is_threshold_breached_and_an_automatic_suspension(
    every_event, agent, operator, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome_services.metric_snapshot_post(agent=agent, membership=operator, data=SNAPSHOT)
    (suspended,) = sent("agent.suspended")
    assert data_of(suspended)["kind"] == "automatic"
    assert data_of(suspended)["by"] == "system"
    (breached,) = sent("threshold.breached")
    data = data_of(breached)
    assert data["agent_name"] == agent.name
    assert [b["threshold"] for b in data["breaches"]] == ["error_rate"]
    assert data["breaches"][0]["value"] == 0.2
    assert data["snapshot_id"] is not None


def test_gate_decisions_and_reviews(
    every_event, agent, assessor, approver, queued, django_capture_on_commit_callbacks
):
    complete_checklist(agent, 1, assessor)
    with django_capture_on_commit_callbacks(execute=True):
        gates_services.gate_decide(
            agent=agent, phase=1, membership=approver, decision="go", rationale="All in place."
        )
        overview_services.agent_update(
            agent=agent, membership=assessor, data={"escalation_paths": []}
        )
    (decided,) = sent("gate.decided")
    assert data_of(decided) | {"at": None} == {
        "agent_id": str(agent.pk),
        "agent_name": agent.name,
        "phase": 1,
        "decision": "go",
        "state": "go",
        "previous_state": "pending",
        "rationale": "All in place.",
        "unmet_items": [],
        "by": "april",
        "at": None,
    }
    (review,) = sent("gate.needs_review")
    assert data_of(review)["agent_name"] == agent.name
    assert data_of(review)["phase"] == 1
    assert data_of(review)["why"].startswith("No longer met: Every failure state mapped")


def test_a_done_report(every_event, org, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(
            organization=org,
            action=Action.REPORT_DONE,
            object_type="reports.Report",
            object_id="7",
            object_label="Board report Q1",
            after={"sha256": "ab" * 32, "size": 1234, "pages": 9},
        )
    (done,) = sent("report.done")
    assert data_of(done) | {"at": None} == {
        "report_id": "7",
        "title": "Board report Q1",
        "sha256": "ab" * 32,
        "size": 1234,
        "pages": 9,
        "pdf_path": "/api/v1/reports/7/pdf",
        "by": "system",
        "at": None,
    }


def test_a_reminder(every_event, org, queued):
    reminder_due.send(
        sender=None,
        organization=org,
        kind="drill_overdue",
        key="drill:3",
        text="The kill switch of Invoice triage was not drilled for 90 days.",
        url="/agents/3/",
        data={"agent_id": "3"},
    )
    (reminder,) = sent("reminder.due")
    assert data_of(reminder) == {
        "kind": "drill_overdue",
        "key": "drill:3",
        "text": "The kill switch of Invoice triage was not drilled for 90 days.",
        "url": "/agents/3/",
        "data": {"agent_id": "3"},
    }


def test_only_the_organizations_active_endpoints_for_the_event(
    org, other_org, agent, operator, queued, django_capture_on_commit_callbacks
):
    mine = EndpointFactory(organization=org, events=["agent.suspended"])
    EndpointFactory(organization=org, events=["agent.suspended"], active=False)
    EndpointFactory(organization=org, events=["gate.decided"])
    EndpointFactory(organization=other_org, events=["agent.suspended"])
    with django_capture_on_commit_callbacks(execute=True):
        killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Stop")
    assert [d.endpoint_id for d in Delivery.objects.all()] == [mine.pk]


def test_a_rolled_back_change_announces_nothing(
    every_event, agent, operator, queued, django_capture_on_commit_callbacks
):
    def suspend_then_fail():
        with transaction.atomic():
            killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Stop")
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        suspend_then_fail()
    assert Delivery.objects.count() == 0


def test_the_deliveries_of_an_event_take_a_fixed_number_of_queries(org, agent, queued):
    EndpointFactory.create_batch(8, organization=org, events=["agent.suspended"])
    entry = AuditEntry(
        organization=org,
        action=Action.AGENT_SUSPENDED_MANUAL,
        object_id=str(agent.pk),
        object_label=agent.name,
        actor_label="otto",
        after={"reason": "Stop", "kind": "manual"},
    )
    with CaptureQueriesContext(connection) as queries:
        events.on_entry_recorded(sender=AuditEntry, entry=entry)
    assert Delivery.objects.count() == 8
    assert len(queries) <= 4  # the endpoints, the rows (savepoint in and out)


def test_a_failure_never_reaches_the_change(every_event, agent, operator, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(events, "deliveries_create", broken)
    entry = AuditEntry(
        organization=agent.organization,
        action=Action.AGENT_SUSPENDED_MANUAL,
        object_id=str(agent.pk),
        object_label=agent.name,
        after={"reason": "x"},
    )
    events.on_entry_recorded(sender=AuditEntry, entry=entry)  # does not raise
    reminder_due.send(
        sender=None, organization=agent.organization, kind="k", key="k", text="t", url=""
    )
    assert "Webhooks for audit entry" in caplog.text
    assert "Webhooks for reminder" in caplog.text


def test_an_organization_without_webhooks_pays_one_query(org, agent, queued):
    entry = AuditEntry(
        organization=org,
        action=Action.GATE_DECIDED,
        object_id=str(agent.pk),
        object_label=f"{agent.name} phase 1",
        after={"phase": 1, "decision": "go", "state": "go"},
    )
    with CaptureQueriesContext(connection) as queries:
        events.on_entry_recorded(sender=AuditEntry, entry=entry)
    assert len(queries) == 1
    assert Delivery.objects.count() == 0
