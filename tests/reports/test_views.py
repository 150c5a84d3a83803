"""The board report pages: request, list, progress, download, verify, retry, tenancy, admin."""

import hashlib
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from reports import services, views
from reports.models import Report
from tests.helpers import worker_callbacks

pytestmark = pytest.mark.django_db

TINY_SNAPSHOT = {"title": "t", "summary": {"agents": 0}}
SHA = "ab" * 32


def make_report(membership, *, status="queued", title="Q2 board pack", **fields) -> Report:
    """A report row created directly (no snapshot building, no worker)."""
    defaults = {
        "organization": membership.organization,
        "title": title,
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 3, 31),
        "requested_by": membership.user,
        "snapshot": TINY_SNAPSHOT,
        "status": status,
    }
    if status == "done":
        defaults.update(sha256=SHA, size=48_213, pages=9, progress=100, stage="Done")
    if status == "failed":
        defaults.update(error="Rendering failed: OSError: disk full", stage="Failed")
    defaults.update(fields)
    return Report.objects.create(**defaults)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def viewer_client(viewer, client_for):
    return client_for(viewer)


@pytest.fixture
def rendered(populated, viewer, media):
    """A report requested by the viewer and rendered by running the worker's service."""
    report = services.report_request(membership=viewer, title="Autumn board pack")
    return services.report_render(report_id=report.pk)


# --------------------------------------------------------------------------- request form


def test_viewer_requests_a_report_and_is_taken_to_its_page(
    viewer, viewer_client, django_capture_on_commit_callbacks
):
    # Given a viewer on the reports page
    today = timezone.now().date()
    start = today - timedelta(days=30)

    # When they ask for a report for a period, with a title
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = viewer_client.post(
            "/reports/",
            {"title": "Board pack", "period_start": start.isoformat(), "period_end": today},
        )

    # Then it is queued for the worker (not rendered in the request) and they see its page
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/"
    assert len(worker_callbacks(callbacks)) == 1
    assert report.status == "queued"
    assert not report.file
    assert (report.title, report.period_start, report.period_end) == ("Board pack", start, today)
    assert report.requested_by == viewer.user
    assert AuditEntry.objects.filter(action="report.requested").count() == 1
    assert "Report requested" in messages_of(response)[0]


@time_machine.travel("2026-06-15 12:00:00+00:00", tick=False)
def test_the_form_defaults_to_the_90_days_ending_today(viewer_client):
    # When a member opens the reports page
    html = viewer_client.get("/reports/").content.decode()

    # Then the dates are date inputs holding the 90 days ending today, today at most
    assert re.search(
        r'type="date"[^>]*name="period_start"|name="period_start"[^>]*type="date"', html
    )
    assert 'value="2026-03-18"' in html
    assert 'value="2026-06-15"' in html
    assert 'max="2026-06-15"' in html
    assert "the end no later than today" in html
    assert 'placeholder="Board report 2026-03-18 to 2026-06-15"' in html


@time_machine.travel("2026-06-15 12:00:00+00:00", tick=False)
def test_an_empty_title_and_period_use_the_defaults(
    viewer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = viewer_client.post("/reports/", {"title": "  "})
    report = Report.objects.get()
    assert response.status_code == 302
    assert report.title == "Board report 2026-03-18 to 2026-06-15"
    assert (report.period_start, report.period_end) == (date(2026, 3, 18), date(2026, 6, 15))


@time_machine.travel("2026-06-15 12:00:00+00:00", tick=False)
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"period_start": "2026-06-10", "period_end": "2026-06-01"},
            "period_start",
            "The period must start on or before its end.",
        ),
        (
            {"period_start": "2026-06-01", "period_end": "2026-06-16"},
            "period_end",
            "The period cannot end after today (2026-06-15).",
        ),
        ({"period_start": "31/03/2026"}, "period_start", "Enter a date as YYYY-MM-DD"),
        ({"period_end": "2026-02-30"}, "period_end", "Enter a date as YYYY-MM-DD"),
        ({"title": "x" * 201}, "title", "Keep the title to 200 characters or fewer."),
    ],
)
def test_a_bad_request_shows_the_error_beside_its_field_and_saves_nothing(
    viewer_client, data, field, message
):
    # When a member sends a bad period or title
    response = viewer_client.post("/reports/", data)

    # Then the form comes back with the error under that field, and nothing is created
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert Report.objects.count() == 0
    assert AuditEntry.objects.filter(action="report.requested").count() == 0


