"""Outcome pages of an agent (SPEC §3-4): its metrics and horizon, posting a snapshot in a
form or by CSV upload, its thresholds, horizon advances and risk assessments; and the
organization's tool permissions to review.

Each view reads through the selectors or writes through one service of
agents/metric_services.py; the services decide (roles, rules, all-or-nothing imports) and their
errors become messages and field errors here. Every read is scoped to the member's
organization: another organization's agent is a 404 on every URL.
"""

import secrets
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.roles import (
    can_advance_horizon,
    can_change_thresholds,
    can_post_metrics,
    can_review_permissions,
)
from readiness.errors import Conflict, Forbidden, InvalidInput

from . import metric_charts, metric_services, metrics, rules
from .metric_charts import duration, number, percent
from .metric_forms import (
    AdvanceForm,
    ConfirmUploadForm,
    PermissionReviewForm,
    RiskAssessmentForm,
    SnapshotForm,
    ThresholdsForm,
    UploadForm,
    as_percent,
)
from .metric_selectors import (
    horizon_decision_list,
    permissions_to_review,
    risk_assessment_list,
    snapshot_queryset,
    snapshot_series,
)
from .models import Agent, Gate
from .selectors import agent_get, gate_states

PAGE_SIZE = 25
UPLOADS_KEY = "agent_metric_uploads"  # pending CSV uploads in the session, by token
MAX_PENDING_UPLOADS = 3
HORIZON_LABELS = dict(Agent.Horizon.choices)
FIELD_LABELS = {name: field.label for name, field in SnapshotForm.base_fields.items()}
RATE_THRESHOLDS = {"error_rate", "escalation_frequency", "task_completion_rate"}
BREACH_LABELS = {
    "error_rate": "Error rate",
    "escalation_frequency": "Escalation frequency",
    "task_completion_rate": "Task completion rate",
    "failed_tool_calls": "Failed tool calls per task",
    "policy_violations": "Policy violations",
    "quality_score": "Quality score",
    "calls_per_hour": "Calls per hour",
}
BELOW_THRESHOLDS = {"task_completion_rate", "quality_score"}
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
    "baseline_error_rate": 0.04,
    "failed_tool_calls": 12,
    "policy_violations": 0,
    "quality_score": 0.86,
    "calls_per_hour": 140,
}


def _agent(request, pk) -> Agent:
    return agent_get(organization=request.membership.organization, pk=pk)


def breach_text(breach) -> str:
    """A breach (a Breach or its stored dict) in page words: rates as percentages."""
    get = breach.get if isinstance(breach, dict) else lambda k: getattr(breach, k)
    name, value, limit = get("threshold"), get("value"), get("limit")
    label = BREACH_LABELS.get(name, str(name).replace("_", " ").capitalize())
    if name in RATE_THRESHOLDS or name == "failed_tool_calls":
        shown, shown_limit = percent(value), percent(limit)
    elif name == "quality_score":
        shown, shown_limit = f"{value:.2f}", f"{limit:g}"
    else:
        shown, shown_limit = f"{value:g}", f"{limit:g}"
    word = "below" if name in BELOW_THRESHOLDS else "above"
    return f"{label} {shown} is {word} {shown_limit}."


def _breach_message(agent, result: dict) -> str:
    texts = " ".join(breach_text(b) for b in result["breaches"])
    if result["suspended"]:
        return f"Alert threshold crossed: {texts} {agent.name} was suspended automatically."
    return f"Alert threshold crossed: {texts} {agent.name} was already suspended."


# --------------------------------------------------------------------------- the metrics page


def _comparison(delta: float | None, *, better: str, worse: str, same: str) -> dict:
    if delta is None:
        return {"text": "", "tone": ""}
    if abs(delta) < 1e-12:
        return {"text": same, "tone": "same"}
    if delta > 0:
        return {"text": better.format(percent(delta)), "tone": "better"}
    return {"text": worse.format(percent(-delta)), "tone": "worse"}


def _points(difference: float) -> str:
    """A difference of two rates in percentage points: 0.026 -> "2.6 percentage points"."""
    return percent(difference).removesuffix("%") + " percentage points"


