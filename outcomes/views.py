"""Outcome pages of an agent (docs/rules.md §3–4): its metrics and horizon, a horizon advance and
its thresholds. Posting snapshots (a form or a CSV upload) is in outcomes/snapshot_views.py.

Each view reads through the selectors or writes through one service of outcomes/services.py;
the services decide (roles, rules) and their errors become messages and field errors here.
Another organization's agent is a 404 on every URL.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from agents.models import Agent
from agents.selectors import risk_assessment_list
from core import permissions
from core.errors import Conflict, Forbidden, InvalidInput
from core.page_cache import cached_page
from core.permissions import by_roles
from core.templatetags.formatting import money
from core.tenancy import member_required, url_object
from gates import rules
from gates.models import Gate
from gates.selectors import agent_get, gate_states

from . import metrics, services
from .chart_cache import chart_svgs
from .charts import duration, number, percent
from .forms import (
    AdvanceForm,
    SnapshotForm,
)
from .selectors import horizon_decision_list, outcomes_agent_get, snapshot_queryset
from .templatetags.outcome_tags import cycle, pct
from .threshold_forms import ThresholdsForm

PAGE_SIZE = 25
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


def _day(value) -> str:
    """A date as the `date:"j M Y"` filter writes it ("5 Mar 2025")."""
    return f"{value.day} {value:%b %Y}"


def _snapshot_cells(snapshot, figures, currency) -> dict:
    """A snapshot row's figures as the table shows them, formatted once in Python with the
    same helpers as the template's filters: a date filter and a number filter per cell,
    for each row of the page, were a quarter of the page's time. None stays None (the
    template shows why there is no figure)."""

    def shown(value, show):
        return None if value is None else show(value)

    return {
        "period": f"{_day(snapshot.period_start)} – {_day(snapshot.period_end)}",
        "completion": shown(figures["task_completion_rate"], pct),
        "escalation": shown(figures["escalation_frequency"], pct),
        "error": shown(figures["error_rate"], pct),
        "error_people": pct(snapshot.baseline_error_rate),
        "cost": shown(figures["cost_per_resolved_case"], lambda v: money(v, currency)),
        "cost_people": money(snapshot.baseline_cost_per_case, currency),
        "cycle": cycle(snapshot.avg_cycle_time_s),
        "cycle_people": cycle(snapshot.baseline_cycle_time_s),
    }


def _snapshot_row(snapshot, currency=None) -> dict:
    values = snapshot.values()
    figures = metrics.derived_figures(values)
    return {
        "snapshot": snapshot,
        "figures": figures,
        "cells": _snapshot_cells(snapshot, figures, currency),
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


def _horizon(agent, states, reasons, member) -> dict:
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
        "can_advance": bool(permissions.may_advance_horizon(member)),
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
    member = request.membership
    thresholds = services.thresholds_of(agent)
    latest = services.latest_snapshot(agent)
    reasons = services.horizon_advance_reasons(agent=agent, membership=request.membership)
    if not permissions.may_advance_horizon(member):
        reasons = [r for r in reasons if r.code != "owner_cannot_decide"]
    # outcomes_agent_get reads the states in one light query; agent_get prefetched the gates
    states = agent.gate_state_map if hasattr(agent, "gate_state_map") else gate_states(agent)
    currency = request.membership.organization.currency
    svgs = chart_svgs(agent=agent, thresholds=thresholds, currency=currency)
    page = Paginator(snapshot_queryset(agent=agent), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "outcomes/agent.html",
        {
            "agent": agent,
            "latest": latest,
            "latest_breaches": [breach_text(b) for b in latest.breaches] if latest else [],
            "outcomes": _outcomes(latest, thresholds) if latest else [],
            "latest_signals": _snapshot_row(latest)["signals"] if latest else [],
            "thresholds": thresholds,
            "horizon": _horizon(agent, states, reasons, member),
            "advance_form": advance_form or AdvanceForm(),
            "refusal": refusal,
            "decisions": horizon_decision_list(agent=agent),
            "risk_assessments": risk_assessment_list(agent=agent),
            "page": page,
            "rows": [_snapshot_row(s, currency) for s in page],
            "rates_chart_svg": svgs["rates"],
            "baseline_chart_svg": svgs["baseline"],
            "curl_example": _curl_example(request, agent) if latest is None else "",
            "can_post": bool(permissions.may_post_metrics(member)),
            "can_review": bool(permissions.may_review_permissions(member)),
            "can_change_thresholds": bool(permissions.may_change_thresholds(member)),
        },
        status=status,
    )


@require_GET
@member_required
@cached_page
def agent_metrics(request, pk):
    organization = request.membership.organization
    return _metrics_page(request, outcomes_agent_get(organization=organization, pk=pk))


@require_POST
@member_required(allow=by_roles(permissions.may_advance_horizon), objects=url_object(agent_get))
def horizon_advance(request, pk):
    agent = _agent(request, pk)
    form = AdvanceForm(request.POST)
    if not form.is_valid():
        return _metrics_page(request, agent, advance_form=form, status=400)
    try:
        decision = services.horizon_advance(
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
    return redirect("outcomes:agent", pk=agent.pk)


def _thresholds_page(request, agent, form, *, status=200):
    states = gate_states(agent)
    return render(
        request,
        "outcomes/thresholds.html",
        {
            "agent": agent,
            "form": form,
            "phase4_at_go": states.get(4) == Gate.State.GO,
            "can_change": bool(permissions.may_change_thresholds(request.membership)),
        },
        status=status,
    )


@member_required
def thresholds_edit(request, pk):
    """Every member reads the thresholds; only an admin changes them."""
    agent = _agent(request, pk)
    can_change = bool(permissions.may_change_thresholds(request.membership))
    if request.method != "POST":
        form = ThresholdsForm(thresholds=services.thresholds_of(agent), read_only=not can_change)
        return _thresholds_page(request, agent, form)
    if not can_change:
        raise PermissionDenied("Only an admin may change an agent's thresholds.")
    form = ThresholdsForm(request.POST, thresholds=services.thresholds_of(agent))
    if form.is_valid():
        data = form.service_data()
        if not data:
            messages.info(request, "Nothing changed in the thresholds.")
            return redirect("outcomes:thresholds", pk=agent.pk)
        phase4_was_go = gate_states(agent).get(4) == Gate.State.GO
        try:
            services.thresholds_update(agent=agent, membership=request.membership, data=data)
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        else:
            messages.success(request, f"Saved the thresholds of “{agent.name}”.")
            if phase4_was_go and set(data) & set(services.ALERT_FIELDS):
                messages.warning(
                    request,
                    "Phase 4 was at go: changing alert thresholds sent it to needs review "
                    "until an approver decides again.",
                )
            return redirect("outcomes:thresholds", pk=agent.pk)
    return _thresholds_page(request, agent, form, status=400)
