"""The PDF's content, the safe URL fetcher and the worker's idempotence."""

import hashlib
import io
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from reports import render, services
from reports.models import Report

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def done_report(populated, viewer, media):
    report = services.report_request(membership=viewer, title="Q4 board pack")
    return services.report_render(report_id=report.pk)


def test_pdf_has_every_section_dimension_total_verdict_and_agent(done_report):
    data = done_report.file.open("rb").read()
    text = pdf_text(data)
    for heading in (
        "Executive summary",
        "Readiness matrix",
        "Gate status per agent",
        "Business outcomes",
        "Anomaly log",
        "Recommendations",
        "What changed since the last report",
        "Methodology",
    ):
        assert heading in text
    for dimension in (
        "Governance maturity",
        "Infrastructure robustness",
        "Observability coverage",
        "Data quality controls",
    ):
        assert dimension in text
    assert "15/20" in text
    assert "Ready" in text
    assert "Refund triage" in text
    assert "Refunds spiked" in text  # the suspension in the anomaly log
    assert "Acme Robotics" in text
    assert "Page 2 of" in text


def test_user_text_prints_literally(done_report):
    text = pdf_text(done_report.file.open("rb").read())
    assert "<b>x</b>" in text


def test_sections_come_in_the_spec_order(done_report):
    text = pdf_text(done_report.file.open("rb").read())
    body = text[text.index("Executive summary\nReadiness verdict") :]
    order = [
        "Readiness matrix",
        "Gate status per agent",
        "Business outcomes against",
        "Anomaly log",
        "Recommendations",
        "What changed since",
        "Methodology",
    ]
    positions = [body.index(h) for h in order]
    assert positions == sorted(positions)


def test_hash_size_and_pages_are_recorded(done_report):
    data = done_report.file.open("rb").read()
    assert data.startswith(b"%PDF")
    assert done_report.sha256 == hashlib.sha256(data).hexdigest()
    assert done_report.size == len(data)
    assert done_report.pages == len(PdfReader(io.BytesIO(data)).pages) >= 4
    assert done_report.progress == 100


def test_a_done_report_is_never_rendered_again(done_report):
    with mock.patch("reports.render.render_pdf") as renderer:
        services.report_render(report_id=done_report.pk)
    renderer.assert_not_called()


def test_a_rerun_overwrites_the_one_file(populated, viewer, media):
    report = services.report_request(membership=viewer)
    services.report_render(report_id=report.pk)
    Report.objects.filter(pk=report.pk).update(status="running")  # as if redelivered
    services.report_render(report_id=report.pk)
    files = list((media / "reports").rglob("*.pdf"))
    assert len(files) == 1


def test_rendering_the_same_snapshot_gives_the_same_content(done_report):
    first = pdf_text(done_report.file.open("rb").read())
    again, _ = render.render_pdf(done_report.snapshot)
    assert pdf_text(again) == first


def test_a_render_failure_marks_the_report_failed_and_leaves_no_file(populated, viewer, media):
    report = services.report_request(membership=viewer)
    with (
        mock.patch("reports.render.render_pdf", side_effect=RuntimeError("fonts exploded")),
        pytest.raises(RuntimeError),
    ):
        services.report_render(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "failed"
    assert "fonts exploded" in report.error
    assert not report.file
    assert not default_storage.exists(services.report_file_name(report))


def test_a_failed_report_is_retried_from_the_same_snapshot(populated, viewer, media):
    report = services.report_request(membership=viewer)
    Report.objects.filter(pk=report.pk).update(status="failed", error="boom")
    report.refresh_from_db()
    services.report_retry(report=report, membership=viewer)
    done = services.report_render(report_id=report.pk)
    assert done.status == "done"
    assert done.snapshot == report.snapshot


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:8000/secret",
        "https://example.com/logo.png",
        "ftp://example.com/x",
        "static:../../readiness/settings/base.py",
        "static:/etc/passwd",
    ],
)
def test_url_fetcher_refuses_files_and_the_network(url):
    with pytest.raises(ValueError, match=r"Refused|No static"):
        render.SafeURLFetcher().fetch(url)


def test_url_fetcher_allows_data_and_our_static_files():
    fetcher = render.SafeURLFetcher()
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert b"@page" in fetcher.fetch("static:reports/print.css").read()


def test_an_image_pointing_at_a_local_file_is_refused_while_rendering():
    from weasyprint import HTML

    refused = []

    class Recording(render.SafeURLFetcher):
        def fetch(self, url, headers=None):
            try:
                return super().fetch(url, headers)
            except ValueError:
                refused.append(url)
                raise

    html = '<html><body><img src="file:///etc/hostname"><img src="http://10.0.0.1/x.png"></body></html>'
    assert HTML(string=html, url_fetcher=Recording()).write_pdf().startswith(b"%PDF")
    assert refused == ["file:///etc/hostname", "http://10.0.0.1/x.png"]


def test_a_done_report_checkpoints_its_organizations_chain_outside_the_database(done_report):
    from audit.models import AuditCheckpoint, ChainHead
    from audit.services import chain_name

    checkpoint = AuditCheckpoint.objects.get(reason="report")
    chain = chain_name(done_report.organization_id)
    head = ChainHead.objects.get(chain=chain)
    # the head pinned includes the report's own report.done entry
    assert checkpoint.heads == [{"chain": chain, "seq": head.seq, "hash": head.hash}]
    assert checkpoint.organization_id == done_report.organization_id


def test_a_checkpoint_that_cannot_be_written_does_not_fail_the_report(populated, viewer, media):
    report = services.report_request(membership=viewer, title="Storage down")
    with mock.patch("reports.services.audit_checkpoint", side_effect=OSError("bucket down")):
        done = services.report_render(report_id=report.pk)
    assert done.status == Report.Status.DONE