def _outcomes(latest, t: metrics.Thresholds) -> list[dict]:
    """The latest snapshot's figures as cards: value, the human baseline, better or worse."""
    values = latest.values()
    f = metrics.derived_figures(values)
    no_tasks = "No tasks in this period: the rate has no denominator."
    error_fixed = t.advance_error_mode == "fixed" and t.advance_error_max is not None
    error_limit = t.advance_error_max if error_fixed else values["baseline_error_rate"]
    vs_people = f["error_rate_vs_baseline"]
    if vs_people is None:
        error_compare = {"text": "", "tone": ""}
    elif abs(vs_people) < 1e-12:
        error_compare = {"text": "the same as people", "tone": "same"}
    elif vs_people < 0:
        error_compare = {
            "text": f"{_points(-vs_people)} better than people",
            "tone": "better",
        }
    else:
        error_compare = {"text": f"{_points(vs_people)} worse than people", "tone": "worse"}
    return [
        {
            "key": "task_completion_rate",
            "label": "Task completion rate",
            "value": percent(f["task_completion_rate"]),
            "null_reason": no_tasks if f["task_completion_rate"] is None else "",
            "detail": f"{values['tasks_completed']:,} of {values['tasks']:,} tasks",
            "target": f"Advance needs ≥ {percent(t.advance_completion_min)}; "
            f"alert below {percent(t.alert_completion_min)}",
            "meets": None
            if f["task_completion_rate"] is None
            else f["task_completion_rate"] >= t.advance_completion_min,
        },
        {
            "key": "escalation_frequency",
            "label": "Escalation frequency",
            "value": percent(f["escalation_frequency"]),
            "null_reason": no_tasks if f["escalation_frequency"] is None else "",
            "detail": f"{values['escalations']:,} escalations",
            "target": f"Advance needs ≤ {percent(t.advance_escalation_max)}; "
            f"alert above {percent(t.alert_escalation_max)}",
            "meets": None
            if f["escalation_frequency"] is None
            else f["escalation_frequency"] <= t.advance_escalation_max,
        },
        {
            "key": "error_rate",
            "label": "Error rate",
            "value": percent(f["error_rate"]),
            "null_reason": no_tasks if f["error_rate"] is None else "",
            "baseline": percent(values["baseline_error_rate"]),
            "compare": error_compare,
            "detail": f"{values['errors']:,} errors",
            "target": (
                f"Advance needs ≤ {percent(error_limit)}"
                if error_fixed
                else "Advance needs ≤ people's rate"
            )
            + f"; alert above {percent(t.alert_error_rate_max)}",
            "meets": None if f["error_rate"] is None else f["error_rate"] <= error_limit,
        },
        {
            "key": "cost_per_resolved_case",
            "label": "Cost per resolved case",
            "value": number(f["cost_per_resolved_case"]),
            "null_reason": "No task was completed in this period: cost per resolved case has "
            "no denominator."
            if f["cost_per_resolved_case"] is None
            else "",
            "baseline": number(values["baseline_cost_per_case"]),
            "compare": _comparison(
                f["cost_reduction"],
                better="{} cheaper than people",
                worse="{} more expensive than people",
                same="the same as people",
            ),
            "compare_null": "People's cost per case is 0: no comparison."
            if f["cost_per_resolved_case"] is not None and f["cost_reduction"] is None
            else "",
            "detail": f"{number(values['cost'])} in total",
        },
        {
            "key": "cycle_time",
            "label": "Average cycle time",
            "value": duration(values["avg_cycle_time_s"]),
            "null_reason": "",
            "baseline": duration(values["baseline_cycle_time_s"]),
            "compare": _comparison(
                f["cycle_time_reduction"],
                better="{} faster than people",
                worse="{} slower than people",
                same="as fast as people",
            ),
            "compare_null": "People's cycle time is 0: no comparison."
            if f["cycle_time_reduction"] is None
            else "",
        },
    ]


