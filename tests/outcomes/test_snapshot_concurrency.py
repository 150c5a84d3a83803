"""Two posts of the same period at the same moment, in real threads with their own database
connections (docs/rules.md §3): the overlap is checked under the agent's lock, so one lands and
the other is refused naming period_start."""

import pytest

from audit.services import audit_verify
from core.errors import InvalidInput
from outcomes import services as outcome_services
from outcomes.models import MetricSnapshot
from overview import services as overview_services
from tests.test_concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)

MARCH = {
    "period_start": "2026-03-01",
    "period_end": "2026-03-31",
    "tasks": 100,
    "tasks_completed": 95,
    "escalations": 5,
    "errors": 2,
    "cost": 190.0,
    "avg_cycle_time_s": 60.0,
    "baseline_cost_per_case": 4.0,
    "baseline_cycle_time_s": 240.0,
    "baseline_error_rate": 0.05,
}


def test_two_posts_of_one_period_at_once_save_one(org, make_member):
    assessor = make_member(org, "assessor", username="sam")
    operators = [make_member(org, "operator", username=f"op{i}") for i in range(2)]
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Busy", "owner": "sam"}
    )

    results = at_once(
        *[
            lambda op=op: outcome_services.metric_snapshot_post(
                agent=agent, membership=op, data=MARCH
            )
            for op in operators
        ]
    )

    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(refused) == 1, results
    assert list(refused[0].errors) == ["period_start"]
    assert MetricSnapshot.objects.filter(agent=agent).count() == 1
    assert audit_verify() == []
