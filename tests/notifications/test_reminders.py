"""The reminders the scheduler announces (notifications.services.reminders_announce), with a
frozen clock: each due item is announced once, not every day, and again only when it
changes; `reminder_due` is sent once per announcement, after commit."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_verify
from notifications import services
from notifications.kinds import Kind
from notifications.models import Notification, ReminderAnnouncement
from notifications.selectors import reminder_facts
from notifications.signals import reminder_due
from notifications.tasks import announce_reminders
from tests.factories import (
    AgentFactory,
    AgentThresholdsFactory,
    AssessmentFactory,
    MetricSnapshotFactory,
    SuspensionFactory,
    ToolPermissionFactory,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 15, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def audit_chain_still_verifies(db):
    yield
    assert audit_verify() == []


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def heard():
    """The `reminder_due` signals sent, with their arguments."""
    calls = []

    def listener(sender, **kwargs):
        calls.append({"sender": sender, **kwargs})

    reminder_due.connect(listener, dispatch_uid="test-listener")
    yield calls
    reminder_due.disconnect(dispatch_uid="test-listener")


@pytest.fixture
def announce(org, django_capture_on_commit_callbacks):
    """Run the scheduler's announcement for the organization and commit it."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return services.reminders_announce(organization=org)

    return run


@pytest.fixture
def people(admin, assessor, approver, operator, viewer):
    """One member of each role in the organization."""


def agent_of(assessor, **fields):
    return AgentFactory(owned_by=assessor, registered_by=assessor, **fields)


def told() -> list[tuple[str, str]]:
    rows = Notification.objects.order_by("id").select_related("recipient__user")
    return sorted((n.recipient.user.username, n.kind) for n in rows)


# --- once, not daily, again when it changes ---------------------------------------------------


def test_an_overdue_drill_is_announced_once_not_the_next_day_and_again_when_it_changes(
    clock, people, assessor, operator, announce, heard
):
    agent = agent_of(assessor, name="Refund bot", created_at=T0 - 120 * DAY)
    SuspensionFactory(
        agent=agent, drill=True, ended=True, started_at=T0 - 100 * DAY, started_by=operator.user
    )

    # when the scheduler runs, then the operator is told once and the signal is sent once
    assert [d.kind for d in announce()] == [Kind.DRILL_OVERDUE]
    assert told() == [("otto", Kind.DRILL_OVERDUE)]
    assert len(heard) == 1

    # when it runs again the same day and the next days, then nothing more is said
    announce()
    clock.shift(DAY)
    assert announce() == []
    clock.shift(5 * DAY)
    assert announce() == []
    assert len(told()) == 1
    assert len(heard) == 1

    # when a drill is held, then nothing is due (and the item is forgotten)
    SuspensionFactory(
        agent=agent, drill=True, ended=True, started_at=T0 + 6 * DAY, started_by=operator.user
    )
    assert announce() == []
    assert not ReminderAnnouncement.objects.exists()

    # when that drill is over 90 days old in turn, then it is announced again
    clock.shift(97 * DAY)
    assert [d.kind for d in announce()] == [Kind.DRILL_OVERDUE]
    assert len(told()) == 2
    assert len(heard) == 2


def test_the_signal_carries_exactly_the_documented_arguments_after_commit(
    clock, people, org, assessor, announce, heard, django_capture_on_commit_callbacks
):
    agent = agent_of(assessor, name="Refund bot", created_at=T0 - 120 * DAY)

    with django_capture_on_commit_callbacks() as callbacks:
        services.reminders_announce(organization=org)
    assert heard == []  # nothing before commit

    for callback in callbacks:
        callback()
    (call,) = heard
    assert set(call) == {"sender", "signal", "organization", "kind", "key", "text", "url", "data"}
    assert call["sender"] is None
    assert call["organization"] == org
    assert call["kind"] == "drill_overdue"
    assert call["key"] == f"agent:{agent.pk}"
    assert call["text"] == "Refund bot has never had a kill-switch drill: run one (every 90 days)."
    assert call["url"] == f"http://localhost:8000/agents/{agent.pk}/"
    assert call["data"] == {"agent_id": agent.pk, "last_drill_at": None}


def test_each_announcement_writes_one_audit_entry(clock, people, org, assessor, announce):
    agent_of(assessor, created_at=T0 - 120 * DAY)

    announce()
    announce()

    (entry,) = AuditEntry.objects.filter(action=Action.REMINDER_ANNOUNCED)
    assert entry.organization == org
    assert entry.actor is None
    assert entry.before is None
    assert entry.after["kind"] == "drill_overdue"
    assert len(entry.after["fingerprint"]) == 64


def test_a_reassessment_is_announced_14_days_before_90_and_again_when_it_turns_stale(
    clock, people, org, assessor, announce, heard
):
    AssessmentFactory(
        organization=org,
        created_by=assessor.user,
        submitted=True,
        created_at=T0 - 76 * DAY,
        submitted_at=T0 - 75 * DAY - timedelta(minutes=5),
        title="Spring review",
    )
    assert announce() == []  # 75 days old: not yet

    clock.shift(DAY)  # 76 days: 14 days before it turns 90
    (due,) = announce()
    assert due.data["state"] == "due_soon"
    assert told() == [("ada", Kind.REASSESSMENT_DUE), ("sam", Kind.REASSESSMENT_DUE)]

    for _ in range(13):  # daily runs until 90 days: nothing new
        clock.shift(DAY)
        assert announce() == []

    clock.shift(DAY)  # over 90 days old (by 5 minutes)
    (due,) = announce()
    assert due.data["state"] == "stale"
    assert len(told()) == 4
    assert [c["data"]["state"] for c in heard] == ["due_soon", "stale"]
    entry = AuditEntry.objects.filter(action=Action.REMINDER_ANNOUNCED).order_by("id").last()
    assert entry.before["fingerprint"] != entry.after["fingerprint"]


