"""Metrics, thresholds and horizon advance through the API (docs/api.md, docs/rules.md §3–4)."""

import math
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from agents.models import Agent
from assessments import services as assessment_services
from audit.services import audit_verify
from gates import services as gates_services
from gates.checklists import PHASES
from killswitch.models import Suspension
from outcomes import services as outcome_services
from outcomes.models import MetricSnapshot
from overview import services as overview_services
from tests.conftest import scores_of
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db

HEALTHY = {
    "period_start": "2026-01-01",
    "period_end": "2026-01-31",
    "tasks": 1000,
    "tasks_completed": 950,
    "escalations": 50,
    "errors": 20,
    "cost": 1900.0,
    "avg_cycle_time_s": 120,
    "baseline_cost_per_case": 6.0,
    "baseline_cycle_time_s": 1200,
    "baseline_error_rate": 0.03,
}


@pytest.fixture
def agent(org, assessor, make_member):
    make_member(org, "assessor", username="olga")
    return overview_services.agent_create(
        membership=assessor, data={"name": "Refunds", "owner": "olga"}
    )


@pytest.fixture
def api(assessor, api_for):
    return api_for(assessor)


def url(agent, suffix="metrics"):
    return f"/api/v1/agents/{agent.pk}/{suffix}"


def test_a_snapshot_answers_201_with_fractions(api, agent):
    response = api.post(url(agent), HEALTHY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["suspended"] is False
    assert body["breaches"] == []
    figures = body["figures"]
    assert figures["task_completion_rate"] == 0.95
    assert figures["escalation_frequency"] == 0.05
    assert figures["error_rate"] == 0.02
    assert figures["cost_per_resolved_case"] == 2.0
    assert figures["cycle_time_reduction"] == 0.9
    assert math.isclose(figures["error_rate_vs_baseline"], -0.01)
    assert math.isclose(figures["cost_reduction"], 2 / 3)


def test_zero_denominators_are_null_never_a_crash(api, agent):
    body = api.post(
        url(agent),
        {**HEALTHY, "tasks": 0, "tasks_completed": 0, "escalations": 0, "errors": 0,
         "baseline_cycle_time_s": 0, "baseline_cost_per_case": 0},
    ).json()  # fmt: skip
    assert set(body["figures"].values()) == {None}
    assert body["suspended"] is False


def test_a_breach_suspends_the_agent_and_says_why(api, agent):
    body = api.post(url(agent), {**HEALTHY, "errors": 150, "quality_score": 0.5}).json()
    assert body["suspended"] is True
    assert {b["threshold"] for b in body["breaches"]} == {"error_rate", "quality_score"}
    error = next(b for b in body["breaches"] if b["threshold"] == "error_rate")
    assert (error["value"], error["limit"]) == (0.15, 0.10)
    agent.refresh_from_db()
    assert agent.state == "suspended"
    assert Suspension.objects.get(agent=agent).kind == "automatic"
    assert audit_verify() == []


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"tasks": -1}, {"tasks"}),
        ({"tasks_completed": 1001}, {"tasks_completed"}),
        ({"escalations": 1001, "errors": 1001}, {"escalations", "errors"}),
        ({"period_end": "2025-12-31"}, {"period_end"}),
        ({"cost": "12"}, {"cost"}),
        ({"cost": -1}, {"cost"}),
        ({"avg_cycle_time_s": True}, {"avg_cycle_time_s"}),
        ({"baseline_cost_per_case": 10**13}, {"baseline_cost_per_case"}),
        ({"tasks": 3.0}, {"tasks"}),
        ({"quality_score": 1.5}, {"quality_score"}),
        ({"period_start": "yesterday"}, {"period_start"}),
    ],
)
def test_bad_snapshots_are_400_naming_each_field_and_nothing_is_saved(api, agent, changes, fields):
    response = api.post(url(agent), {**HEALTHY, **changes})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert MetricSnapshot.objects.count() == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_400(api, agent, literal):
    import json

    raw = json.dumps(HEALTHY).replace('"cost": 1900.0', f'"cost": {literal}')
    assert literal in raw
    response = api.post(url(agent), raw=raw)
    assert response.status_code == 400
    assert "cost" in response.json()["errors"]


def test_missing_fields_are_all_named(api, agent):
    response = api.post(url(agent), {"tasks": 5})
    assert response.status_code == 400
    assert len(response.json()["errors"]) == 10


def test_viewer_and_approver_may_not_post(agent, api_for, viewer, approver, operator, admin):
    for member in (viewer, approver):
        assert api_for(member).post(url(agent), HEALTHY).status_code == 403
    for member, month in ((operator, "2026-01"), (admin, "2026-02")):
        period = {"period_start": f"{month}-01", "period_end": f"{month}-28"}
        assert api_for(member).post(url(agent), {**HEALTHY, **period}).status_code == 201


def test_a_period_ending_today_is_201_and_tomorrow_is_400_naming_period_end(api, agent):
    with time_machine.travel("2026-05-04 12:00:00Z", tick=False):
        today = {"period_start": "2026-05-01", "period_end": "2026-05-04"}
        assert api.post(url(agent), {**HEALTHY, **today}).status_code == 201

        tomorrow = {"period_start": "2026-05-05", "period_end": "2026-05-05"}
        response = api.post(url(agent), {**HEALTHY, **tomorrow})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "period_end": ["The period ends after today (2026-05-04): post a period once it has ended."]
    }
    assert MetricSnapshot.objects.count() == 1


