"""Events from the audit trail become notifications for the members they concern
(notifications/events.py): who is told per event and role, and that a failure never reaches
the change that was recorded."""

import logging

import pytest

from audit.actions import Action
from audit.services import audit_record
from gates import services as gates_services
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from notifications import events
from notifications.kinds import Kind
from notifications.models import Notification
from overview import services as overview_services
from reports import services as reports_services
from tests.factories import AgentFactory, ReportFactory
from tests.helpers import complete_checklist, go, provide_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(refund_bot):
    """The "Refund bot": registered by the assessor sam, owned by the viewer olga."""
    return refund_bot


@pytest.fixture
def everyone(admin, assessor, approver, operator, viewer, owner, other_assessor):
    """A member of each role (and one of another organization who holds them all)."""


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a change and its on-commit callbacks, as a committed transaction would."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


def finish_phase_one(agent, assessor):
    """Phase 1's evidence, its escalation path last, through the service (an audited write)."""
    provide_evidence(agent, 1)
    agent.escalation_paths.all().delete()
    overview_services.agent_update(
        agent=agent,
        membership=assessor,
        data={"escalation_paths": [{"failure_state": "Stuck", "owner": "sam"}]},
    )


def told(**filters) -> dict[str, str]:
    """Username → kind of the notifications made."""
    rows = Notification.objects.filter(**filters).select_related("recipient__user")
    return {n.recipient.user.username: n.kind for n in rows}


# --- suspensions and resumes ------------------------------------------------------------------


def test_a_suspension_by_hand_tells_operators_approvers_and_the_owner_not_who_did_it(
    agent, everyone, commit, make_member, org
):
    second_operator = make_member(org, "operator", username="opal")

    commit(killswitch_services.agent_suspend, agent=agent, membership=second_operator, reason="Odd")

    assert told() == {
        "otto": Kind.AGENT_SUSPENDED,
        "april": Kind.AGENT_SUSPENDED,
        "olga": Kind.AGENT_SUSPENDED,
    }
    notification = Notification.objects.get(recipient__user__username="april")
    assert notification.text == "Refund bot was suspended by opal: Odd"
    assert notification.url == f"/agents/{agent.pk}/"
    assert (notification.object_type, notification.object_id) == ("agents.Agent", str(agent.pk))
    assert notification.email is True  # suspensions come by email by default
    assert notification.read_at is None


def test_a_breach_tells_the_operators_and_owner_of_the_breach_and_approvers_of_the_stop(
    agent, everyone, commit
):
    commit(
        killswitch_services.agent_suspend_automatic,
        agent=agent,
        reason="Error rate 20.0% is above the alert limit of 10.0%.",
        details={"breaches": [{"threshold": "error_rate", "value": 0.2, "limit": 0.1}]},
    )

    assert told() == {
        "otto": Kind.THRESHOLD_BREACHED,
        "olga": Kind.THRESHOLD_BREACHED,
        "april": Kind.AGENT_SUSPENDED,
    }
    assert "crossed its alert thresholds" in Notification.objects.first().text


def test_a_drill_and_its_end_tell_the_same_people(agent, everyone, commit, operator):
    drill = commit(killswitch_services.drill_start, agent=agent, membership=operator)
    assert told(kind=Kind.AGENT_SUSPENDED) == {
        "april": "agent_suspended",
        "olga": "agent_suspended",
    }

    commit(killswitch_services.drill_end, agent=agent, drill=drill, membership=operator)

    assert told(kind=Kind.AGENT_RESUMED) == {"april": "agent_resumed", "olga": "agent_resumed"}


def test_a_resume_tells_operators_and_the_owner(agent, everyone, commit, approver, operator):
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Odd")

    commit(killswitch_services.agent_resume, agent=agent, membership=approver, reason="Fixed")

    assert told(kind=Kind.AGENT_RESUMED) == {"otto": "agent_resumed", "olga": "agent_resumed"}
    assert Suspension.objects.get().ended_at is not None


def test_a_deactivated_member_and_another_organization_are_never_told(
    agent, everyone, commit, operator, approver
):
    approver.is_active = False
    approver.save()

    commit(killswitch_services.agent_suspend, agent=agent, membership=operator, reason="Odd")

    assert told() == {"olga": Kind.AGENT_SUSPENDED}
    assert not Notification.objects.exclude(organization=agent.organization).exists()


# --- gates ------------------------------------------------------------------------------------


