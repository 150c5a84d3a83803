"""seed_demo's agents show every stage out of the box, and a second run changes nothing."""

import pytest
from django.core.management import call_command

from agents.models import Agent
from audit.services import audit_verify
from gates import rules
from gates.selectors import agent_list, gate_states
from killswitch.models import Suspension
from outcomes.models import MetricSnapshot

pytestmark = pytest.mark.django_db


def test_seed_demo_has_agents_at_every_stage(capsys):
    call_command("seed_demo")
    agents = {a.name: a for a in agent_list(organization=Agent.objects.first().organization)}
    phases = {name: rules.agent_phase(gate_states(a)) for name, a in agents.items()}
    assert phases["Refund triage"] == "production"
    assert agents["Refund triage"].horizon == "stabilization"
    assert agents["Claims intake"].state == "suspended"
    assert Suspension.objects.get(agent=agents["Claims intake"]).kind == "automatic"
    assert "needs_review" in gate_states(agents["Sales email drafter"]).values()
    assert gate_states(agents["HR policy assistant"])[1] == "no_go"
    assert agents["Invoice matcher"].last_drill_at is None  # never drilled
    assert agents["Refund triage"].last_drill_at is not None
    assert MetricSnapshot.objects.filter(agent=agents["Refund triage"]).count() == 6
    assert audit_verify() == []

    counts = (Agent.objects.count(), MetricSnapshot.objects.count(), Suspension.objects.count())
    call_command("seed_demo")
    assert (
        Agent.objects.count(),
        MetricSnapshot.objects.count(),
        Suspension.objects.count(),
    ) == counts
    assert "nothing changed" in capsys.readouterr().out
