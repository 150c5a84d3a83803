"""The agent pages: register, the agent page, editing records, gates, the kill switch, drills,
runtime tokens, and tenancy (another organization's agent is a 404 on every URL)."""

import pytest
from django.urls import reverse

from killswitch import services as killswitch_services
from killswitch.models import AgentToken, Suspension
from tests.factories import SuspensionFactory

# --------------------------------------------------------------------------- kill switch


def test_operator_suspends_through_the_confirm_step(operator, agent, client_for):
    client = client_for(operator)

    confirm = client.get(f"/agents/{agent.pk}/suspend/")
    assert confirm.status_code == 200
    assert "Suspend now" in confirm.content.decode()
    agent.refresh_from_db()
    assert not agent.is_suspended  # a GET changes nothing

    missing = client.post(f"/agents/{agent.pk}/suspend/", {"reason": "  "})
    assert missing.status_code == 400
    assert "reason" in missing.context["form"].errors

    response = client.post(
        f"/agents/{agent.pk}/suspend/", {"reason": "Refunds look wrong"}, follow=True
    )

    agent.refresh_from_db()
    assert agent.is_suspended
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("agents:detail", args=[agent.pk])
    assert "SUSPENDED" in html
    assert "Refunds look wrong" in html
    assert "is suspended" in html


@pytest.mark.parametrize("role", ["viewer", "assessor", "approver"])
def test_only_operators_suspend(org, make_member, agent, client_for, role):
    client = client_for(make_member(org, role))

    assert client.get(f"/agents/{agent.pk}/suspend/").status_code == 403
    assert client.post(f"/agents/{agent.pk}/suspend/", {"reason": "x"}).status_code == 403
    agent.refresh_from_db()
    assert not agent.is_suspended
    assert not Suspension.objects.exists()


def test_suspending_an_agent_already_suspended_changes_nothing(operator, agent, client_for):
    SuspensionFactory(agent=agent, started_by=operator.user, reason="First")
    client = client_for(operator)

    response = client.post(f"/agents/{agent.pk}/suspend/", {"reason": "Second"}, follow=True)

    assert "already suspended: nothing changed" in response.content.decode()
    assert Suspension.objects.count() == 1
    assert Suspension.objects.get().reason == "First"
    # and the confirm page itself says so
    again = client.get(f"/agents/{agent.pk}/suspend/", follow=True)
    assert "already suspended" in again.content.decode()


def test_approver_resumes_with_a_reason(operator, approver, agent, client_for):
    SuspensionFactory(agent=agent, started_by=operator.user, reason="Odd refunds")
    client = client_for(approver)
    page = client.get(f"/agents/{agent.pk}/").content.decode()
    assert "Resume agent" in page

    missing = client.post(f"/agents/{agent.pk}/resume/", {"resume-reason": ""})
    assert missing.status_code == 400
    assert "reason" in missing.context["resume_form"].errors

    response = client.post(
        f"/agents/{agent.pk}/resume/", {"resume-reason": "Fixed the rule"}, follow=True
    )

    agent.refresh_from_db()
    assert not agent.is_suspended
    assert "is active again" in response.content.decode()
    assert Suspension.objects.get().end_reason == "Fixed the rule"


def test_operator_may_not_resume(operator, agent, client_for):
    SuspensionFactory(agent=agent, started_by=operator.user, reason="Odd")

    response = client_for(operator).post(f"/agents/{agent.pk}/resume/", {"resume-reason": "ok"})

    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.is_suspended


def test_operator_runs_a_drill(operator, agent, client_for):
    client = client_for(operator)

    started = client.post(f"/agents/{agent.pk}/drills/start/", {"confirm": "yes"}, follow=True)
    drill = Suspension.objects.get(kind="drill")
    agent.refresh_from_db()
    assert agent.is_suspended
    assert "Drill started" in started.content.decode()
    assert "kill-switch drill" in started.content.decode()

    # the runtime reads its status: that is the time to stop
    killswitch_services.agent_status_read(agent=agent)
    ended = client.post(f"/agents/{agent.pk}/drills/{drill.pk}/end/", follow=True)

    agent.refresh_from_db()
    drill.refresh_from_db()
    assert not agent.is_suspended
    assert drill.ended_at is not None
    html = ended.content.decode()
    assert "Drill ended" in html
    assert "Time to stop" in html
    assert "Never drilled" not in html


def test_another_operator_may_not_end_someone_elses_drill(
    operator, org, make_member, agent, client_for
):
    drill = SuspensionFactory(agent=agent, drill=True, started_by=operator.user)
    other = make_member(org, "operator", username="olga")

    response = client_for(other).post(f"/agents/{agent.pk}/drills/{drill.pk}/end/")

    assert response.status_code == 403
    drill.refresh_from_db()
    assert drill.ended_at is None


def test_viewer_may_not_start_a_drill(viewer, agent, client_for):
    assert client_for(viewer).post(f"/agents/{agent.pk}/drills/start/").status_code == 403
    assert not Suspension.objects.exists()


# --------------------------------------------------------------------------- runtime tokens


def test_admin_creates_a_runtime_token_shown_once(admin, agent, client_for):
    client = client_for(admin)

    response = client.post(f"/agents/{agent.pk}/tokens/", {"token-name": "prod runtime"})

    token = AgentToken.objects.get()
    raw = response.context["raw_token"]
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert raw in response.content.decode()
    assert raw.startswith(token.prefix)
    # the next visit lists the prefix, never the raw token
    again = client.get(f"/agents/{agent.pk}/").content.decode()
    assert raw not in again
    assert token.prefix in again


@pytest.mark.parametrize("role", ["viewer", "assessor", "approver", "operator"])
def test_only_admins_create_runtime_tokens(org, make_member, agent, client_for, role):
    client = client_for(make_member(org, role))

    assert client.post(f"/agents/{agent.pk}/tokens/", {"token-name": "x"}).status_code == 403
    assert not AgentToken.objects.exists()
