"""A report that no worker finishes never spins for ever: past REPORT_STALE_MINUTES the
scheduled check fails it with a message to retry it (reports.rules, reports_fail_stale)."""

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from audit.models import AuditEntry
from reports import render, rules, services
from reports.models import Report
from reports.tasks import HARD_TIME_LIMIT, fail_stale_reports

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
LIMIT = timedelta(minutes=10)
SECOND = timedelta(seconds=1)


def stale(status="queued", *, queued_at=T0, started_at=None, now, requested_at=T0) -> bool:
    return rules.report_is_stale(
        status=status,
        requested_at=requested_at,
        queued_at=queued_at,
        started_at=started_at,
        now=now,
        limit=LIMIT,
    )


# --------------------------------------------------------------------------- the pure rule


def test_a_queued_report_is_within_the_limit_up_to_and_at_the_limit():
    assert not stale(now=T0 + LIMIT - SECOND)
    assert not stale(now=T0 + LIMIT)


def test_a_queued_report_is_stale_once_past_the_limit():
    assert stale(now=T0 + LIMIT + SECOND)


def test_a_running_report_counts_from_the_start_of_its_attempt():
    # given a report queued long ago whose (redelivered) attempt started a minute ago
    started = T0 + timedelta(hours=1)

    # then it is within the limit until its attempt has run for longer than the limit
    assert not stale("running", started_at=started, now=started + LIMIT)
    assert stale("running", started_at=started, now=started + LIMIT + SECOND)


def test_a_retried_report_counts_from_its_retry_not_its_request():
    retried = T0 + timedelta(days=1)

    assert not stale(queued_at=retried, now=retried + LIMIT)
    assert stale(queued_at=retried, now=retried + LIMIT + SECOND)


def test_a_retried_report_still_running_its_earlier_attempt_counts_from_the_retry():
    # given a report retried after an attempt that started earlier
    retried = T0 + timedelta(hours=2)
    assert not stale("running", started_at=T0, queued_at=retried, now=retried + LIMIT)


def test_a_report_from_before_queued_at_existed_counts_from_its_request():
    assert not stale(queued_at=None, now=T0 + LIMIT)
    assert stale(queued_at=None, now=T0 + LIMIT + SECOND)


@pytest.mark.parametrize("status", ["done", "failed"])
def test_a_finished_report_is_never_stale(status):
    assert not stale(status, started_at=T0, now=T0 + timedelta(days=365))
    assert (
        rules.report_waiting_since(status=status, requested_at=T0, queued_at=T0, started_at=T0)
        is None
    )


def test_the_stale_messages_say_what_happened_and_to_press_retry():
    queued = rules.stale_failure_message(status="queued", limit=LIMIT)
    running = rules.stale_failure_message(status="running", limit=LIMIT)

    assert queued.startswith("No worker finished this report within 10 minutes")
    assert "make run starts one" in queued
    assert running.startswith("No worker finished this report within 10 minutes of starting")
    assert all(m.endswith("Press Retry.") for m in (queued, running))
    assert "within 1 minute:" in rules.stale_failure_message(
        status="queued", limit=timedelta(minutes=1)
    )


def test_the_rules_module_imports_nothing_from_django():
    tree = ast.parse((ROOT / "reports" / "rules.py").read_text())
    modules = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }

    assert {m.split(".")[0] for m in modules} <= {"collections", "datetime"}, modules


# --------------------------------------------------------------------------- the service


def make_report(membership, *, status="queued", **fields) -> Report:
    defaults = {
        "organization": membership.organization,
        "title": "Q2 board pack",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 3, 31),
        "requested_by": membership.user,
        "requested_at": T0,
        "queued_at": T0,
        "snapshot": {"title": "t"},
        "status": status,
    }
    if status == "done":
        defaults.update(sha256="ab" * 32, progress=100, stage="Done")
    defaults.update(fields)
    return Report.objects.create(**defaults)