@pytest.mark.parametrize(("start", "status"), [("1999-12-31", 400), ("2000-01-01", 201)])
def test_a_period_starting_before_2000_is_400_naming_period_start(api, agent, start, status):
    response = api.post(url(agent), {**HEALTHY, "period_start": start})

    assert response.status_code == status
    if status == 400:
        assert list(response.json()["errors"]) == ["period_start"]
        assert MetricSnapshot.objects.count() == 0


def test_an_overlapping_period_is_400_naming_the_period_it_overlaps(api, agent):
    assert api.post(url(agent), HEALTHY).status_code == 201  # January

    touching = api.post(
        url(agent), {**HEALTHY, "period_start": "2026-01-31", "period_end": "2026-02-27"}
    )
    adjacent = api.post(
        url(agent), {**HEALTHY, "period_start": "2026-02-01", "period_end": "2026-02-28"}
    )

    assert touching.status_code == 400
    assert touching.json()["errors"] == {
        "period_start": [
            "The period overlaps the existing snapshot (2026-01-01 to 2026-01-31): choose dates "
            "outside it (both days count, so start the day after it ends)."
        ]
    }
    assert adjacent.status_code == 201
    assert MetricSnapshot.objects.count() == 2


def test_list_is_latest_period_first(api, agent):
    api.post(url(agent), HEALTHY)
    api.post(url(agent), {**HEALTHY, "period_start": "2025-12-01", "period_end": "2025-12-31"})
    body = api.get(url(agent)).json()
    assert body["count"] == 2
    assert [s["period_end"] for s in body["items"]] == ["2026-01-31", "2025-12-31"]


def test_thresholds_get_defaults_and_admin_patch(agent, api_for, admin, api):
    assert api.get(url(agent, "thresholds")).json()["alert_error_rate_max"] == 0.10
    assert api.patch(url(agent, "thresholds"), {"alert_error_rate_max": 0.2}).status_code == 403
    as_admin = api_for(admin)
    response = as_admin.patch(url(agent, "thresholds"), {"alert_error_rate_max": 0.2})
    assert response.status_code == 200
    assert response.json()["alert_error_rate_max"] == 0.2
    bad = as_admin.patch(
        url(agent, "thresholds"), {"advance_completion_min": 1.5, "alert_quality_min": -0.1}
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"advance_completion_min", "alert_quality_min"}


def in_production(agent, org, assessor, approver):
    """Walk the real gates: a ready assessment and every checklist met, decided by an
    approver who does not own the agent."""
    assessment = assessment_services.assessment_create(membership=assessor, title="Ready")
    assessment_services.assessment_set_scores(
        assessment=assessment, membership=assessor, scores=scores_of(4, 4, 4, 4)
    )
    assessment_services.assessment_submit(assessment=assessment, membership=assessor)
    for phase in PHASES:
        provide_evidence(agent, phase)
        gates_services.gate_decide(
            agent=agent, phase=phase, membership=approver, decision="go", rationale="Checked."
        )


def test_horizon_advance_needs_eight_weeks_and_healthy_figures(
    agent, org, assessor, approver, api_for
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        in_production(agent, org, assessor, approver)
        as_approver = api_for(approver)
        outcome_services.metric_snapshot_post(agent=agent, membership=assessor, data=HEALTHY)
        early = as_approver.post(url(agent, "horizon/advance"), {"rationale": "Going well."})
        assert early.status_code == 409
        codes = [r["code"] for r in early.json()["reasons"]]
        assert codes == ["stabilization_minimum"]
        assert early.json()["reasons"][0]["weeks_left"] == 8

        clock.move_to(start + timedelta(weeks=8))
        weak = {**HEALTHY, "period_start": "2026-02-01", "period_end": "2026-02-28",
                "tasks_completed": 850, "escalations": 90}  # fmt: skip
        outcome_services.metric_snapshot_post(agent=agent, membership=assessor, data=weak)
        short = as_approver.post(url(agent, "horizon/advance"), {"rationale": "Going well."})
        assert short.status_code == 409
        reasons = short.json()["reasons"]
        assert [(r["figure"], r["value"], r["threshold"]) for r in reasons] == [
            ("task_completion_rate", 0.85, 0.9)
        ]

        better = {**weak, "period_start": "2026-03-01", "period_end": "2026-03-31",
                  "tasks_completed": 950, "escalations": 50}  # fmt: skip
        outcome_services.metric_snapshot_post(agent=agent, membership=assessor, data=better)
        done = as_approver.post(url(agent, "horizon/advance"), {"rationale": "Going well."})
        assert done.status_code == 201, done.content
        assert done.json()["horizon"] == "scaling"
        assert Agent.objects.get(pk=agent.pk).horizon == "scaling"


def test_horizon_advance_refuses_roles_and_empty_rationale(agent, api, api_for, approver):
    assert api.post(url(agent, "horizon/advance"), {"rationale": "x"}).status_code == 403
    response = api_for(approver).post(url(agent, "horizon/advance"), {"rationale": "  "})
    assert response.status_code == 400
    assert "rationale" in response.json()["errors"]
    refused = api_for(approver).post(url(agent, "horizon/advance"), {"rationale": "Now"})
    assert refused.status_code == 409
    assert "not_in_production" in [r["code"] for r in refused.json()["reasons"]]
