"""A viewer asks for a board report and watches it go queued → running → done, in headless
Chromium; then downloads the PDF and checks it. No Celery worker runs here: the task's
`delay` is replaced by a thread that runs the worker's service a moment later, slowed down
so the browser can see each state."""

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from reports import render, services
from reports.models import Report
from reports.tasks import render_report

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser]

PASSWORD = "journey-pass-5821"
QUEUED_FOR = 1.5  # seconds before the "worker" picks the report up
STAGE_PAUSE = 0.8  # seconds the "worker" lingers at each progress stage


@pytest.fixture
def viewer_with_password(transactional_db, org, make_member):
    membership = make_member(org, "viewer", username="vera")
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def slow_worker(monkeypatch):
    """`render_report.delay(id)` starts a thread that, after QUEUED_FOR seconds, runs the
    service the worker runs, pausing at each stage. Yields the threads to join."""
    real_render_pdf = render.render_pdf
    threads: list[threading.Thread] = []

    def slow_render_pdf(snapshot, progress=lambda p, s: None):
        def paced(percent, stage):
            progress(percent, stage)
            time.sleep(STAGE_PAUSE)

        return real_render_pdf(snapshot, paced)

    def work(report_id):
        try:
            time.sleep(QUEUED_FOR)
            services.report_render(report_id=report_id)
        finally:
            connection.close()

    def delay(report_id):
        thread = threading.Thread(target=work, args=(report_id,), daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(render, "render_pdf", slow_render_pdf)
    monkeypatch.setattr(render_report, "delay", delay)
    yield threads
    for thread in threads:
        thread.join(timeout=60)


def _sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_viewer_requests_a_report_watches_it_render_and_downloads_it(
    live_server, page, viewer_with_password, media, slow_worker, tmp_path
):
    # Given a viewer who signs in and opens the reports page from the nav
    _sign_in(page, live_server.url, "vera")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Board reports")).to_be_visible()
    expect(page.get_by_text("No reports yet")).to_be_visible()
    expect(page.get_by_label("Period start")).to_have_attribute("type", "date")
    page.screenshot(path="/tmp/readiness-reports-empty.png", full_page=True)

    # When they ask for a report with a title, keeping the default period
    page.get_by_label("Title").fill("Q3 board pack")
    page.get_by_role("button", name="Request report").click()

    # Then they land on its page, where a real progress bar shows it queued, then rendering
    expect(page.get_by_role("heading", name="Q3 board pack")).to_be_visible()
    expect(page.get_by_text("Report requested: “Q3 board pack”")).to_be_visible()
    bar = page.get_by_role("progressbar", name="Rendering progress")
    expect(bar).to_be_visible()
    page.screenshot(path="/tmp/readiness-report-queued.png", full_page=True)
    expect(page.locator("#report-state .report-status")).to_have_text("Rendering", timeout=15_000)
    expect(bar).to_be_visible()
    page.screenshot(path="/tmp/readiness-report-running.png", full_page=True)

    # And once it is done, the download appears by itself and the polling stops
    download_link = page.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=30_000)
    expect(page.locator("#report-state .report-status")).to_have_text("Done")
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.locator("[hx-trigger]")).to_have_count(0)
    report = Report.objects.get()
    expect(page.locator(".report-sha")).to_have_text(report.sha256)
    page.screenshot(path="/tmp/readiness-report-done.png", full_page=True)

    # When they download it
    with page.expect_download() as download_info:
        download_link.click()
    saved = tmp_path / "downloaded.pdf"
    download_info.value.save_as(saved)

    # Then it is the PDF whose SHA-256 the report recorded
    data = Path(saved).read_bytes()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == report.sha256
    assert report.status == "done"

    # And the page confirms that the downloaded file matches the report
    page.get_by_label("File to check").set_input_files(str(saved))
    page.get_by_role("button", name="Check this file").click()
    expect(page.get_by_text("This file matches the report.")).to_be_visible()
    page.screenshot(path="/tmp/readiness-report-verified.png", full_page=True)

    # And the list shows it with who asked, its size and its hash
    page.get_by_role("link", name="Reports", exact=True).click()
    row = page.locator(f"#report-{report.pk}")
    expect(row).to_contain_text("Q3 board pack")
    expect(row).to_contain_text("vera")
    expect(row.locator(".report-sha-short")).to_have_attribute("title", report.sha256)
    expect(row.get_by_role("link", name="Download Q3 board pack")).to_be_visible()
    page.screenshot(path="/tmp/readiness-reports-list.png", full_page=True)


def test_without_javascript_the_report_page_refreshes_until_done(
    live_server, chromium, viewer_with_password, media, slow_worker
):
    # Given a browser with JavaScript off, signed in as the viewer
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, live_server.url, "vera")

        # When they request a report
        page.goto(f"{live_server.url}/reports/")
        page.get_by_role("button", name="Request report").click()
        expect(page.get_by_role("progressbar", name="Rendering progress")).to_be_visible()

        # Then the page refreshes itself (no htmx) until the download is there
        expect(page.get_by_role("link", name="Download PDF")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("progressbar")).to_have_count(0)
    finally:
        context.close()
