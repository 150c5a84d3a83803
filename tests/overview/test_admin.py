"""The agent pages: register, the agent page, editing records, gates, the kill switch, drills,
runtime tokens, and tenancy (another organization's agent is a 404 on every URL)."""

import pytest

from gates import services as gates_services
from killswitch import services as killswitch_services

# --------------------------------------------------------------------------- admin

AGENT_MODELS = [
    "agents/agent",
    "gates/gate",
    "gates/gatedecision",
    "gates/checklistitem",
    "gates/promptversion",
    "killswitch/suspension",
    "killswitch/agenttoken",
    "agents/decisionboundary",
    "agents/escalationpath",
    "agents/toolpermission",
    "outcomes/agentthresholds",
    "outcomes/metricsnapshot",
    "outcomes/horizondecision",
    "agents/riskassessment",
]


@pytest.fixture
def superuser_client(db):
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", AGENT_MODELS)
def test_every_agents_model_is_in_the_admin(superuser_client, agent, operator, model):
    killswitch_services.drill_start(agent=agent, membership=operator)

    response = superuser_client.get(f"/admin/{model}/")

    assert response.status_code == 200


def test_admin_never_changes_or_deletes_a_gate_decision(superuser_client, approver, agent):
    decision = gates_services.gate_decide(
        agent=agent, phase=1, membership=approver, decision="no_go", rationale="Not yet."
    )
    url = f"/admin/gates/gatedecision/{decision.pk}/change/"

    page = superuser_client.get(url)
    superuser_client.post(url, {"rationale": "Rewritten"})
    deleted = superuser_client.post(
        f"/admin/gates/gatedecision/{decision.pk}/delete/", {"post": "yes"}
    )

    assert page.status_code == 200  # viewable
    assert 'name="rationale"' not in page.content.decode()
    assert deleted.status_code == 403
    decision.refresh_from_db()
    assert decision.rationale == "Not yet."
    assert superuser_client.get(f"/admin/agents/agent/{agent.pk}/change/").status_code == 200