def test_a_gate_whose_items_are_all_met_waits_for_the_approvers_but_not_the_owner(
    org, make_member, assessor, approver, commit
):
    # given an approver who owns the agent
    oscar = make_member(org, "approver", username="oscar")
    agent = AgentFactory.register(assessor, owner=oscar, name="Quote bot")

    # when the assessor records the last of phase 1's evidence
    commit(finish_phase_one, agent, assessor)

    # then april may decide and is told; oscar owns it and is not
    assert told() == {"april": Kind.GATE_WAITING}
    notification = Notification.objects.get()
    assert notification.url == f"/agents/{agent.pk}/gates/1/"
    assert notification.text == "Phase 1 of Quote bot waits for your decision: every item is met."


def test_a_gate_with_items_left_waits_for_no_one_and_is_told_once(
    agent, everyone, commit, assessor
):
    commit(
        overview_services.agent_update,
        agent=agent,
        membership=assessor,
        data={"decision_boundaries": [{"decision": "Refunds", "mode": "alone"}]},
    )
    assert told() == {}  # phase 1 still lacks most of its evidence

    commit(finish_phase_one, agent, assessor)
    assert told() == {"april": Kind.GATE_WAITING}
    commit(
        overview_services.agent_update,
        agent=agent,
        membership=assessor,
        data={"purpose": "Refunds under 60 EUR"},
    )

    assert Notification.objects.filter(kind=Kind.GATE_WAITING).count() == 1  # not again


def test_a_go_makes_the_next_phase_wait_when_its_items_are_met(
    agent, everyone, commit, assessor, approver, make_member, org
):
    second = make_member(org, "approver", username="abe")
    commit(complete_checklist, agent, 2, assessor)  # phase 1 is not at go yet
    assert told() == {}
    complete_checklist(agent, 1, assessor)

    commit(
        gates_services.gate_decide,
        agent=agent,
        phase=1,
        membership=approver,
        decision="go",
        rationale="All in place.",
    )

    assert told() == {"abe": Kind.GATE_WAITING}  # april decided: she is not told
    assert Notification.objects.get().url == f"/agents/{agent.pk}/gates/2/"
    assert second.notifications.count() == 1


def test_a_gate_sent_to_review_tells_the_approvers_and_the_owner(
    agent, everyone, commit, assessor, approver
):
    go(agent, 1, assessor, approver)

    commit(
        overview_services.agent_update,
        agent=agent,
        membership=assessor,
        data={"escalation_paths": []},
    )

    assert told() == {"april": Kind.GATE_NEEDS_REVIEW, "olga": Kind.GATE_NEEDS_REVIEW}
    assert "Phase 1 of Refund bot went to review" in Notification.objects.first().text


# --- reports ----------------------------------------------------------------------------------


def test_a_report_done_or_failed_tells_its_requester_only(org, everyone, commit, viewer):
    report = ReportFactory(organization=org, requested_by=viewer.user, title="May")

    commit(
        audit_record,
        organization=org,
        action=Action.REPORT_DONE,
        target=report,
        after={"sha256": "0" * 64, "size": 1, "pages": 1},
    )
    commit(reports_services.report_fail, report_id=report.pk, error="Out of paper.")

    rows = list(Notification.objects.order_by("id").values_list("recipient", "kind", "url"))
    assert rows == [
        (viewer.pk, Kind.REPORT_DONE, f"/reports/{report.pk}/"),
        (viewer.pk, Kind.REPORT_FAILED, f"/reports/{report.pk}/"),
    ]
    assert Notification.objects.filter(email=True).count() == 0  # off by default


# --- the receiver's manners -------------------------------------------------------------------


def test_a_failing_receiver_is_logged_and_the_change_stands(
    agent, everyone, commit, operator, monkeypatch, caplog
):
    def broken(entry):
        raise RuntimeError("boom")

    monkeypatch.setattr(events, "notify_for_entry", broken)

    with caplog.at_level(logging.ERROR, logger="notifications.events"):
        commit(killswitch_services.agent_suspend, agent=agent, membership=operator, reason="Odd")

    assert Suspension.objects.filter(agent=agent, ended_at__isnull=True).exists()
    assert "Could not notify for audit entry" in caplog.text
    assert not Notification.objects.exists()


def test_the_queries_of_an_event_do_not_grow_with_the_members(
    org, make_member, assessor, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    def announce_phase_one(name):
        agent = AgentFactory.register(assessor, name=name)
        with django_capture_on_commit_callbacks() as callbacks:
            finish_phase_one(agent, assessor)
        return callbacks

    few = announce_phase_one("First")
    make_member(org, "approver", username="a1")
    with django_assert_max_num_queries(40) as few_queries:
        for callback in few:
            callback()
    for n in range(12):
        make_member(org, "approver", "operator", username=f"b{n}")
    many = announce_phase_one("Second")

    with django_assert_max_num_queries(len(few_queries.captured_queries)):
        for callback in many:
            callback()

    assert Notification.objects.filter(object_id__endswith=":1").count() == 1 + 13