# --------------------------------------------------------------------------- list


def test_the_list_shows_past_reports_newest_first_with_their_state(viewer, viewer_client):
    # Given reports in every state
    now = timezone.now()
    done = make_report(viewer, status="done", title="Done one", requested_at=now)
    failed = make_report(
        viewer, status="failed", title="Failed one", requested_at=now - timedelta(1)
    )
    make_report(
        viewer,
        status="running",
        title="Running one",
        progress=40,
        stage="Laying out the report",
        requested_at=now - timedelta(2),
    )

    # When a member opens the list
    response = viewer_client.get("/reports/")
    html = response.content.decode()

    # Then each shows who asked, its period, status and what it allows
    assert response.status_code == 200
    assert html.index("Done one") < html.index("Failed one") < html.index("Running one")
    assert "vic" in html
    assert "1 Jan 2026" in html
    assert "31 Mar 2026" in html
    assert 'aria-valuenow="40"' in html
    assert "Laying out the report" in html
    assert "47.1\xa0KB" in html  # filesizeformat of 48 213 bytes
    assert "9 pages" in html
    assert f'title="{SHA}"' in html
    assert f'href="/reports/{done.pk}/download/"' in html
    assert f'action="/reports/{failed.pk}/retry/"' in html
    assert "disk full" in html
    assert "No reports yet" not in html


def test_the_list_says_what_to_do_when_there_is_no_report(viewer_client):
    html = viewer_client.get("/reports/").content.decode()
    assert "No reports yet" in html
    assert "Request a report" in html


def test_the_list_is_paginated_with_a_constant_number_of_queries(
    viewer, viewer_client, django_assert_max_num_queries
):
    # Given 60 reports created directly
    Report.objects.bulk_create(
        Report(
            organization=viewer.organization,
            title=f"Report {i:02}",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            requested_by=viewer.user,
            requested_at=timezone.now() - timedelta(minutes=i),
            snapshot=TINY_SNAPSHOT,
            status=("queued", "running", "done", "failed")[i % 4],
            sha256=SHA if i % 4 == 2 else "",
            size=1000 if i % 4 == 2 else None,
            pages=3 if i % 4 == 2 else None,
        )
        for i in range(60)
    )

    # When the first and the last page are shown
    with django_assert_max_num_queries(8):
        first = viewer_client.get("/reports/")
    with django_assert_max_num_queries(8):
        last = viewer_client.get("/reports/?page=3")

    # Then each holds 20, newest first, and the queries do not grow with the rows
    assert len(first.context["reports"]) == 20
    assert "Report 00" in first.content.decode()
    assert "Report 59" in last.content.decode()
    assert "Page 3 of 3 · 60 reports" in last.content.decode()


# --------------------------------------------------------------------------- one report


def test_a_queued_report_page_polls_its_progress_and_refreshes_without_javascript(
    viewer, viewer_client
):
    report = make_report(viewer, stage="Waiting for a worker")
    html = viewer_client.get(f"/reports/{report.pk}/").content.decode()
    assert f'hx-get="/reports/{report.pk}/progress/"' in html
    assert 'hx-trigger="every 1s"' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="0"' in html
    assert "Waiting for a worker" in html
    assert "Download PDF" not in html


def test_the_report_page_summarises_the_frozen_snapshot(populated, viewer, viewer_client):
    # Given a report requested for an organization with a ready assessment and two agents
    report = services.report_request(membership=viewer, title="Autumn board pack")

    # When the viewer opens it
    html = viewer_client.get(f"/reports/{report.pk}/").content.decode()

    # Then it says what the report shows, as of the request
    assert "Autumn board pack" in html
    assert "Ready" in html
    assert "15</span>" in html
    assert "/20" in html
    assert "from “Autumn review”" in html
    assert "2 <span" in html
    assert "1 suspended" in html
    assert "requested by vic" in html


