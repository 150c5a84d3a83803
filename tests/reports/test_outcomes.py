"""Outcome metrics and threshold breaches reach the board report."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from agents.models import Agent
from outcomes import services as outcome_services
from reports import services

pytestmark = pytest.mark.django_db


def snapshot(end, days=30, **overrides):
    return {
        "period_start": (end - timedelta(days=days - 1)).isoformat(),
        "period_end": end.isoformat(),
        "tasks": 200,
        "tasks_completed": 190,
        "escalations": 10,
        "errors": 4,
        "cost": 380.0,
        "avg_cycle_time_s": 60,
        "baseline_cost_per_case": 5.0,
        "baseline_cycle_time_s": 600,
        "baseline_error_rate": 0.03,
        **overrides,
    }


def test_latest_outcomes_and_breaches_of_the_period_reach_the_report(
    populated, viewer, assessor, media
):
    today = timezone.now().date()
    agent = Agent.objects.get(name="<b>x</b>")
    outcome_services.metric_snapshot_post(
        agent=agent, membership=assessor, data=snapshot(today - timedelta(days=40))
    )
    outcome_services.metric_snapshot_post(
        agent=agent, membership=assessor, data=snapshot(today - timedelta(days=5), errors=40)
    )
    outcome_services.metric_snapshot_post(  # outside the default 90-day period
        agent=agent, membership=assessor, data=snapshot(today - timedelta(days=200), errors=0)
    )
    report = services.report_request(membership=viewer)
    outcomes = report.snapshot["outcomes"]
    assert [o["agent"] for o in outcomes] == ["<b>x</b>"]
    assert outcomes[0]["figures"]["error_rate"] == pytest.approx(0.20)  # the latest by end
    assert outcomes[0]["figures"]["task_completion_rate"] == pytest.approx(0.95)
    assert outcomes[0]["baseline"]["error_rate"] == pytest.approx(0.03)
    kinds = [e["kind"] for e in report.snapshot["anomalies"]]
    assert kinds.count("threshold_breach") == 1
    assert "suspension_automatic" in kinds

    done = services.report_render(report_id=report.pk)
    reader = PdfReader(io.BytesIO(done.file.open("rb").read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Alert threshold crossed" in text
    assert "95.0\xa0%" in text or "95.0 %" in text
