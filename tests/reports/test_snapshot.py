"""The snapshot is built at request and frozen; the content follows docs/rules.md §5."""

from datetime import date

import pytest
import time_machine

from agents.models import Agent
from core.errors import InvalidInput
from killswitch import services as killswitch_services
from overview import services as overview_services
from reports import services
from reports.models import Report
from reports.snapshot import default_period
from tests.helpers import worker_callbacks

pytestmark = pytest.mark.django_db


def request(membership, **kw):
    return services.report_request(membership=membership, **kw)


def test_snapshot_holds_verdict_trend_agents_and_anomalies(populated, viewer, media):
    report = request(viewer, title="Board pack")
    s = report.snapshot
    assert s["organization"]["name"] == "Acme Robotics"
    assert s["readiness"]["verdict"] == "ready"
    assert s["readiness"]["total"] == 15
    assert [t["total"] for t in s["trend"]] == [12, 15]
    assert {a["name"] for a in s["agents"]} == {"Refund triage", "<b>x</b>"}
    assert s["summary"] == {"agents": 2, "by_phase": {"1": 2}, "suspended": 1, "in_production": 0}
    assert [e["kind"] for e in s["anomalies"]] == ["suspension_manual"]
    assert any(r["area"] == "Refund triage" for r in s["recommendations"])
    assert s["changes"] is None
    assert s["requested_by"] == "vic"


def test_later_edits_never_change_a_requested_report(populated, viewer, assessor, media):
    report = request(viewer)
    agent = Agent.objects.get(name="<b>x</b>")
    overview_services.agent_update(agent=agent, membership=assessor, data={"name": "Renamed"})
    report.refresh_from_db()
    assert "Renamed" not in {a["name"] for a in report.snapshot["agents"]}


def test_changes_compare_with_the_previous_done_report(populated, viewer, operator, media):
    first = request(viewer)
    services.report_render(report_id=first.pk)
    agent = Agent.objects.get(name="<b>x</b>")
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="drift")
    second = request(viewer)
    assert second.previous_id == first.pk
    assert "<b>x</b>: active → suspended" in second.snapshot["changes"]["agents"]


def test_an_empty_organization_still_gets_a_sensible_snapshot(org, viewer, media):
    report = request(viewer)
    assert report.snapshot["readiness"] is None
    assert report.snapshot["agents"] == []
    assert report.snapshot["recommendations"][0]["area"] == "Readiness"
    done = services.report_render(report_id=report.pk)
    assert done.status == Report.Status.DONE


def test_default_period_is_the_90_days_ending_today():
    start, end = default_period(date(2026, 3, 31))
    assert (start, end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert (end - start).days + 1 == 90


@time_machine.travel("2026-06-15 12:00:00+00:00", tick=False)
@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-06-10", "2026-06-01", "period_start"),
        ("2026-06-01", "2026-06-16", "period_end"),
        ("yesterday", None, "period_start"),
        (None, "2026-02-30", "period_end"),
    ],
)
def test_bad_periods_are_refused_and_nothing_is_saved(org, viewer, start, end, field):
    with pytest.raises(InvalidInput) as error:
        request(viewer, period_start=start, period_end=end)
    assert field in error.value.errors
    assert Report.objects.count() == 0


@time_machine.travel("2026-06-15 12:00:00+00:00", tick=False)
def test_a_period_ending_today_is_accepted(org, viewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = request(viewer, period_start="2026-06-15", period_end="2026-06-15")
    assert report.status == "queued"
    # the worker is queued on commit, never in the request
    assert len(worker_callbacks(callbacks)) == 1


def test_request_is_audited(org, viewer):
    from audit.models import AuditEntry

    request(viewer, title="Pack")
    entry = AuditEntry.objects.get(action="report.requested")
    assert entry.after["title"] == "Pack"
    assert entry.actor_label == "vic"