def test_the_progress_partial_polls_while_running_and_stops_once_done(viewer, viewer_client):
    # Given a running report
    report = make_report(viewer, status="running", progress=70, stage="Writing the PDF")

    # Then its partial carries the trigger and the progress
    partial = viewer_client.get(f"/reports/{report.pk}/progress/")
    html = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in html
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="70"' in html
    assert "Writing the PDF" in html
    assert "no-cache" in partial["Cache-Control"]

    # When it is done, the partial has no trigger (polling stops) and offers the download
    Report.objects.filter(pk=report.pk).update(status="done", progress=100, sha256=SHA, size=10)
    html = viewer_client.get(f"/reports/{report.pk}/progress/").content.decode()
    assert "hx-trigger" not in html
    assert "hx-get" not in html
    assert f'href="/reports/{report.pk}/download/"' in html
    assert SHA in html


def test_a_failed_report_page_says_why_and_offers_retry(viewer, viewer_client):
    report = make_report(viewer, status="failed")
    html = viewer_client.get(f"/reports/{report.pk}/").content.decode()
    assert "Rendering failed: OSError: disk full" in html
    assert f'action="/reports/{report.pk}/retry/"' in html
    assert "hx-trigger" not in html
    assert "noscript" not in html


# --------------------------------------------------------------------------- download


def test_viewer_downloads_the_rendered_pdf_whose_hash_is_the_recorded_one(rendered, viewer_client):
    # Given a report the worker's service rendered
    assert rendered.status == "done"

    # When the viewer downloads it
    response = viewer_client.get(f"/reports/{rendered.pk}/download/")
    data = b"".join(response.streaming_content)

    # Then it is the stored PDF, as an attachment, with the recorded SHA-256
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == rendered.sha256
    assert response["X-Content-SHA256"] == rendered.sha256

    # And its page shows the full hash, size, pages and how to verify
    html = viewer_client.get(f"/reports/{rendered.pk}/").content.decode()
    assert rendered.sha256 in html
    assert f"python manage.py verify_report {rendered.pk} " in html
    assert f"{rendered.pages} page" in html


@pytest.mark.parametrize("status", ["queued", "running", "failed"])
def test_downloading_a_report_that_is_not_done_goes_back_with_a_message(
    viewer, viewer_client, status
):
    report = make_report(viewer, status=status)
    response = viewer_client.get(f"/reports/{report.pk}/download/")
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/"
    assert "There is no PDF to download yet" in messages_of(response)[0]


def test_a_done_report_whose_file_is_missing_says_so(viewer, viewer_client, media):
    report = make_report(viewer, status="done", file="reports/1/gone.pdf")
    response = viewer_client.get(f"/reports/{report.pk}/download/")
    assert response.status_code == 302
    assert "missing" in messages_of(response)[0]


# --------------------------------------------------------------------------- verify


