"""Posting an agent's outcome metrics from the pages: one snapshot in a form, or a CSV file with
a preview in which nothing is saved while any row is bad (docs/rules.md §3)."""

import secrets
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import permissions
from core.errors import Forbidden, InvalidInput
from core.permissions import by_roles
from core.tenancy import member_required, url_object
from gates.selectors import agent_get

from . import metrics, selectors, services
from .charts import percent
from .forms import (
    ConfirmUploadForm,
    SnapshotForm,
    UploadForm,
    as_percent,
)
from .views import FIELD_LABELS, _agent, _breach_message, breach_text

UPLOADS_KEY = "agent_metric_uploads"  # pending CSV uploads in the session, by token
MAX_PENDING_UPLOADS = 3
TEMPLATE_ROW = {
    "period_start": "2025-01-01",
    "period_end": "2025-01-31",
    "tasks": 1200,
    "tasks_completed": 1104,
    "escalations": 96,
    "errors": 30,
    "cost": 1850.00,
    "avg_cycle_time_s": 240,
    "baseline_cost_per_case": 6.50,
    "baseline_cycle_time_s": 1800,
    "baseline_error_rate": "4%",  # a percentage with its sign; 0.04 means the same
    "failed_tool_calls": 12,
    "policy_violations": 0,
    "quality_score": 0.86,
    "calls_per_hour": 140,
}


def _plain(value: float):
    """1800.0 -> 1800 (what a number field shows), 6.5 -> 6.5."""
    return int(value) if float(value).is_integer() else value


def _snapshot_initial(latest) -> dict:
    """Carry the baseline over from the latest snapshot and start the next period after it."""
    if latest is None:
        return {}
    return {
        "period_start": latest.period_end + timedelta(days=1),
        "baseline_cost_per_case": _plain(latest.baseline_cost_per_case),
        "baseline_cycle_time_s": _plain(latest.baseline_cycle_time_s),
        "baseline_error_rate": as_percent(latest.baseline_error_rate),
    }