def _snapshot_row(snapshot) -> dict:
    values = snapshot.values()
    figures = metrics.derived_figures(values)
    return {
        "snapshot": snapshot,
        "figures": figures,
        "breaches": [breach_text(b) for b in snapshot.breaches],
        "signals": [
            (label, shown)
            for label, shown in (
                ("failed tool calls", snapshot.failed_tool_calls),
                ("policy violations", snapshot.policy_violations),
                (
                    "quality",
                    None if snapshot.quality_score is None else f"{snapshot.quality_score:.2f}",
                ),
                (
                    "calls/h",
                    None if snapshot.calls_per_hour is None else f"{snapshot.calls_per_hour:g}",
                ),
            )
            if shown is not None
        ],
    }


def _horizon(agent, states, reasons, roles) -> dict:
    current = agent.horizon or ""
    target = metrics.next_horizon(current) if current else None
    return {
        "current": current,
        "label": HORIZON_LABELS.get(current, "Not in production"),
        "in_production": rules.in_production(states),
        "next": target,
        "next_label": HORIZON_LABELS.get(target, "") if target else "",
        "steps": [
            {
                "key": key,
                "label": label,
                "state": (
                    "current"
                    if key == current
                    else "done"
                    if current and metrics.HORIZONS.index(key) < metrics.HORIZONS.index(current)
                    else "later"
                ),
            }
            for key, label in Agent.Horizon.choices
        ],
        "reasons": reasons,
        "owner_blocked": any(r.code == "owner_cannot_decide" for r in reasons),
        "can_advance": can_advance_horizon(roles),
    }


def _curl_example(request, agent) -> str:
    url = request.build_absolute_uri(f"/api/v1/agents/{agent.pk}/metrics")
    body = (
        '{"period_start": "2025-01-01", "period_end": "2025-01-31",\n'
        '       "tasks": 1200, "tasks_completed": 1104, "escalations": 96, "errors": 30,\n'
        '       "cost": 1850.0, "avg_cycle_time_s": 240,\n'
        '       "baseline_cost_per_case": 6.5, "baseline_cycle_time_s": 1800,\n'
        '       "baseline_error_rate": 0.04}'
    )
    return (
        f"curl -X POST {url} \\\n"
        '  -H "Authorization: Bearer $READINESS_TOKEN" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{body}'"
    )


def _metrics_page(request, agent, *, advance_form=None, refusal=None, status=200):
    roles = request.membership.roles
    thresholds = metric_services.thresholds_of(agent)
    latest = metric_services.latest_snapshot(agent)
    reasons = metric_services.horizon_advance_reasons(agent=agent, membership=request.membership)
    if not can_advance_horizon(roles):
        reasons = [r for r in reasons if r.code != "owner_cannot_decide"]
    states = gate_states(agent)
    points = snapshot_series(agent=agent)
    page = Paginator(snapshot_queryset(agent=agent), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "agents/metrics/agent.html",
        {
            "agent": agent,
            "latest": latest,
            "latest_breaches": [breach_text(b) for b in latest.breaches] if latest else [],
            "outcomes": _outcomes(latest, thresholds) if latest else [],
            "latest_signals": _snapshot_row(latest)["signals"] if latest else [],
            "thresholds": thresholds,
            "horizon": _horizon(agent, states, reasons, roles),
            "advance_form": advance_form or AdvanceForm(),
            "refusal": refusal,
            "decisions": horizon_decision_list(agent=agent),
            "risk_assessments": risk_assessment_list(agent=agent),
            "page": page,
            "rows": [_snapshot_row(s) for s in page],
            "rates_chart": metric_charts.rates_chart(points, thresholds),
            "baseline_chart": metric_charts.baseline_chart(points),
            "curl_example": _curl_example(request, agent) if latest is None else "",
            "can_post": can_post_metrics(roles),
            "can_review": can_review_permissions(roles),
            "can_change_thresholds": can_change_thresholds(roles),
        },
        status=status,
    )


@require_GET
@member_required
def agent_metrics(request, pk):
    return _metrics_page(request, _agent(request, pk))


