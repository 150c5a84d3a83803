"""The agent page's telemetry panel and "last seen" on the gate board."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories_telemetry import TelemetryHourFactory, TelemetryToolHourFactory
from tests.helpers import make_agent

pytestmark = pytest.mark.django_db


def this_hour(hours_ago=0):
    return timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours_ago)


def test_the_agent_page_shows_calls_tools_and_the_exporter_settings(agent, viewer, client_for):
    TelemetryHourFactory(agent=agent, hour=this_hour(2), model_calls=12, tool_calls=5)
    TelemetryHourFactory(agent=agent, hour=this_hour(0), model_calls=3, tool_calls=1)
    TelemetryToolHourFactory(agent=agent, hour=this_hour(0), tool="crm", calls=6, failed=2)
    TelemetryToolHourFactory(agent=agent, hour=this_hour(0), tool="wire_transfer", calls=1)

    response = client_for(viewer).get(f"/agents/{agent.pk}/", HTTP_HOST="readiness.example")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="telemetry"' in html
    assert html.count("<rect ") == 4  # two hours, model and tool bars
    assert "Tools used without a permission:</strong> wire_transfer" in html
    assert "permitted, not used" in html  # Search
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://readiness.example/api/v1/otlp" in html
    assert "OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20&lt;runtime token&gt;" in html
    assert "Last seen" in html


def test_an_agent_without_traces_says_so(agent, viewer, client_for):
    html = client_for(viewer).get(f"/agents/{agent.pk}/").content.decode()
    assert "No trace received yet." in html
    assert "<svg" not in html.split('id="telemetry"')[1].split("</section>")[0]


def test_a_new_runtime_token_fills_the_snippet(agent, admin, client_for):
    response = client_for(admin).post(
        f"/agents/{agent.pk}/tokens/", {"token-name": "Production runtime"}
    )
    html = response.content.decode()
    assert response.status_code == 200, html[:500]
    assert "OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20rdy_agent_" in html


def test_the_gate_board_shows_last_seen_in_a_constant_number_of_queries(
    assessor, viewer, client_for, django_assert_max_num_queries
):
    client = client_for(viewer)
    agents = [make_agent(assessor, name=f"Agent {i}") for i in range(3)]
    TelemetryHourFactory(agent=agents[0], hour=this_hour(1), last_seen=this_hour(1))
    client.get("/agents/board/")
    with django_assert_max_num_queries(40) as few:
        client.get("/agents/board/")
    for i in range(3, 40):
        agent = make_agent(assessor, name=f"Agent {i}")
        TelemetryHourFactory(agent=agent, hour=this_hour(3))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/agents/board/")
    html = response.content.decode()
    assert html.count("last seen ") == 38
    assert f"last seen {this_hour(1):%-d %b %H:%M} UTC" in html
