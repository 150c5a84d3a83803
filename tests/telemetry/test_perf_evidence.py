"""The tools the runtime used, as the gates' evidence reads them (telemetry/evidence.py): one
row per agent and tool, without the model's ordering (issue 20: the ordering joined the
agents and kept a row per hour in the DISTINCT)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telemetry.evidence import evidence_source
from tests.factories_telemetry import HOUR, TelemetryToolHourFactory

pytestmark = pytest.mark.django_db


def test_tools_seen_are_read_once_per_tool_without_joining_the_agents(agent):
    for hours in range(3):
        TelemetryToolHourFactory(agent=agent, hour=HOUR - timedelta(hours=hours), tool="crm")
    TelemetryToolHourFactory(agent=agent, hour=HOUR, tool="refunds")
    with CaptureQueriesContext(connection) as queries:
        seen = evidence_source([agent], HOUR + timedelta(hours=1))[agent.pk]["tools_seen"]
    assert seen == frozenset({"crm", "refunds"})
    (tools,) = [q["sql"] for q in queries.captured_queries if "telemetrytoolhour" in q["sql"]]
    assert "ORDER BY" not in tools
    assert 'JOIN "agents_agent"' not in tools