@require_POST
@member_required(allow=can_advance_horizon)
def horizon_advance(request, pk):
    agent = _agent(request, pk)
    form = AdvanceForm(request.POST)
    if not form.is_valid():
        return _metrics_page(request, agent, advance_form=form, status=400)
    try:
        decision = metric_services.horizon_advance(
            agent=agent, membership=request.membership, rationale=form.cleaned_data["rationale"]
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return _metrics_page(request, agent, advance_form=form, status=400)
    except Conflict as conflict:
        return _metrics_page(
            request,
            _agent(request, pk),
            advance_form=form,
            refusal={"title": conflict.detail, "reasons": [r.message for r in conflict.reasons]},
            status=409,
        )
    messages.success(
        request,
        f"“{agent.name}” advanced from {HORIZON_LABELS[decision.from_horizon].lower()} to "
        f"{HORIZON_LABELS[decision.to_horizon].lower()}.",
    )
    return redirect("metrics:agent", pk=agent.pk)


# --------------------------------------------------------------------------- one snapshot


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


@member_required(allow=can_post_metrics)
def snapshot_new(request, pk):
    agent = _agent(request, pk)
    thresholds = metric_services.thresholds_of(agent)
    form_kwargs = {"thresholds": thresholds, "api_calls_limit": agent.api_calls_per_hour}
    if request.method != "POST":
        latest = metric_services.latest_snapshot(agent)
        form = SnapshotForm(initial=_snapshot_initial(latest), **form_kwargs)
        return render(
            request, "agents/metrics/new.html", {"agent": agent, "form": form, "failed": False}
        )
    form = SnapshotForm(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            result = metric_services.metric_snapshot_post(
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
            return redirect("metrics:agent", pk=agent.pk)
    # The form has a field named "errors" (the count): templates read `failed`, not form.errors.
    return render(
        request,
        "agents/metrics/new.html",
        {"agent": agent, "form": form, "failed": True},
        status=400,
    )


# --------------------------------------------------------------------------- CSV upload


def _preview_rows(preview: list[dict], agent, thresholds) -> list[dict]:
    """Each previewed row in page words: its values, its errors by field label, its figures
    and the alert thresholds it would cross (saving it would suspend the agent)."""
    rows = []
    for item in preview:
        values, errors, figures = item["values"], item["errors"], item["figures"]
        breaches = []
        if not errors:
            clean, _ = metrics.validate_snapshot(values)
            breaches = [
                breach_text(b)
                for b in metrics.alert_breaches(
                    clean, figures, thresholds, agent.api_calls_per_hour
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
        "agents/metrics/upload.html",
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


@member_required(allow=can_post_metrics)
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
        rows = metric_services.parse_csv(form.cleaned_data["file"])
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return _upload_page(request, agent, form, status=400)
    name = request.FILES["file"].name
    preview = _preview_rows(
        metric_services.csv_preview(rows), agent, metric_services.thresholds_of(agent)
    )
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
        return redirect("metrics:upload", pk=agent.pk)
    try:
        rows = metric_services.parse_csv(upload["text"])
        results = metric_services.metric_snapshots_import(
            agent=agent, membership=request.membership, rows=rows
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput:
        # The rules changed between preview and confirm: show the rows again, nothing saved.
        preview = _preview_rows(
            metric_services.csv_preview(metric_services.parse_csv(upload["text"])),
            agent,
            metric_services.thresholds_of(agent),
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
            f"{len(others)} other snapshot(s) of the file also crossed alert thresholds; "
            "see the highlighted rows below.",
        )
    return redirect("metrics:agent", pk=agent.pk)


@require_GET
@member_required
def csv_template(request):
    header = ",".join(metrics.ALL_FIELDS)
    example = ",".join(str(TEMPLATE_ROW[name]) for name in metrics.ALL_FIELDS)
    response = HttpResponse(f"{header}\r\n{example}\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="metrics-template.csv"'
    return response


# --------------------------------------------------------------------------- thresholds


def _thresholds_page(request, agent, form, *, status=200):
    states = gate_states(agent)
    return render(
        request,
        "agents/metrics/thresholds.html",
        {
            "agent": agent,
            "form": form,
            "phase4_at_go": states.get(4) == Gate.State.GO,
            "can_change": can_change_thresholds(request.membership.roles),
        },
        status=status,
    )


@member_required
def thresholds_edit(request, pk):
    """Every member reads the thresholds; only an admin changes them."""
    agent = _agent(request, pk)
    can_change = can_change_thresholds(request.membership.roles)
    if request.method != "POST":
        form = ThresholdsForm(
            thresholds=metric_services.thresholds_of(agent), read_only=not can_change
        )
        return _thresholds_page(request, agent, form)
    if not can_change:
        raise PermissionDenied("Only an admin may change an agent's thresholds.")
    form = ThresholdsForm(request.POST, thresholds=metric_services.thresholds_of(agent))
    if form.is_valid():
        data = form.service_data()
        if not data:
            messages.info(request, "Nothing changed in the thresholds.")
            return redirect("metrics:thresholds", pk=agent.pk)
        phase4_was_go = gate_states(agent).get(4) == Gate.State.GO
        try:
            metric_services.thresholds_update(agent=agent, membership=request.membership, data=data)
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        else:
            messages.success(request, f"Saved the thresholds of “{agent.name}”.")
            if phase4_was_go and set(data) & set(metric_services.ALERT_FIELDS):
                messages.warning(
                    request,
                    "Phase 4 was at go: changing alert thresholds sent it to needs review "
                    "until an approver decides again.",
                )
            return redirect("metrics:thresholds", pk=agent.pk)
    return _thresholds_page(request, agent, form, status=400)


# --------------------------------------------------------------------------- risk assessments


@member_required(allow=can_review_permissions)
def risk_assessment_new(request, pk):
    agent = _agent(request, pk)
    form = RiskAssessmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            record = metric_services.risk_assessment_record(
                agent=agent, membership=request.membership, **form.cleaned_data
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        else:
            messages.success(
                request,
                f"Recorded the risk assessment of {record.get_scope_display().lower()} "
                f"“{record.subject}”.",
            )
            return redirect("metrics:agent", pk=agent.pk)
    return render(
        request,
        "agents/metrics/risk_new.html",
        {"agent": agent, "form": form},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------- permission reviews


@require_GET
@member_required
def permission_review_list(request):
    today = timezone.now().date()
    return render(
        request,
        "agents/metrics/permissions.html",
        {
            "items": permissions_to_review(
                organization=request.membership.organization, today=today
            ),
            "today": today,
            "can_review": can_review_permissions(request.membership.roles),
        },
    )


@require_POST
@member_required(allow=can_review_permissions)
def permission_review(request, pk, permission_id):
    """Revoke a flagged tool permission or mark it reviewed today; each is audited."""
    agent = _agent(request, pk)
    form = PermissionReviewForm(request.POST)
    back = reverse("metrics:permissions")
    if form.is_valid() and url_has_allowed_host_and_scheme(
        form.cleaned_data["next"], allowed_hosts={request.get_host()}, require_https=False
    ):
        back = form.cleaned_data["next"] or back
    if not form.is_valid():
        messages.error(request, "Choose revoke or mark reviewed: nothing changed.")
        return redirect(back)
    permission = next((p for p in agent.tool_permissions.all() if p.pk == permission_id), None)
    phase1_was_go = gate_states(agent).get(1) == Gate.State.GO
    try:
        metric_services.tool_permission_review(
            agent=agent,
            membership=request.membership,
            permission_id=permission_id,
            action=form.cleaned_data["action"],
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput:
        messages.error(request, "Choose revoke or mark reviewed: nothing changed.")
        return redirect(back)
    what = f"{permission.tool} ({permission.get_access_display().lower()})" if permission else ""
    if form.cleaned_data["action"] == "revoke":
        messages.success(request, f"Revoked {what} from “{agent.name}”.")
        if phase1_was_go:
            messages.warning(
                request,
                f"Phase 1 of “{agent.name}” was at go: it now needs review until an approver "
                "decides again.",
            )
    else:
        messages.success(request, f"Marked {what} of “{agent.name}” reviewed today.")
    return redirect(back)