@pytest.mark.django_db
def test_the_check_fails_a_report_queued_past_the_limit_with_a_message_to_retry(viewer, media):
    # given a report queued eleven minutes ago, and a half-written file of an earlier attempt
    report = make_report(viewer, stage="Waiting for a worker")
    default_storage.save(services.report_file_name(report), ContentFile(b"%PDF-half"))

    # when the scheduled check runs
    failed = services.reports_fail_stale(now=T0 + timedelta(minutes=11), limit=LIMIT)

    # then the report is failed, says why and to retry, has no file, and the failure is audited
    report.refresh_from_db()
    assert failed == [report.pk]
    assert (report.status, report.stage) == ("failed", "Failed")
    assert report.error.startswith("No worker finished this report within 10 minutes")
    assert not default_storage.exists(services.report_file_name(report))
    entry = AuditEntry.objects.get(action="report.failed")
    assert entry.actor is None
    assert entry.before == {"status": "queued"}
    assert entry.after["status"] == "failed"
    assert entry.after["error"] == report.error
    assert entry.after["stale_after_minutes"] == 10


@pytest.mark.django_db
def test_the_check_is_idempotent(viewer):
    # given a stale report the check already failed
    report = make_report(viewer)
    later = T0 + timedelta(minutes=11)
    services.reports_fail_stale(now=later, limit=LIMIT)

    # when it runs again
    again = services.reports_fail_stale(now=later + timedelta(minutes=1), limit=LIMIT)

    # then nothing changes and nothing more is audited
    assert again == []
    report.refresh_from_db()
    assert report.status == "failed"
    assert AuditEntry.objects.filter(action="report.failed").count() == 1


@pytest.mark.django_db
def test_the_check_leaves_done_and_progressing_reports_alone(viewer):
    # given a done report, one queued 9 minutes ago, one rendering for 9 minutes (an attempt
    # redelivered long after the request) and one just retried
    now = T0 + timedelta(hours=1)
    done = make_report(viewer, status="done")
    queued = make_report(viewer, requested_at=now - 9 * timedelta(minutes=1), queued_at=None)
    running = make_report(
        viewer, status="running", started_at=now - 9 * timedelta(minutes=1), attempts=2
    )
    retried = make_report(viewer, queued_at=now - SECOND)

    # when the check runs
    failed = services.reports_fail_stale(now=now, limit=LIMIT)

    # then it fails none of them
    assert failed == []
    statuses = dict(Report.objects.values_list("pk", "status"))
    assert statuses == {
        done.pk: "done",
        queued.pk: "queued",
        running.pk: "running",
        retried.pk: "queued",
    }
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_a_report_whose_worker_died_mid_render_is_failed_with_its_own_message(viewer):
    report = make_report(viewer, status="running", started_at=T0 + SECOND, attempts=1)

    services.reports_fail_stale(now=T0 + timedelta(minutes=12), limit=LIMIT)

    report.refresh_from_db()
    assert report.status == "failed"
    assert "of starting it: the worker rendering it stopped or was killed" in report.error


@pytest.mark.django_db
def test_a_stale_report_can_be_retried_and_then_renders(populated, viewer, media):
    # given a report requested an hour ago that no worker took, and that the check failed
    report = services.report_request(membership=viewer, title="Lost message")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Report.objects.filter(pk=report.pk).update(requested_at=an_hour_ago, queued_at=an_hour_ago)
    assert services.reports_fail_stale() == [report.pk]
    report.refresh_from_db()

    # when a member presses Retry, the clock starts again: the next check leaves it queued
    services.report_retry(report=report, membership=viewer)
    assert services.reports_fail_stale() == []

    # and once a worker takes it, it is done
    done = services.report_render(report_id=report.pk)
    assert (done.status, done.error) == ("done", "")
    assert services.reports_fail_stale(now=done.finished_at + timedelta(hours=1)) == []


