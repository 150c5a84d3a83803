"""The kill switch, drills and runtime tokens through killswitch/services.py (docs/rules.md §4).

Every service is role-checked (a refused call changes nothing), every write is audited, and the
audit chain still verifies after each test.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from agents.models import Agent
from audit.models import AuditEntry
from core.errors import Conflict, Forbidden, InvalidInput
from gates import selectors as gates_selectors
from killswitch import rules as killswitch_rules
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from tests.factories import AgentFactory, SuspensionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def agent(refund_bot):
    return refund_bot


@pytest.fixture
def approver_owner(org, make_member):
    return make_member(org, "approver", username="oscar")


@pytest.fixture
def owned_by_approver(assessor, approver_owner):
    return AgentFactory.register(assessor, owner=approver_owner, name="Quote bot")


def fresh(agent: Agent) -> Agent:
    return Agent.objects.get(pk=agent.pk)


def codes(error: Conflict) -> list[str]:
    return [r.code for r in error.reasons]


# --- kill switch: suspend and resume -----------------------------------------------------------


def test_an_operator_suspends_an_agent_at_once(agent, operator, audit_actions):
    suspension = killswitch_services.agent_suspend(
        agent=agent, membership=operator, reason=" Odd refunds "
    )

    assert fresh(agent).state == "suspended"
    assert (suspension.kind, suspension.reason, suspension.started_by) == (
        "manual",
        "Odd refunds",
        operator.user,
    )
    assert suspension.ended_at is None
    assert audit_actions()[-1] == "agent.suspended.manual"


def test_suspending_a_suspended_agent_is_a_conflict_and_changes_nothing(agent, operator, world):
    SuspensionFactory(agent=agent, started_by=operator.user, reason="First")
    before = world()

    with pytest.raises(Conflict) as error:
        killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Second")

    assert codes(error.value) == ["already_suspended"]
    assert world() == before


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_a_suspension_needs_a_reason(agent, operator, reason, world):
    before = world()

    with pytest.raises(InvalidInput) as error:
        killswitch_services.agent_suspend(agent=agent, membership=operator, reason=reason)

    assert list(error.value.errors) == ["reason"]
    assert world() == before


def test_an_approver_resumes_a_suspended_agent(agent, operator, approver, audit_actions):
    suspension = SuspensionFactory(agent=agent, started_by=operator.user, reason="Odd refunds")

    resumed = killswitch_services.agent_resume(
        agent=agent, membership=approver, reason="Checked: fine"
    )

    assert resumed.state == "active"
    suspension.refresh_from_db()
    assert suspension.ended_by == approver.user
    assert suspension.end_reason == "Checked: fine"
    assert suspension.ended_at is not None
    assert audit_actions()[-1] == "agent.resumed"


def test_resuming_an_active_agent_is_a_conflict(agent, approver, world):
    before = world()

    with pytest.raises(Conflict) as error:
        killswitch_services.agent_resume(agent=agent, membership=approver, reason="Why not")

    assert codes(error.value) == ["not_suspended"]
    assert world() == before


def test_the_agents_owner_cannot_resume_it(owned_by_approver, operator, approver_owner, world):
    SuspensionFactory(agent=owned_by_approver, started_by=operator.user, reason="Odd")
    before = world()

    with pytest.raises(Conflict) as error:
        killswitch_services.agent_resume(
            agent=owned_by_approver, membership=approver_owner, reason="Mine"
        )

    assert codes(error.value) == ["owner_cannot_decide"]
    assert world() == before
    assert fresh(owned_by_approver).state == "suspended"


def test_resuming_needs_a_reason(agent, operator, approver):
    SuspensionFactory(agent=agent, started_by=operator.user, reason="Odd")

    with pytest.raises(InvalidInput):
        killswitch_services.agent_resume(agent=agent, membership=approver, reason=" ")

    assert fresh(agent).state == "suspended"


def test_an_alert_threshold_suspends_the_agent_automatically(agent):
    details = {"threshold": "error_rate", "value": 0.2, "limit": 0.1}

    suspension = killswitch_services.agent_suspend_automatic(
        agent=agent, reason="Error rate above 0.10", details=details
    )

    assert suspension.kind == "automatic"
    assert suspension.started_by is None
    assert suspension.details == details
    assert fresh(agent).state == "suspended"
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "agent.suspended.automatic"
    assert entry.actor_label == "system"
    assert entry.after["details"] == details


@pytest.mark.parametrize("first", ["manual", "automatic"])
def test_an_automatic_suspension_of_a_suspended_agent_changes_nothing(
    agent, operator, first, world
):
    if first == "manual":
        SuspensionFactory(agent=agent, started_by=operator.user, reason="Odd")
    else:
        SuspensionFactory(agent=agent, automatic=True, reason="Errors", details={})
    before = world()

    assert (
        killswitch_services.agent_suspend_automatic(agent=agent, reason="Again", details={"x": 1})
        is None
    )
    assert world() == before


def test_an_automatic_suspension_during_a_drill_takes_over(agent, operator):
    # given a drill in progress
    drill = SuspensionFactory(agent=agent, drill=True, started_by=operator.user)

    # when a real threshold fires
    suspension = killswitch_services.agent_suspend_automatic(
        agent=agent, reason="Errors", details={"x": 1}
    )

    # then the drill ends, the agent stays suspended for the real reason,
    assert suspension.kind == "automatic"
    drill.refresh_from_db()
    assert drill.ended_at is not None
    assert fresh(agent).state == "suspended"
    # and ending the drill can no longer resume it
    with pytest.raises(Conflict):
        killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)
    assert fresh(agent).state == "suspended"


def test_a_suspension_can_follow_a_resume(agent, operator, approver):
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="One")
    killswitch_services.agent_resume(agent=agent, membership=approver, reason="Fine")

    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Two")

    assert Suspension.objects.filter(agent=agent).count() == 2
    assert fresh(agent).state == "suspended"


# --- kill switch: status reads and drills ------------------------------------------------------


def test_the_runtime_reads_active_while_nothing_is_open(agent):
    assert killswitch_services.agent_status_read(agent=agent) == {
        "state": "active",
        "reason": None,
        "since": None,
    }


def test_a_drill_really_suspends_the_agent(agent, operator, audit_actions):
    drill = killswitch_services.drill_start(agent=agent, membership=operator)

    assert drill.kind == "drill"
    assert drill.started_by == operator.user
    assert fresh(agent).state == "suspended"
    assert audit_actions()[-1] == "agent.suspended.drill"
    status = killswitch_services.agent_status_read(agent=agent)
    assert status["state"] == "suspended"
    assert status["reason"] == drill.reason


def test_a_drill_cannot_start_on_a_suspended_agent(agent, operator, world):
    SuspensionFactory(agent=agent, started_by=operator.user, reason="Odd")
    before = world()

    with pytest.raises(Conflict) as error:
        killswitch_services.drill_start(agent=agent, membership=operator)

    assert codes(error.value) == ["already_suspended"]
    assert world() == before


def test_time_to_stop_is_the_seconds_to_the_runtimes_first_read(agent, operator):
    with time_machine.travel(T0, tick=False) as clock:
        # given a drill started at T0
        drill = killswitch_services.drill_start(agent=agent, membership=operator)
        assert drill.started_at == T0

        # when the runtime first reads its status 7 s later, and again 5 s after that
        clock.shift(timedelta(seconds=7))
        status = killswitch_services.agent_status_read(agent=agent)
        clock.shift(timedelta(seconds=5))
        killswitch_services.agent_status_read(agent=agent)

        # then the first read is kept
        assert status == {"state": "suspended", "reason": "Kill-switch drill", "since": T0}
        drill.refresh_from_db()
        assert drill.runtime_seen_at == T0 + timedelta(seconds=7)

        # and ending the drill restores the agent and records the time to stop
        clock.shift(timedelta(minutes=1))
        ended = killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)

    assert fresh(agent).state == "active"
    assert ended.ended_at == T0 + timedelta(seconds=72)
    assert ended.ended_by == operator.user
    assert ended.time_to_stop_s == 7.0
    assert Suspension.objects.get(pk=drill.pk).time_to_stop_s == 7.0
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "agent.drill_ended"
    assert entry.after["time_to_stop_s"] == 7.0
    assert killswitch_services.agent_status_read(agent=agent)["state"] == "active"


def test_a_drill_the_runtime_never_read_has_no_time_to_stop(agent, operator):
    drill = SuspensionFactory(agent=agent, drill=True, started_by=operator.user)

    ended = killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)

    assert ended.time_to_stop_s is None
    assert AuditEntry.objects.order_by("id").last().after["time_to_stop_s"] is None


def test_another_operator_may_not_end_the_drill(agent, operator, org, make_member, world):
    drill = SuspensionFactory(agent=agent, drill=True, started_by=operator.user)
    other = make_member(org, "operator", username="olivia")
    before = world()

    with pytest.raises(Forbidden):
        killswitch_services.drill_end(agent=agent, drill=drill, membership=other)

    assert world() == before
    assert fresh(agent).state == "suspended"


@pytest.mark.parametrize("role", ["admin", "assessor", "viewer"])
def test_other_roles_may_not_end_the_drill(agent, operator, org, make_member, role, world):
    drill = SuspensionFactory(agent=agent, drill=True, started_by=operator.user)
    before = world()

    with pytest.raises(Forbidden):
        killswitch_services.drill_end(
            agent=agent, drill=drill, membership=make_member(org, role, username=f"x-{role}")
        )

    assert world() == before


def test_an_approver_may_end_the_drill_and_not_twice(agent, operator, approver, world):
    drill = SuspensionFactory(agent=agent, drill=True, started_by=operator.user)

    killswitch_services.drill_end(agent=agent, drill=drill, membership=approver)
    assert fresh(agent).state == "active"
    assert Suspension.objects.get(pk=drill.pk).ended_by == approver.user
    before = world()

    with pytest.raises(Conflict) as error:
        killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)

    assert codes(error.value) == ["drill_ended"]
    assert world() == before


def test_the_latest_drill_drives_the_drill_flag(agent, operator, org):
    with time_machine.travel(T0, tick=False) as clock:
        drill = killswitch_services.drill_start(agent=agent, membership=operator)
        killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)

        clock.move_to(T0 + timedelta(days=90))
        read = gates_selectors.agent_get(organization=org, pk=agent.pk)
        assert read.last_drill_at == T0
        assert killswitch_rules.drill_flag(read.last_drill_at, T0 + timedelta(days=90)) == "ok"
        assert killswitch_rules.drill_flag(
            read.last_drill_at, T0 + timedelta(days=90, seconds=1)
        ) == ("overdue")


# --- runtime tokens ----------------------------------------------------------------------------


def test_an_admin_creates_a_runtime_token_stored_as_a_hash(agent, admin):
    token, raw = killswitch_services.agent_token_create(
        agent=agent, membership=admin, name="Prod runtime"
    )

    assert raw.startswith("rdy_agent_")
    assert token.prefix == raw[:16]
    assert raw not in token.key_hash
    assert token.agent == agent
    assert token.created_by == admin.user
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "agent_token.created"
    assert raw not in str(entry.after)
