"""The report's page says when no worker has answered for a while (core's heartbeat), instead
of "waiting" for ever: on the page and in the progress partial that htmx polls."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core import services as core_services
from reports import rules
from reports.models import Report

pytestmark = pytest.mark.django_db

QUEUED_WARNING = (
    "No background worker has run anything for {} minutes: the report will start once one is "
    "running (make run starts one)."
)


def make_report(membership, *, status="queued", ago=timedelta(0), **fields) -> Report:
    when = timezone.now() - ago
    defaults = {
        "organization": membership.organization,
        "title": "Q2 board pack",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 3, 31),
        "requested_by": membership.user,
        "requested_at": when,
        "queued_at": when,
        "snapshot": {"title": "t"},
        "status": status,
        "stage": "Waiting for a worker",
    }
    if status == "done":
        defaults.update(sha256="ab" * 32, progress=100, stage="Done", size=10, pages=1)
    defaults.update(fields)
    return Report.objects.create(**defaults)


def beat(ago: timedelta) -> None:
    core_services.heartbeat_record(worker="celery@box", now=timezone.now() - ago)


@pytest.fixture
def viewer_client(viewer, client_for):
    return client_for(viewer)


def pages(client, report) -> list[str]:
    """The report's page and its progress partial."""
    return [
        client.get(f"/reports/{report.pk}/").content.decode(),
        client.get(f"/reports/{report.pk}/progress/").content.decode(),
    ]


def test_a_queued_report_says_when_no_worker_has_run_anything_for_a_while(viewer, viewer_client):
    # given a queued report and a worker whose last heartbeat was 20 minutes ago
    report = make_report(viewer)
    beat(timedelta(minutes=20, seconds=5))

    # when its page is shown or polled, then it warns, and it still polls for progress
    for html in pages(viewer_client, report):
        assert "report-worker-warning" in html
        assert QUEUED_WARNING.format(20) in html
        assert 'hx-trigger="every 1s"' in html


def test_no_warning_while_a_worker_beats(viewer, viewer_client):
    # given a queued report and a heartbeat a minute ago
    report = make_report(viewer, ago=timedelta(minutes=30))
    beat(timedelta(minutes=1))

    for html in pages(viewer_client, report):
        assert "report-worker-warning" not in html


def test_with_no_heartbeat_ever_the_warning_waits_a_few_minutes_after_the_request(
    viewer, viewer_client
):
    # given no worker ever ran anything: a report queued just now has no warning yet
    fresh = make_report(viewer)
    assert all("report-worker-warning" not in html for html in pages(viewer_client, fresh))

    # but one queued six minutes ago has
    old = make_report(viewer, ago=timedelta(minutes=6, seconds=5))
    for html in pages(viewer_client, old):
        assert QUEUED_WARNING.format(6) in html


def test_a_running_report_says_its_worker_may_have_stopped(viewer, viewer_client):
    report = make_report(viewer, status="running", progress=40, started_at=timezone.now())
    beat(timedelta(minutes=8))

    for html in pages(viewer_client, report):
        assert "No background worker has run anything for 8 minutes" in html
        assert "the worker rendering this report may have stopped" in html


@pytest.mark.parametrize("status", ["done", "failed"])
def test_a_finished_report_has_no_worker_warning(viewer, viewer_client, status):
    report = make_report(viewer, status=status, error="boom" if status == "failed" else "")
    beat(timedelta(hours=3))

    for html in pages(viewer_client, report):
        assert "report-worker-warning" not in html


def test_the_warning_rule_says_nothing_without_a_silence_or_for_a_finished_report():
    minute = timedelta(minutes=1)

    assert rules.worker_silence_warning(status="queued", silence=None) is None
    assert rules.worker_silence_warning(status="done", silence=minute * 9) is None
    assert rules.worker_silence_warning(status="failed", silence=minute * 9) is None
    # whole minutes, rounded down
    assert rules.worker_silence_warning(
        status="queued", silence=minute * 5 + timedelta(seconds=59)
    ) == QUEUED_WARNING.format(5)