def test_uploading_the_downloaded_file_confirms_it_matches(rendered, viewer_client):
    data = rendered.file.open("rb").read()
    response = viewer_client.post(
        f"/reports/{rendered.pk}/verify/",
        {"file": SimpleUploadedFile("board.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This file matches the report" in html
    assert "does NOT match" not in html


def test_uploading_a_changed_file_says_it_does_not_match(rendered, viewer_client):
    data = rendered.file.open("rb").read() + b"\n"
    response = viewer_client.post(
        f"/reports/{rendered.pk}/verify/",
        {"file": SimpleUploadedFile("board.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 200
    assert "This file does NOT match" in response.content.decode()


def test_verify_without_a_file_asks_for_one(viewer, viewer_client):
    report = make_report(viewer, status="done")
    response = viewer_client.post(f"/reports/{report.pk}/verify/", {})
    assert response.status_code == 400
    assert "Choose the PDF file to check." in response.content.decode()


def test_verify_refuses_a_file_over_the_limit_without_keeping_it(
    viewer, viewer_client, monkeypatch
):
    # Given a limit of 1 000 bytes (20 MB in production)
    monkeypatch.setattr(views, "VERIFY_MAX_BYTES", 1000)
    report = make_report(viewer, status="done")

    # When a bigger file is sent
    response = viewer_client.post(
        f"/reports/{report.pk}/verify/", {"file": SimpleUploadedFile("big.pdf", b"x" * 5000)}
    )

    # Then it is refused with the reason, not compared
    assert response.status_code == 400
    html = response.content.decode()
    assert "This file is larger than" in html
    assert "match" not in html.split("verify-form")[0].split("Check a copy")[1]


def test_verify_is_post_only(viewer, viewer_client):
    report = make_report(viewer, status="done")
    # a GET (the form's URL opened directly) leads back to the report (core.middleware)
    response = viewer_client.get(f"/reports/{report.pk}/verify/")
    assert (response.status_code, response["Location"]) == (302, f"/reports/{report.pk}/")


def test_verify_checks_the_csrf_token(viewer, rendered):
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer.user)
    response = client.post(
        f"/reports/{rendered.pk}/verify/", {"file": SimpleUploadedFile("a.pdf", b"%PDF")}
    )
    assert response.status_code == 403


# --------------------------------------------------------------------------- retry


def test_retrying_a_failed_report_queues_it_again(
    viewer, viewer_client, django_capture_on_commit_callbacks
):
    # Given a failed report
    report = make_report(viewer, status="failed")

    # When a member retries it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = viewer_client.post(f"/reports/{report.pk}/retry/")

    # Then it is queued again for the worker, from the same snapshot, and audited
    report.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/"
    assert len(worker_callbacks(callbacks)) == 1
    assert (report.status, report.error, report.progress) == ("queued", "", 0)
    assert report.snapshot == TINY_SNAPSHOT
    assert AuditEntry.objects.filter(action="report.retried").count() == 1
    assert "Queued again" in messages_of(response)[0]


def test_retrying_a_done_report_says_why_and_changes_nothing(
    viewer, viewer_client, django_capture_on_commit_callbacks
):
    report = make_report(viewer, status="done")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = viewer_client.post(f"/reports/{report.pk}/retry/")
    report.refresh_from_db()
    assert response.status_code == 302
    assert callbacks == []
    assert (report.status, report.sha256) == ("done", SHA)
    assert messages_of(response) == ["Only a failed report can be retried. This report is done."]
    assert AuditEntry.objects.filter(action="report.retried").count() == 0


def test_retry_is_post_only(viewer, viewer_client):
    report = make_report(viewer, status="failed")
    response = viewer_client.get(f"/reports/{report.pk}/retry/")
    assert (response.status_code, response["Location"]) == (302, f"/reports/{report.pk}/")
    report.refresh_from_db()
    assert report.status == "failed"


# --------------------------------------------------------------------------- tenancy and access


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "progress/"),
        ("get", "download/"),
        ("post", "verify/"),
        ("post", "retry/"),
    ],
)
@pytest.mark.parametrize("status", ["done", "failed"])
def test_another_organizations_report_is_404_on_every_url(
    viewer, other_assessor, client_for, method, suffix, status
):
    # Given a report of acme, and a member of every role in globex
    report = make_report(viewer, status=status)
    outsider = client_for(other_assessor)

    # When the outsider reaches for it
    data = {"file": SimpleUploadedFile("a.pdf", b"%PDF")} if suffix == "verify/" else {}
    response = getattr(outsider, method)(f"/reports/{report.pk}/{suffix}", data)

    # Then it does not exist for them, and nothing changed
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.status == status


def test_another_organizations_reports_are_not_listed(viewer, other_assessor, client_for):
    make_report(viewer, title="Acme secret pack")
    html = client_for(other_assessor).get("/reports/").content.decode()
    assert "Acme secret pack" not in html
    assert "No reports yet" in html


def test_signed_out_visitors_are_sent_to_sign_in(viewer):
    report = make_report(viewer)
    for url in ("/reports/", f"/reports/{report.pk}/", f"/reports/{report.pk}/download/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_the_nav_links_to_reports(viewer_client):
    html = viewer_client.get("/reports/").content.decode()
    assert re.search(r'class="nav-link active" href="/reports/">Reports</a>', html)


# --------------------------------------------------------------------------- admin


@pytest.fixture
def superuser_client(db):
    from tests.factories import UserFactory

    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_admin_lists_reports_read_only_with_the_snapshot_as_pretty_json(viewer, superuser_client):
    report = make_report(viewer, status="done", snapshot={"title": "t", "agents": ["<b>x</b>"]})

    listing = superuser_client.get("/admin/reports/report/")
    assert listing.status_code == 200
    assert "Q2 board pack" in listing.content.decode()
    assert SHA in listing.content.decode()
    assert "/admin/reports/report/add/" not in listing.content.decode()
    assert superuser_client.get("/admin/reports/report/add/").status_code == 403

    page = superuser_client.get(f"/admin/reports/report/{report.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "&quot;agents&quot;: [\n    &quot;&lt;b&gt;x&lt;/b&gt;&quot;\n  ]" in html
    assert 'name="title"' not in html  # every field is read-only
