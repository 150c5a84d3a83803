"""The snapshot's body is checked at the edge by its one definition (outcomes.inputs
.SnapshotInput, docs/adr/0009-validate-once.md): django-ninja refuses a bad shape with the
contract's 400 before the service runs; the service keeps the rules that need today or the
stored periods."""

import pytest
import time_machine

from outcomes import services as outcome_services
from outcomes.inputs import SnapshotInput
from outcomes.models import MetricSnapshot
from tests.api.test_metrics_api import HEALTHY
from tests.api.test_metrics_api import agent as _agent_fixture  # noqa: F401  (fixture "agent")

pytestmark = pytest.mark.django_db


def url(agent):
    return f"/api/v1/agents/{agent.pk}/metrics"


def test_a_bad_shape_is_refused_before_the_service_runs(api_for, assessor, agent, monkeypatch):
    monkeypatch.setattr(
        outcome_services, "metric_snapshot_post", lambda **kw: pytest.fail("service reached")
    )

    response = api_for(assessor).post(url(agent), {**HEALTHY, "tasks_completed": 1001})

    assert response.status_code == 400
    assert response.json() == {"errors": {"tasks_completed": ["Cannot exceed tasks (1000)."]}}


def test_the_service_is_given_the_checked_definition(api_for, assessor, agent, monkeypatch):
    given = []
    real = outcome_services.metric_snapshot_post
    monkeypatch.setattr(
        outcome_services,
        "metric_snapshot_post",
        lambda **kw: given.append(kw["data"]) or real(**kw),
    )

    response = api_for(assessor).post(url(agent), {**HEALTHY, "surprise": 1})

    assert response.status_code == 201
    assert isinstance(given[0], SnapshotInput)
    assert given[0].tasks == 1000


def test_the_period_has_ended_is_the_services_rule_told_after_the_shape(api_for, assessor, agent):
    with time_machine.travel("2026-05-04 12:00:00Z", tick=False):
        tomorrow = {**HEALTHY, "period_start": "2026-05-01", "period_end": "2026-05-05"}
        shape = api_for(assessor).post(url(agent), {**tomorrow, "cost": -1})
        late = api_for(assessor).post(url(agent), tomorrow)

    assert shape.json()["errors"] == {"cost": ["Must not be negative."]}
    assert late.json()["errors"] == {
        "period_end": ["The period ends after today (2026-05-04): post a period once it has ended."]
    }
    assert not MetricSnapshot.objects.exists()
