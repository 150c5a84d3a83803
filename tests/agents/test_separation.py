"""Separation of duties across an owner change: for 90 days a member who owned the agent, or
changed its owner, decides neither its gates nor its horizon advances, and does not resume
it (409 owner_cannot_decide naming the rule). Naming the owner at registration is no change."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from agents.models import OwnerChange
from core.errors import Conflict
from gates import services as gates_services
from killswitch import services as killswitch_services
from outcomes import services as outcome_services
from overview import services as overview_services
from tests.factories import AgentFactory, SuspensionFactory


@pytest.fixture
def former(org, make_member):
    """An approver who owns the agent first."""
    return make_member(org, "approver", "assessor", username="fern")


@pytest.fixture
def handed_over(assessor, former, make_member, org):
    """An agent registered by the assessor for `former`, then handed to `newton` by `former`."""
    make_member(org, "assessor", username="newton")
    agent = AgentFactory.register(assessor, owner=former, name="Handover")
    return overview_services.agent_update(agent=agent, membership=former, data={"owner": "newton"})


def codes(reasons):
    return [r.code for r in reasons]


def test_registering_names_the_owner_and_is_no_change(assessor, former):
    overview_services.agent_create(membership=assessor, data={"name": "New", "owner": "fern"})

    assert not OwnerChange.objects.exists()


def test_an_owner_change_is_recorded_with_who_made_it(handed_over, former):
    change = OwnerChange.objects.get(agent=handed_over)

    assert (change.previous_owner, change.new_owner.username) == (former.user, "newton")
    assert change.changed_by == former.user


def test_the_previous_owner_cannot_decide_for_90_days(handed_over, former, approver):
    # given the former owner (who also made the change), an approver
    reasons = gates_services.gate_go_reasons(agent=handed_over, phase=1, membership=former)

    # then a go names the rule, and so does a no-go, while another approver may decide
    barred = next(r for r in reasons if r.code == "owner_cannot_decide")
    assert "You owned this agent until" in barred.message
    with pytest.raises(Conflict) as refused:
        gates_services.gate_decide(
            agent=handed_over, phase=1, membership=former, decision="no_go", rationale="x"
        )
    assert codes(refused.value.reasons) == ["owner_cannot_decide"]
    assert "owner_cannot_decide" not in codes(
        gates_services.gate_go_reasons(agent=handed_over, phase=1, membership=approver)
    )


def test_who_changed_the_owner_is_barred_too(assessor, org, make_member, approver):
    changer = make_member(org, "approver", "assessor", username="chan")
    make_member(org, "assessor", username="olga")
    agent = AgentFactory.register(assessor, name="Moved")  # owned by "sam"

    agent = overview_services.agent_update(agent=agent, membership=changer, data={"owner": "olga"})

    reasons = gates_services.gate_go_reasons(agent=agent, phase=1, membership=changer)
    assert "You changed this agent's owner" in next(
        r.message for r in reasons if r.code == "owner_cannot_decide"
    )


def test_the_previous_owner_may_decide_again_after_90_days(handed_over, former):
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        reasons = gates_services.gate_go_reasons(agent=handed_over, phase=1, membership=former)

    assert "owner_cannot_decide" not in codes(reasons)


def test_the_previous_owner_cannot_advance_the_horizon(handed_over, former):
    reasons = outcome_services.horizon_advance_reasons(agent=handed_over, membership=former)

    assert "owner_cannot_decide" in codes(reasons)


def test_the_previous_owner_cannot_resume_the_agent(handed_over, former, operator, approver):
    SuspensionFactory(agent=handed_over, started_by=operator.user, reason="Stop")

    with pytest.raises(Conflict) as refused:
        killswitch_services.agent_resume(agent=handed_over, membership=former, reason="Fine")

    assert codes(refused.value.reasons) == ["owner_cannot_decide"]
    assert "You owned this agent until" in refused.value.reasons[0].message
    resumed = killswitch_services.agent_resume(
        agent=handed_over, membership=approver, reason="Checked"
    )
    assert resumed.state == "active"


def test_an_approver_who_owns_the_agent_cannot_end_someone_elses_drill(
    assessor, former, operator, approver
):
    agent = AgentFactory.register(assessor, owner=former, name="Drilled")
    drill = SuspensionFactory(agent=agent, drill=True, started_by=operator.user)

    with pytest.raises(Conflict) as refused:
        killswitch_services.drill_end(agent=agent, drill=drill, membership=former)

    assert codes(refused.value.reasons) == ["owner_cannot_decide"]
    ended = killswitch_services.drill_end(agent=agent, drill=drill, membership=approver)
    assert ended.ended_at is not None
