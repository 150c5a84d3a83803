"""/api/v1/reports against docs/api.md."""

import hashlib

import pytest
import time_machine

from reports import services
from reports.models import Report
from tests.helpers import worker_callbacks

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(viewer, api_for):
    return api_for(viewer)


def test_post_answers_202_queued_and_renders_only_in_a_worker(
    api, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post("/api/v1/reports", {"title": "Board pack"})
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert len(worker_callbacks(callbacks)) == 1
    report = Report.objects.get(pk=response.json()["id"])
    assert report.status == "queued"
    assert not report.file


def test_status_progress_and_pdf_once_done(api, populated, media):
    created = api.post("/api/v1/reports", {}).json()
    before = api.get(f"/api/v1/reports/{created['id']}").json()
    assert before["download_url"] is None
    assert api.get(f"/api/v1/reports/{created['id']}/pdf").status_code == 409
    services.report_render(report_id=int(created["id"]))
    body = api.get(f"/api/v1/reports/{created['id']}").json()
    assert body["status"] == "done"
    assert body["progress"] == 100
    response = api.get(body["download_url"])
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == body["sha256"]
    listed = api.get("/api/v1/reports").json()
    assert listed["count"] == 1
    assert listed["items"][0]["sha256"] == body["sha256"]
    assert listed["items"][0]["requested_by"] == "vic"


@time_machine.travel("2026-06-15 12:00:00+00:00", tick=False)
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period_start": "2026-06-10", "period_end": "2026-06-01"}, "period_start"),
        ({"period_end": "2026-06-16"}, "period_end"),
        ({"period_start": "not a date"}, "period_start"),
        ({"title": 42}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 7, "period_end": "soon"}, "period_end"),  # every bad field at once
    ],
)
def test_bad_periods_are_400(api, org, body, field):
    response = api.post("/api/v1/reports", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Report.objects.count() == 0


def test_retry_only_a_failed_report(api, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        created = api.post("/api/v1/reports", {}).json()
    assert api.post(f"/api/v1/reports/{created['id']}/retry").status_code == 409
    Report.objects.filter(pk=created["id"]).update(status="failed", error="boom")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(f"/api/v1/reports/{created['id']}/retry")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert len(worker_callbacks(callbacks)) == 1


@pytest.mark.parametrize("suffix", ["", "/pdf", "/retry"])
def test_another_organizations_report_is_404(api, org, other_assessor, api_for, suffix):
    created = api.post("/api/v1/reports", {}).json()
    outsider = api_for(other_assessor)
    method = outsider.post if suffix == "/retry" else outsider.get
    response = method(f"/api/v1/reports/{created['id']}{suffix}")
    assert response.status_code == 404
    assert outsider.get("/api/v1/reports").json()["count"] == 0


def test_report_list_query_count_is_constant(api, viewer, django_assert_max_num_queries):
    Report.objects.bulk_create(
        Report(
            organization=viewer.organization,
            title=f"r{i}",
            period_start="2026-01-01",
            period_end="2026-01-31",
            requested_by=viewer.user,
            snapshot={},
        )
        for i in range(60)
    )
    with django_assert_max_num_queries(6):
        body = api.get("/api/v1/reports").json()
    assert body["count"] == 60
    assert len(body["items"]) == 50


def test_verify_report_command(populated, viewer, media, tmp_path):
    from django.core.management import CommandError, call_command

    report = services.report_render(report_id=services.report_request(membership=viewer).pk)
    good = tmp_path / "good.pdf"
    good.write_bytes(report.file.open("rb").read())
    call_command("verify_report", str(report.pk), str(good))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(good.read_bytes() + b"\n")
    with pytest.raises(CommandError, match="MISMATCH"):
        call_command("verify_report", str(report.pk), str(bad))
    with pytest.raises(CommandError, match="No report"):
        call_command("verify_report", "99999", str(good))
    with pytest.raises(CommandError, match="No file"):
        call_command("verify_report", str(report.pk), str(tmp_path / "missing.pdf"))
