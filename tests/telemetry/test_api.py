"""GET /api/v1/agents/{id}/telemetry: the hourly figures and the tools, for any member."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agents.models import ToolPermission
from tests.factories_telemetry import TelemetryHourFactory, TelemetryToolHourFactory

pytestmark = pytest.mark.django_db


def this_hour(hours_ago=0):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    return now - timedelta(hours=hours_ago)


def test_the_figures_of_the_last_7_days_by_default(agent, viewer, api_for):
    TelemetryHourFactory(agent=agent, hour=this_hour(1), max_conversation_tokens=900)
    TelemetryHourFactory(
        agent=agent, hour=this_hour(0), model_calls=3, max_run_tool_calls=7, tool_calls=1
    )
    TelemetryHourFactory(agent=agent, hour=this_hour(24 * 8), max_conversation_tokens=5000)
    TelemetryToolHourFactory(agent=agent, hour=this_hour(0), tool="crm", calls=4, failed=1)
    TelemetryToolHourFactory(agent=agent, hour=this_hour(1), tool="crm", calls=2, failed=0)
    TelemetryToolHourFactory(agent=agent, hour=this_hour(0), tool="wire", calls=1, failed=0)
    ToolPermission.objects.filter(agent=agent, tool="crm").update(last_used=timezone.now().date())

    response = api_for(viewer).get(f"/api/v1/agents/{agent.pk}/telemetry")

    assert response.status_code == 200
    body = response.json()
    assert [h["model_calls"] for h in body["hours"]] == [10, 3]
    assert set(body["hours"][0]) == {
        "hour",
        "model_calls",
        "runs",
        "tool_calls",
        "failed_tool_calls",
        "input_tokens",
        "output_tokens",
    }
    assert body["tools"] == [
        {
            "tool": "crm",
            "calls": 6,
            "failed": 1,
            "permitted": True,
            "last_used": timezone.now().date().isoformat(),
        },
        {
            "tool": "wire",
            "calls": 1,
            "failed": 0,
            "permitted": False,
            "last_used": this_hour(0).date().isoformat(),
        },
        {"tool": "Search", "calls": 0, "failed": 0, "permitted": True, "last_used": None},
    ]
    assert body["max_tokens_per_conversation"] == 900
    assert body["max_tool_calls_per_run"] == 7
    assert body["last_seen"] is not None


def test_since_and_until_choose_the_hours(agent, viewer, api_for):
    TelemetryHourFactory(agent=agent, hour=this_hour(30), model_calls=1)
    TelemetryHourFactory(agent=agent, hour=this_hour(20), model_calls=2)
    TelemetryHourFactory(agent=agent, hour=this_hour(10), model_calls=3)
    since = (this_hour(25)).strftime("%Y-%m-%dT%H:%M:%S")  # naive: UTC
    until = this_hour(10).isoformat().replace("+00:00", "Z")

    response = api_for(viewer).get(
        f"/api/v1/agents/{agent.pk}/telemetry?since={since}&until={until}"
    )

    assert response.status_code == 200
    assert [h["model_calls"] for h in response.json()["hours"]] == [2]


def test_an_agent_without_telemetry_answers_empty_figures(agent, viewer, api_for):
    body = api_for(viewer).get(f"/api/v1/agents/{agent.pk}/telemetry").json()
    assert body["hours"] == []
    assert body["last_seen"] is None
    assert body["max_tokens_per_conversation"] == 0
    assert {t["tool"] for t in body["tools"]} == {"crm", "Search"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00", "until"),
        ("since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", "since"),
        ("since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since"),
    ],
)
def test_bad_dates_are_400_naming_the_field(agent, viewer, api_for, query, field):
    response = api_for(viewer).get(f"/api/v1/agents/{agent.pk}/telemetry?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_runtime_token_may_not_read_the_figures(agent, runtime_token):
    response = Client().get(
        f"/api/v1/agents/{agent.pk}/telemetry",
        headers={"Authorization": f"Bearer {runtime_token}"},
    )
    assert response.status_code == 403


def test_the_figures_take_a_fixed_number_of_queries(
    agent, viewer, api_for, django_assert_max_num_queries
):
    for i in range(150):
        TelemetryHourFactory(agent=agent, hour=this_hour(i))
        TelemetryToolHourFactory(agent=agent, hour=this_hour(i), tool=f"tool{i % 30}")
    client = api_for(viewer)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/v1/agents/{agent.pk}/telemetry")
    assert len(response.json()["hours"]) == 150
    assert len(response.json()["tools"]) == 32
