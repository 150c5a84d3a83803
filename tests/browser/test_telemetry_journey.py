"""Telemetry in headless Chromium: an agent's runtime sends traces with the OpenTelemetry SDK's
OTLP/HTTP exporter, one of them with a tool it holds no permission for; an operator opens the
agent page and sees it suspended, the calls per hour, the tool without a permission and the
exporter settings; the gate board shows when the runtime was last seen."""

import os

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from playwright.sync_api import expect

from killswitch import services as killswitch_services
from overview import services as overview_services
from tests.telemetry.otel import OTLP_PATH, Runtime

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser]

PASSWORD = "telemetry-journey-7730"
SHOTS = os.environ.get("READINESS_SCREENSHOTS", "/tmp")


@pytest.fixture
def people(transactional_db, org, make_member):
    members = {
        "sam": make_member(org, "assessor", username="sam"),
        "ada": make_member(org, "admin", username="ada"),
        "otto": make_member(org, "operator", username="otto"),
    }
    for membership in members.values():
        membership.user.set_password(PASSWORD)
        membership.user.save()
    return members


def test_traces_reach_the_agent_page_and_the_board(live_server, page, people):
    agent = overview_services.agent_create(
        membership=people["sam"],
        data={
            "name": "Invoice triage",
            "owner": "sam",
            "tool_permissions": [{"tool": "crm", "access": "read", "justification": "Lookups"}],
        },
    )
    _, token = killswitch_services.agent_token_create(agent=agent, membership=people["ada"])
    exporter = OTLPSpanExporter(
        endpoint=live_server.url + OTLP_PATH, headers={"Authorization": f"Bearer {token}"}
    )
    runtime = Runtime(exporter)
    for _ in range(3):
        runtime.run(model_calls=2, tools=[("crm", False), ("crm", False)])
    runtime.run(tools=[("wire_transfer", False)])
    runtime.provider.force_flush()

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "otto")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/agents/{agent.pk}/")

    expect(page.locator("#suspended-banner")).to_contain_text("wire_transfer")
    panel = page.locator("#telemetry")
    expect(panel).to_contain_text("Tools used without a permission: wire_transfer")
    expect(panel.locator("svg rect")).to_have_count(2)
    expect(page.locator("#otel-snippet")).to_contain_text(
        f"OTEL_EXPORTER_OTLP_ENDPOINT={live_server.url}/api/v1/otlp"
    )
    panel.screenshot(path=f"{SHOTS}/telemetry-panel.png")

    page.goto(f"{live_server.url}/agents/board/")
    expect(page.locator(f"tr[data-agent='{agent.pk}']")).to_contain_text("last seen")