def test_a_not_ready_assessment_is_due_at_once(clock, people, org, assessor, announce):
    AssessmentFactory(
        organization=org,
        created_by=assessor.user,
        submitted=True,
        created_at=T0 - 2 * DAY,
        submitted_at=T0 - DAY,
        scores=dict.fromkeys(["ownership", "decision_boundaries", "least_privilege"], 1),
    )

    (due,) = announce()

    assert due.data["state"] == "not_ready"


def test_tool_permissions_to_review_tell_approvers_and_admins(clock, people, assessor, announce):
    agent = agent_of(assessor, name="Refund bot")
    ToolPermissionFactory(agent=agent, tool="crm", created_at=T0 - 100 * DAY)
    ToolPermissionFactory(agent=agent, tool="mail", created_at=T0 - 10 * DAY)

    (due,) = announce()

    assert due.text.startswith("1 tool permission of Refund bot to review")
    assert told() == [("ada", Kind.PERMISSIONS_TO_REVIEW), ("april", Kind.PERMISSIONS_TO_REVIEW)]
    assert Notification.objects.first().url == "/agents/permissions/"
    clock.shift(DAY)
    assert announce() == []


def test_a_budget_past_its_alert_fraction_then_past_the_whole_is_announced_twice(
    clock, people, assessor, operator, announce
):
    agent = agent_of(assessor, name="Refund bot", monthly_budget=1000)

    def cost(start, end, amount):
        MetricSnapshotFactory(
            agent=agent, period_start=start, period_end=end, cost=amount, created_by=operator.user
        )

    # 20 May to 8 June, 20 days at 40 a day: 320 of it in June; then 500 in June
    cost(date(2026, 5, 20), date(2026, 6, 8), 800.0)
    cost(date(2026, 6, 9), date(2026, 6, 12), 500.0)
    (due,) = announce()
    assert due.data == {
        "agent_id": agent.pk,
        "month": "2026-06",
        "cost": 820.0,
        "budget": 1000.0,
        "fraction": 0.8,
        "level": "alert",
    }
    assert told() == [("ada", Kind.BUDGET_ALERT), ("otto", Kind.BUDGET_ALERT)]

    cost(date(2026, 6, 13), date(2026, 6, 13), 50.0)  # 870: still the same alert
    assert announce() == []

    cost(date(2026, 6, 14), date(2026, 6, 14), 200.0)  # 1070: past the whole budget
    (due,) = announce()
    assert due.data["level"] == "over"
    assert len(told()) == 4


def test_the_budget_fraction_is_a_setting(clock, people, assessor, operator, announce, settings):
    settings.NOTIFICATIONS_BUDGET_ALERT_FRACTION = 0.5
    agent = agent_of(assessor, monthly_budget=100)
    MetricSnapshotFactory(
        agent=agent,
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 10),
        cost=60.0,
        created_by=operator.user,
    )

    (due,) = announce()

    assert due.data["fraction"] == 0.5


@pytest.mark.parametrize(("percent", "expected"), [(50, [0.5]), (None, [])])
def test_an_agent_s_own_budget_alert_is_used_and_none_when_switched_off(
    clock, people, assessor, operator, announce, percent, expected
):
    agent = agent_of(assessor, monthly_budget=100)
    AgentThresholdsFactory(agent=agent, budget_alert_percent=percent)
    MetricSnapshotFactory(
        agent=agent,
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 10),
        cost=60.0,
        created_by=operator.user,
    )

    assert [due.data["fraction"] for due in announce()] == expected


# --- scope, queries and the scheduled task ----------------------------------------------------


def test_an_organization_hears_only_of_its_own_items(
    clock, people, org, other_org, assessor, other_assessor, announce
):
    agent_of(other_assessor, created_at=T0 - 120 * DAY)

    assert announce() == []
    assert not Notification.objects.exists()


def test_the_facts_take_a_fixed_number_of_queries(
    clock, org, assessor, operator, django_assert_max_num_queries
):
    def facts_queries() -> int:
        with django_assert_max_num_queries(20) as captured:
            reminder_facts(organization=org, now=T0)
        return len(captured.captured_queries)

    agent_of(assessor)
    few = facts_queries()
    for _ in range(8):
        agent = agent_of(assessor, monthly_budget=100)
        ToolPermissionFactory(agent=agent, created_at=T0 - 100 * DAY)
        MetricSnapshotFactory(
            agent=agent,
            period_start=date(2026, 6, 1),
            period_end=date(2026, 6, 2),
            created_by=operator.user,
        )
        SuspensionFactory(agent=agent, drill=True, ended=True, started_by=operator.user)

    assert facts_queries() == few


def test_the_scheduled_task_announces_every_organization_and_survives_one_that_fails(
    clock, people, org, other_org, assessor, other_assessor, monkeypatch, caplog
):
    agent_of(assessor, created_at=T0 - 120 * DAY)
    agent_of(other_assessor, created_at=T0 - 120 * DAY)
    real = services.reminders_announce

    def failing_for_org(*, organization, now=None):
        if organization == org:
            raise RuntimeError("boom")
        return real(organization=organization, now=now)

    monkeypatch.setattr(services, "reminders_announce", failing_for_org)

    announce_reminders.apply()

    assert "Reminders of organization" in caplog.text
    assert list(ReminderAnnouncement.objects.values_list("organization", flat=True)) == [
        other_org.pk
    ]