@member_required(allow=by_roles(permissions.may_post_metrics), objects=url_object(agent_get))
def snapshot_new(request, pk):
    agent = _agent(request, pk)
    thresholds = services.thresholds_of(agent)
    form_kwargs = {"thresholds": thresholds, "api_calls_limit": agent.api_calls_per_hour}
    if request.method != "POST":
        latest = services.latest_snapshot(agent)
        form = SnapshotForm(initial=_snapshot_initial(latest), **form_kwargs)
        return render(request, "outcomes/new.html", {"agent": agent, "form": form, "failed": False})
    form = SnapshotForm(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            result = services.metric_snapshot_post(
                agent=agent, membership=request.membership, data=form.service_data()
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        else:
            snapshot, figures = result["snapshot"], result["figures"]
            if result["breaches"]:
                messages.error(request, _breach_message(agent, result))
            else:
                messages.success(
                    request,
                    f"Saved the snapshot of {snapshot.period_start:%d %b %Y} to "
                    f"{snapshot.period_end:%d %b %Y}: completion "
                    f"{percent(figures['task_completion_rate'])}, escalation "
                    f"{percent(figures['escalation_frequency'])}, error rate "
                    f"{percent(figures['error_rate'])}.",
                )
            return redirect("outcomes:agent", pk=agent.pk)
    # The form has a field named "errors" (the count): templates read `failed`, not form.errors.
    return render(
        request,
        "outcomes/new.html",
        {"agent": agent, "form": form, "failed": True},
        status=400,
    )


def _preview_rows(preview: list[dict], agent, thresholds) -> list[dict]:
    """Each previewed row in page words: its values, its errors by field label, its figures
    and the alert thresholds it would cross (saving it would suspend the agent)."""
    rows = []
    for item in preview:
        values, errors, figures = item["values"], item["errors"], item["figures"]
        breaches = []
        if item["clean"] is not None:
            breaches = [
                breach_text(b)
                for b in metrics.alert_breaches(
                    item["clean"], figures, thresholds, agent.api_calls_per_hour
                )
            ]
        rows.append(
            {
                "row": item["row"],
                "values": values,
                "errors": [
                    (FIELD_LABELS.get(field, "Row") if field != "__all__" else "Row", message)
                    for field, messages_ in errors.items()
                    for message in messages_
                ],
                "error_fields": set(errors),
                "figures": figures,
                "breaches": breaches,
                "signals": [
                    (label, values.get(key))
                    for key, label in (
                        ("failed_tool_calls", "failed tool calls"),
                        ("policy_violations", "policy violations"),
                        ("quality_score", "quality"),
                        ("calls_per_hour", "calls/h"),
                    )
                    if values.get(key) is not None
                ],
            }
        )
    return rows


def _csv_preview(agent, rows: list[dict]) -> list[dict]:
    """The rows checked as the import will check them: today's date, the agent's periods."""
    return services.csv_preview(
        rows, today=timezone.now().date(), existing=selectors.snapshot_periods(agent=agent)
    )


def _pending_uploads(request) -> dict:
    return request.session.get(UPLOADS_KEY, {})


def _keep_upload(request, agent, text: str, name: str) -> str:
    token = secrets.token_urlsafe(16)
    pending = _pending_uploads(request)
    while len(pending) >= MAX_PENDING_UPLOADS:
        pending.pop(next(iter(pending)))
    pending[token] = {"agent": agent.pk, "text": text, "name": name}
    request.session[UPLOADS_KEY] = pending
    return token


def _take_upload(request, agent, token: str) -> dict | None:
    pending = _pending_uploads(request)
    upload = pending.get(token)
    if upload is None or upload["agent"] != agent.pk:
        return None
    del pending[token]
    request.session[UPLOADS_KEY] = pending
    return upload


def _upload_page(request, agent, form, *, preview=None, token="", name="", status=200):
    rows = preview or []
    bad = [row for row in rows if row["errors"]]
    return render(
        request,
        "outcomes/upload.html",
        {
            "agent": agent,
            "form": form,
            "rows": rows,
            "bad": bad,
            "token": token,
            "file_name": name,
            "breaching": [row for row in rows if row["breaches"]],
            "required_fields": metrics.REQUIRED_FIELDS,
            "optional_fields": metrics.OPTIONAL_FIELDS,
        },
        status=status,
    )


@member_required(allow=by_roles(permissions.may_post_metrics), objects=url_object(agent_get))
def snapshot_upload(request, pk):
    """Upload a CSV, see every row (its errors or its figures), then confirm to save all."""
    agent = _agent(request, pk)
    if request.method != "POST":
        return _upload_page(request, agent, UploadForm())
    if "token" in request.POST:
        return _confirm_upload(request, agent)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, agent, form, status=400)
    try:
        rows = services.parse_csv(form.cleaned_data["file"])
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return _upload_page(request, agent, form, status=400)
    name = request.FILES["file"].name
    preview = _preview_rows(_csv_preview(agent, rows), agent, services.thresholds_of(agent))
    # bandit B105 is a false positive here: the pending upload's key, empty until the file is good.
    token = ""  # nosec B105
    if not any(row["errors"] for row in preview):
        token = _keep_upload(request, agent, form.cleaned_data["file"], name)
    return _upload_page(request, agent, UploadForm(), preview=preview, token=token, name=name)


def _confirm_upload(request, agent):
    form = ConfirmUploadForm(request.POST)
    upload = _take_upload(request, agent, form.data.get("token", "")) if form.is_valid() else None
    if upload is None:
        messages.warning(
            request,
            "That upload is no longer waiting for confirmation (it was saved, replaced or has "
            "expired): nothing was saved. Upload the file again.",
        )
        return redirect("outcomes:upload", pk=agent.pk)
    try:
        rows = services.parse_csv(upload["text"])
        results = services.metric_snapshots_import(
            agent=agent, membership=request.membership, rows=rows
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput:
        # The rules changed between preview and confirm: show the rows again, nothing saved.
        preview = _preview_rows(
            _csv_preview(agent, services.parse_csv(upload["text"])),
            agent,
            services.thresholds_of(agent),
        )
        return _upload_page(
            request, agent, UploadForm(), preview=preview, name=upload["name"], status=400
        )
    messages.success(
        request,
        f"Saved {len(results)} snapshot{'s' if len(results) != 1 else ''} from {upload['name']}.",
    )
    suspending = next((r for r in results if r["suspended"]), None)
    if suspending is not None:
        messages.error(request, _breach_message(agent, suspending))
    others = [r for r in results if r["breaches"] and r is not suspending]
    if others:
        messages.warning(
            request,
            f"{len(others)} other snapshot{'s' if len(others) != 1 else ''} of the file also "
            "crossed alert thresholds; see the highlighted rows below.",
        )
    return redirect("outcomes:agent", pk=agent.pk)


@require_GET
@member_required
def csv_template(request):
    header = ",".join(metrics.ALL_FIELDS)
    example = ",".join(str(TEMPLATE_ROW[name]) for name in metrics.ALL_FIELDS)
    response = HttpResponse(f"{header}\r\n{example}\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="metrics-template.csv"'
    return response
