"""/api/v1/reports (docs/api.md "Board reports")."""

from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from core.errors import Conflict, ConflictReason
from reports import selectors, services
from reports.inputs import ReportRequest
from reports.models import Report

from .auth import member, rate_limit, tenant_lookup
from .schemas import ERRORS, WRITE_ERRORS, ConflictOut, DetailOut, PageIn, paginate

router = Router(tags=["reports"])


@tenant_lookup("report_id")
def _report(organization, raw):
    return selectors.report_get(organization=organization, pk=raw)


class ReportQueuedOut(Schema):
    id: str
    status: Literal["queued", "running", "done", "failed"]


class ReportOut(Schema):
    id: str
    title: str
    status: Literal["queued", "running", "done", "failed"]
    progress: int = Field(ge=0, le=100)
    stage: str
    period_start: date
    period_end: date
    requested_by: str
    requested_at: datetime
    size: int | None
    pages: int | None
    sha256: str | None
    download_url: str | None
    error: str | None


class ReportListOut(Schema):
    items: list[ReportOut]
    count: int


def report_out(report: Report) -> dict:
    done = report.status == Report.Status.DONE
    return {
        "id": str(report.pk),
        "title": report.title,
        "status": report.status,
        "progress": report.progress,
        "stage": report.stage,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "requested_by": report.requested_by.get_username(),
        "requested_at": report.requested_at,
        "size": report.size,
        "pages": report.pages,
        "sha256": report.sha256 or None,
        "download_url": reverse("api:report_pdf", kwargs={"report_id": report.pk})
        if done
        else None,
        "error": report.error or None,
    }


@router.post(
    "/reports", response={202: ReportQueuedOut, **WRITE_ERRORS, 429: DetailOut}, auth=member
)
def report_request(request, payload: ReportRequest):
    """Ask for a board report; it is rendered by a worker, never in the request. A member may
    ask for a limited number (429 with Retry-After past it)."""
    rate_limit(
        request,
        scope="reports",
        key=services.report_request_rate_key(request.auth),
        rate=settings.RATE_LIMIT_REPORTS,
        detail="Too many report requests from this member.",
    )
    report = services.report_request(
        membership=request.auth,
        data=payload,  # checked by ninja with reports.inputs.ReportRequest
    )
    return Status(202, {"id": str(report.pk), "status": report.status})


@router.get("/reports", response={200: ReportListOut, **ERRORS}, auth=member)
def report_list(request, params: Query[PageIn]):
    offset, limit = paginate(params.page)
    items, count = selectors.report_page(
        organization=request.auth.organization, offset=offset, limit=limit
    )
    return {"items": [report_out(r) for r in items], "count": count}


@router.get("/reports/{report_id}", response={200: ReportOut, **ERRORS}, auth=member)
def report_get(request, report_id: str):
    return report_out(request.tenant_objects["report_id"])


@router.post(
    "/reports/{report_id}/retry", response={202: ReportQueuedOut, **WRITE_ERRORS}, auth=member
)
def report_retry(request, report_id: str):
    """Re-queue a failed report from its snapshot (409 for any other status)."""
    report = services.report_retry(
        report=request.tenant_objects["report_id"], membership=request.auth
    )
    return Status(202, {"id": str(report.pk), "status": report.status})


@router.get(
    "/reports/{report_id}/pdf",
    response={200: None, **ERRORS, 409: ConflictOut},
    auth=member,
    url_name="report_pdf",
    openapi_extra={
        "responses": {
            200: {
                "description": "The PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_pdf(request, report_id: str):
    """The PDF once the report is done (409 before)."""
    report = request.tenant_objects["report_id"]
    if report.status != Report.Status.DONE:
        raise Conflict(
            "The report is not done yet.",
            [ConflictReason("not_done", f"The report is {report.get_status_display().lower()}.")],
        )
    response = FileResponse(
        report.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"readiness-report-{report.pk}.pdf",
    )
    response["X-Content-SHA256"] = report.sha256
    return response
