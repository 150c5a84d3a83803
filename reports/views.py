"""Board report pages (docs/rules.md §5): ask for a report, watch it render, download and verify it.

Any member may do everything here. Each view reads through one selector or writes through one
service; `report_get` makes another organization's report a 404 on every URL. Rendering never
happens in a request: the service queues it for the worker, and the report's page polls a
small progress partial (htmx, or a meta refresh without JavaScript) until it is done or failed.
"""

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from core import ratelimit
from core.errors import Conflict, InvalidInput
from core.tenancy import member_required

from . import services
from .forms import ReportRequestForm, ReportVerifyForm
from .models import Report
from .selectors import report_get, report_page, report_worker_warning

PAGE_SIZE = 20
VERIFY_MAX_BYTES = 20 * 1024 * 1024


# --------------------------------------------------------------------------- list and request


class _ReportPages:
    """The organization's reports, newest first, as a lazy sequence for Django's Paginator:
    one selector call per page (the rows and the count)."""

    def __init__(self, organization):
        self.organization = organization
        self._count = None

    def count(self) -> int:
        if self._count is None:
            _, self._count = report_page(organization=self.organization, offset=0, limit=0)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("page through reports with a slice")
        start = index.start or 0
        items, self._count = report_page(
            organization=self.organization, offset=start, limit=index.stop - start
        )
        return items