@pytest.mark.django_db
def test_the_limit_comes_from_the_setting(viewer, settings):
    settings.REPORT_STALE_MINUTES = 30
    make_report(viewer)

    assert services.reports_fail_stale(now=T0 + timedelta(minutes=29)) == []
    assert len(services.reports_fail_stale(now=T0 + timedelta(minutes=31))) == 1
    assert "within 30 minutes" in Report.objects.get().error


@pytest.mark.django_db
def test_the_task_runs_the_check(viewer):
    make_report(viewer, requested_at=T0, queued_at=T0)

    fail_stale_reports.apply()

    assert Report.objects.get().status == "failed"


def test_the_scheduler_runs_the_check_every_minute_and_drops_a_check_that_waited():
    entry = settings.CELERY_BEAT_SCHEDULE["reports-fail-stale"]

    assert entry["task"] == fail_stale_reports.name == "reports.fail_stale"
    assert entry["schedule"] == 60
    assert entry["options"]["expires"] <= entry["schedule"]


def test_a_report_is_stale_after_ten_minutes_by_default():
    assert settings.REPORT_STALE_MINUTES == 10
    # well past a render's hard time limit, so a render in progress is never failed as stale
    assert settings.REPORT_STALE_MINUTES * 60 > 2 * HARD_TIME_LIMIT


# --------------------------------------------------------------------------- late messages


@pytest.mark.django_db
def test_a_late_message_of_a_stale_report_still_renders_it(populated, viewer, media):
    # given a report failed as stale whose message a worker finally takes
    report = services.report_request(membership=viewer)
    services.reports_fail_stale(now=report.queued_at + timedelta(minutes=11), limit=LIMIT)

    # when it renders, then the report is done after all
    done = services.report_render(report_id=report.pk)
    assert (done.status, done.error) == ("done", "")


@pytest.mark.django_db
def test_an_earlier_attempt_gives_way_to_a_later_one_of_the_same_report(populated, viewer, media):
    # given a report whose first message is rendering when a second attempt takes it over
    report = services.report_request(membership=viewer)
    render_pdf = render.render_pdf

    def second_attempt_meanwhile(snapshot, progress):
        Report.objects.filter(pk=report.pk).update(attempts=2)  # as the other message would
        return render_pdf(snapshot, progress)

    # when the first attempt finishes
    with mock.patch("reports.render.render_pdf", side_effect=second_attempt_meanwhile):
        first = services.report_render(report_id=report.pk)

    # then it stores nothing: the report, its file and its audit entry are the later attempt's
    assert first.status == "running"
    assert not default_storage.exists(services.report_file_name(first))
    assert not AuditEntry.objects.filter(action="report.done").exists()


@pytest.mark.django_db
def test_an_earlier_attempt_that_fails_does_not_fail_the_later_one(populated, viewer, media):
    report = services.report_request(membership=viewer)

    def second_attempt_then_crash(snapshot, progress):
        Report.objects.filter(pk=report.pk).update(attempts=2)
        raise RuntimeError("the first attempt crashed")

    with (
        mock.patch("reports.render.render_pdf", side_effect=second_attempt_then_crash),
        pytest.raises(RuntimeError),
    ):
        services.report_render(report_id=report.pk)

    report.refresh_from_db()
    assert (report.status, report.error) == ("running", "")
    assert not AuditEntry.objects.filter(action="report.failed").exists()


@pytest.mark.django_db
def test_a_render_failure_is_audited(populated, viewer, media):
    report = services.report_request(membership=viewer)
    with (
        mock.patch("reports.render.render_pdf", side_effect=RuntimeError("fonts exploded")),
        pytest.raises(RuntimeError),
    ):
        services.report_render(report_id=report.pk)

    entry = AuditEntry.objects.get(action="report.failed")
    assert entry.before == {"status": "running"}
    assert "fonts exploded" in entry.after["error"]