@member_required
def report_list(request):
    """GET: the request form and past reports. POST: ask for a report (any member); it is
    queued for the worker and the browser goes to its page to watch it render. A member's
    requests are limited (RATE_LIMIT_REPORTS): past it the form says when to retry (429)."""
    form = ReportRequestForm(request.POST or None, today=timezone.now().date())
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.limit(
                "reports",
                services.report_request_rate_key(request.membership),
                settings.RATE_LIMIT_REPORTS,
                detail="",
            )
            report = services.report_request(
                membership=request.membership,
                title=form.cleaned_data["title"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except ratelimit.RateLimited as limited:
            retry_after = limited.retry_after
            form.add_error(
                None,
                f"Too many report requests for now. Try again {ratelimit.wait_words(retry_after)}.",
            )
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        else:
            messages.success(
                request,
                f"Report requested: “{report.title}”. Its data is frozen as of now; the PDF is "
                "being rendered in the background, so you can leave this page and come back.",
            )
            return redirect("reports:detail", pk=report.pk)
    paginator = Paginator(_ReportPages(request.membership.organization), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    response = render(
        request,
        "reports/list.html",
        {"form": form, "page": page, "reports": list(page)},
        status=429 if retry_after else 400 if form.errors else 200,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# --------------------------------------------------------------------------- one report


def _summary(snapshot: dict) -> dict:
    """What the report says, in a few figures, read from its frozen snapshot."""
    readiness = snapshot.get("readiness") or {}
    counts = snapshot.get("summary") or {}
    dimensions = readiness.get("dimensions") or []
    max_score = (snapshot.get("methodology") or {}).get("max_score", 5)
    return {
        "assessment": readiness.get("title"),
        "verdict": readiness.get("verdict"),
        "total": readiness.get("total"),
        "max_total": max_score * len(dimensions) if dimensions else None,
        "agents": counts.get("agents", len(snapshot.get("agents") or [])),
        "in_production": counts.get("in_production"),
        "suspended": counts.get("suspended"),
        "anomalies": len(snapshot.get("anomalies") or []),
        "recommendations": len(snapshot.get("recommendations") or []),
        "previous_title": (snapshot.get("changes") or {}).get("previous_title"),
    }


def _detail(request, report: Report, *, verify_form=None, verify=None, status=200):
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "summary": _summary(report.snapshot),
            "verify_form": verify_form or ReportVerifyForm(),
            "verify": verify,
            "verify_max": VERIFY_MAX_BYTES,
            "worker_warning": report_worker_warning(report=report),
        },
        status=status,
    )


@member_required
@require_GET
def report_detail(request, pk):
    report = report_get(organization=request.membership.organization, pk=pk)
    return _detail(request, report)


@never_cache
@member_required
@require_GET
def report_progress(request, pk):
    """The state panel alone, for htmx polling. While the report is queued or running the
    panel carries `hx-trigger="every 1s"`; once done or failed it does not, so polling stops
    and the panel shows the download (or the error and Retry) in its place. While no worker
    answers (the heartbeat is silent), the panel says so rather than "waiting" for ever."""
    report = report_get(organization=request.membership.organization, pk=pk)
    return render(
        request,
        "reports/partials/state.html",
        {
            "report": report,
            "verify_form": ReportVerifyForm(),
            "verify_max": VERIFY_MAX_BYTES,
            "worker_warning": report_worker_warning(report=report),
        },
    )


@member_required
@require_GET
def report_download(request, pk):
    """The stored PDF as an attachment, with its SHA-256 in `X-Content-SHA256`.

    A report that is not done has no PDF yet: this redirects back to the report's page with
    a message saying its state (the page shows the progress), rather than answering an error
    page. The API's /api/v1/reports/<id>/pdf answers 409 in that case instead.
    """
    report = report_get(organization=request.membership.organization, pk=pk)
    if report.status != Report.Status.DONE:
        state = {
            Report.Status.QUEUED: "it is still queued. The download button appears here as "
            "soon as it is done.",
            Report.Status.RUNNING: "it is still rendering. The download button appears here "
            "as soon as it is done.",
            Report.Status.FAILED: "rendering failed. Retry it below.",
        }[report.status]
        messages.warning(request, f"There is no PDF to download yet: {state}")
        return redirect("reports:detail", pk=report.pk)
    try:
        handle = report.file.open("rb")
    except (FileNotFoundError, ValueError):
        messages.error(
            request,
            "The stored PDF of this report is missing. Its SHA-256 is still recorded below; "
            "ask an administrator to restore the file from backup.",
        )
        return redirect("reports:detail", pk=report.pk)
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=True,
        filename=f"readiness-report-{report.pk}.pdf",
    )
    response["X-Content-SHA256"] = report.sha256
    response["Cache-Control"] = "private, no-store"
    return response


@member_required
@require_POST
def report_retry(request, pk):
    """Queue a failed report again, from the same snapshot. Any other state changes nothing
    and says why."""
    report = report_get(organization=request.membership.organization, pk=pk)
    try:
        services.report_retry(report=report, membership=request.membership)
    except Conflict as error:
        reasons = " ".join(r.message for r in error.reasons)
        messages.warning(request, f"{error.detail} {reasons}".strip())
    else:
        messages.success(
            request,
            "Queued again. It is rendered from the same snapshot, so it shows the data as of "
            "the original request.",
        )
    return redirect("reports:detail", pk=report.pk)


# --------------------------------------------------------------------------- verify


class _UploadSizeLimit(FileUploadHandler):
    """Stops keeping an uploaded file past `limit` bytes: the rest is read and discarded, and
    `exceeded` tells the view why the form got no file."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt  # checked by `_verify` below, once the size limit is in place
@member_required
@require_POST
def report_verify(request, pk):
    """Compare an uploaded file with the report's SHA-256 (the page form of
    `manage.py verify_report`). Files over 20 MB are refused without being stored."""
    # The upload handler must be in place before anything reads request.POST, and the CSRF
    # check reads it: hence csrf_exempt here and csrf_protect on the inner view (Django docs,
    # "Modifying upload handlers on the fly").
    limit = _UploadSizeLimit(request, VERIFY_MAX_BYTES)
    request.upload_handlers.insert(0, limit)
    return _verify(request, pk, limit)


@csrf_protect
def _verify(request, pk, limit: _UploadSizeLimit):
    report = report_get(organization=request.membership.organization, pk=pk)
    form = ReportVerifyForm(request.POST, request.FILES)
    if limit.exceeded:
        form.add_error(
            "file",
            f"This file is larger than {filesizeformat(VERIFY_MAX_BYTES)}, so it was not "
            "checked. A report's PDF is much smaller: it is not this report.",
        )
    if not form.is_valid():
        return _detail(request, report, verify_form=form, status=400)
    upload = form.cleaned_data["file"]
    matches = services.report_verify(report=report, data=upload.read())
    return _detail(
        request,
        report,
        verify={"matches": matches, "name": upload.name, "size": upload.size},
    )
