"""Agent pages: the gate board, registering an agent, the agent page with its timeline, editing
its records, the four gate pages, the kill switch (suspend, resume, drills) and runtime tokens.

Each view reads through the selectors or writes through one service of agents/services.py; the
services decide (roles, separation of duties, rules, stale versions) and their errors become
messages and field errors here. Every read is scoped to the member's organization: another
organization's agent is a 404.
"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.roles import (
    can_decide_gate,
    can_edit_agent,
    can_end_drill,
    can_manage_agent_tokens,
    can_resume_agent,
    can_review_permissions,
    can_suspend_agent,
)
from accounts.selectors import member_list
from audit.models import AuditEntry
from readiness.errors import Conflict, Forbidden, InvalidInput

from . import rules, services
from .checklists import PHASES, phase_definition, phases
from .forms import (
    AgentForm,
    AgentRecordsForms,
    AgentTokenForm,
    BoardFilterForm,
    ChecklistForm,
    DecisionForm,
    ReasonForm,
)
from .models import Gate
from .selectors import (
    agent_get,
    agent_list,
    business_units,
    drill_get,
    drill_list,
    gate_detail,
    gate_states,
    gates_detail,
    latest_figures,
    open_suspension,
    readiness_facts,
)
from .templatetags.agent_tags import review_reason

TIMELINE_STEP = 50
PRODUCTION = rules.PRODUCTION
# Which records each gate's go depends on (agents.services.GOVERNANCE_PHASE, in words).
GOVERNED_BY_GATE = {
    1: "the owner, decision boundaries, escalation paths or tool permissions",
    3: "the guardrail limits",
}


def _organization(request):
    return request.membership.organization


def _agent(request, pk):
    return agent_get(organization=_organization(request), pk=pk)


def _members(request):
    return list(member_list(organization=_organization(request)))


def _conflict_text(conflict: Conflict) -> str:
    return " ".join([conflict.detail, *(r.message for r in conflict.reasons)])


def _codes(conflict: Conflict) -> set[str]:
    return {r.code for r in conflict.reasons}


# --------------------------------------------------------------------------- gate board

_AGENTS_PREFIX = "/agents/"  # checked against reverse() by tests/agents/test_board.py


def _day(moment) -> str:
    return f"{moment.day} {moment:%b %Y}" if moment else ""


def _board_row(agent, *, now, reassessment_due: bool, figures=None) -> dict:
    """One agent's line of the board, from prefetched gates and annotations (no query).
    URLs are joined from prefixes reversed once per page: reversing six URLs for each of
    hundreds of rows was most of the page's time."""
    gates = {gate.phase: gate for gate in agent.gates.all()}
    states = {phase: gate.state for phase, gate in gates.items()}
    phase = rules.agent_phase(states)
    in_production = phase == PRODUCTION
    detail_url = f"{_AGENTS_PREFIX}{agent.pk}/"
    return {
        "agent": agent,
        "detail_url": detail_url,
        "suspend_url": f"{detail_url}suspend/",
        "figures": figures,
        "cells": [
            {
                "url": f"{detail_url}gates/{number}/",
                "phase": number,
                "state": gates[number].state if number in gates else "pending",
                "decision": getattr(gates.get(number), "last_decision", None),
                "decided_at": getattr(gates.get(number), "last_decided_at", None),
                # Formatted here: the date filter's locale lookups, twice for each of
                # hundreds of cells, were a large share of the page's time.
                "decided_on": _day(getattr(gates.get(number), "last_decided_at", None)),
                "decided_by": getattr(gates.get(number), "last_decided_by", None),
            }
            for number in PHASES
        ],
        "phase": phase,
        "in_production": in_production,
        "needs_review": "needs_review" in states.values(),
        "drill_flag": rules.drill_flag(agent.last_drill_at, now),
        "reassessment_due": in_production and reassessment_due,
    }


def _summary(rows: list[dict]) -> dict:
    per_phase = dict.fromkeys((*PHASES, PRODUCTION), 0)
    for row in rows:
        per_phase[row["phase"]] += 1
    return {
        "total": len(rows),
        "per_phase": [
            {"phase": phase, "count": count, "label": "Production" if phase == PRODUCTION else ""}
            for phase, count in per_phase.items()
        ],
        "suspended": sum(1 for row in rows if row["agent"].is_suspended),
        "needs_review": sum(1 for row in rows if row["needs_review"]),
        "drill_flags": sum(1 for row in rows if row["drill_flag"] != "ok"),
    }


def _short_name(name: str) -> str:
    """ "Monitoring, tracing and observability" -> "Monitoring" (the column header)."""
    return name.split(",")[0].split(" and ")[0]


@require_GET
@member_required
def agent_board(request):
    """The page a CTO opens on Monday: every agent, its four gates, the kill switch's flags."""
    organization = _organization(request)
    members = _members(request)
    units = business_units(organization=organization)
    form = BoardFilterForm(request.GET or None, members=members, business_units=units)
    filters = form.filters()
    now = timezone.now()
    # The readiness facts are read once per page, whatever the number of agents.
    reassessment_due = rules.reassessment_due(readiness_facts(organization=organization), now)
    agents = agent_list(organization=organization, **filters)
    figures = latest_figures(agents=agents)
    rows = [
        _board_row(agent, now=now, reassessment_due=reassessment_due, figures=figures.get(agent.pk))
        for agent in agents
    ]
    if form.is_filtered:
        everyone = [
            _board_row(agent, now=now, reassessment_due=reassessment_due)
            for agent in agent_list(organization=organization)
        ]
    else:
        everyone = rows
    return render(
        request,
        "agents/board.html",
        {
            "form": form,
            "rows": rows,
            "summary": _summary(everyone),
            "filtered": form.is_filtered,
            "order": filters["order"],
            "phases": [
                {"phase": p, "name": phases()[p].name, "short": _short_name(phases()[p].name)}
                for p in PHASES
            ],
            "can_register": can_edit_agent(request.membership.roles),
            "can_suspend": can_suspend_agent(request.membership.roles),
        },
    )


@require_GET
@member_required
def agent_index(request):
    return redirect("agents:board")


# --------------------------------------------------------------------------- register


@member_required(allow=can_edit_agent)
def agent_new(request):
    organization = _organization(request)
    units = business_units(organization=organization)
    form = AgentForm(request.POST or None, members=_members(request), business_units=units)
    if request.method == "POST" and form.is_valid():
        try:
            agent = services.agent_create(membership=request.membership, data=form.service_data())
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        else:
            messages.success(
                request,
                f"Registered “{agent.name}”. Next: record its decision boundaries, escalation "
                "paths, tool permissions and guardrails, then fill phase 1's checklist.",
            )
            return redirect("agents:detail", pk=agent.pk)
    return render(
        request,
        "agents/new.html",
        {"form": form, "business_units": units},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------- agent page

ITEM_LABELS = {item.key: item.label for p in phases().values() for item in p.items}
ITEM_ORDER = {key: position for position, key in enumerate(ITEM_LABELS)}
RECORD_LABELS = {
    "name": "Name",
    "purpose": "Purpose",
    "business_unit": "Business unit",
    "owner": "Owner",
    "decision_boundaries": "Decision boundaries",
    "escalation_paths": "Escalation paths",
    "tool_permissions": "Tool permissions",
    "guardrails": "Guardrail limits",
}
LIST_KEYS = {
    "decision_boundaries": "decision",
    "escalation_paths": "failure_state",
    "tool_permissions": "tool",
}
GUARDRAIL_LABELS = {
    "api_calls_per_hour": "API calls per hour",
    "tokens_per_session": "Tokens per session",
    "sequential_actions_before_confirmation": "Sequential actions before confirmation",
    "monthly_budget": "Monthly budget",
}
PHASE_IN_LABEL = re.compile(r" phase (\d)$")


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


def _record_changes(before: dict, after: dict) -> list[str]:
    lines = []
    for key, new in after.items():
        old = before.get(key)
        label = RECORD_LABELS.get(key, key)
        if key in LIST_KEYS:
            name = LIST_KEYS[key]
            old_rows = {r.get(name): r for r in old or []}
            new_rows = {r.get(name): r for r in new or []}
            parts = []
            added = [n for n in new_rows if n not in old_rows]
            removed = [n for n in old_rows if n not in new_rows]
            changed = [n for n in new_rows if n in old_rows and new_rows[n] != old_rows[n]]
            if added:
                parts.append("added " + ", ".join(map(str, added)))
            if removed:
                parts.append("removed " + ", ".join(map(str, removed)))
            if changed:
                parts.append("changed " + ", ".join(map(str, changed)))
            lines.append(f"{label}: " + ("; ".join(parts) or "reordered"))
        elif key == "guardrails":
            for limit, value in (new or {}).items():
                was = (old or {}).get(limit)
                if was != value:
                    lines.append(
                        f"{GUARDRAIL_LABELS.get(limit, limit)}: {_shown(was)} → {_shown(value)}"
                    )
        else:
            lines.append(f"{label}: {_shown(old)} → {_shown(new)}")
    return lines


def _timeline_item(entry: AuditEntry) -> dict:
    """One audit entry of the agent, in words."""
    before, after = entry.before or {}, entry.after or {}
    action = entry.action
    match = PHASE_IN_LABEL.search(entry.object_label)
    phase = after.get("phase") or (int(match.group(1)) if match else None)
    item = {"entry": entry, "phase": phase, "lines": [], "kind": "records", "title": action}
    if action == "agent.created":
        item.update(title="Registered", kind="records")
        item["lines"] = [f"Owner: {after.get('owner', '—')}"]
    elif action == "agent.updated":
        item.update(title="Records edited", kind="records", lines=_record_changes(before, after))
    elif action == "gate.checklist_changed":
        item.update(title=f"Phase {phase} checklist changed", kind="checklist")
        for key in sorted(after, key=lambda k: ITEM_ORDER.get(k, len(ITEM_ORDER))):
            new, old = after[key], before.get(key) or {}
            label = ITEM_LABELS.get(key, key)
            parts = []
            if new.get("met") != old.get("met"):
                parts.append("met" if new.get("met") else "not met")
            if new.get("evidence") != old.get("evidence"):
                parts.append(f"evidence “{_shown(new.get('evidence'))}”")
            item["lines"].append(f"{label}: " + ", ".join(parts or ["unchanged"]))
    elif action == "gate.decided":
        word = "Go" if after.get("decision") == "go" else "No-go"
        item.update(title=f"Phase {phase}: {word}", kind=f"decision-{after.get('decision')}")
        item["lines"] = [f"Rationale: {after.get('rationale', '')}"]
        if after.get("unmet_items"):
            item["lines"].append(
                "Unmet: " + "; ".join(ITEM_LABELS.get(k, k) for k in after["unmet_items"])
            )
    elif action == "gate.needs_review":
        item.update(title=f"Phase {phase} needs review", kind="needs_review")
        item["lines"] = [f"Because {review_reason(after.get('why', ''))}."]
    elif action == "prompt_version.posted":
        ships = after.get("ship")
        item.update(
            title=f"Prompt version {after.get('tag')} "
            + ("posted: may ship" if ships else "posted: may not ship"),
            kind="prompt",
        )
        if not ships and after.get("reasons"):
            item["lines"] = ["Refused: " + ", ".join(r.replace("_", " ") for r in after["reasons"])]
    elif action.startswith("agent.suspended."):
        kind = after.get("kind", action.rsplit(".", 1)[-1])
        title = {"drill": "Kill-switch drill started", "automatic": "Suspended automatically"}.get(
            kind, "Suspended"
        )
        item.update(title=title, kind="suspended")
        item["lines"] = [f"Reason: {after.get('reason', '')}"]
    elif action == "agent.resumed":
        item.update(title="Resumed", kind="resumed", lines=[f"Reason: {after.get('reason', '')}"])
    elif action == "agent.drill_ended":
        item.update(title="Kill-switch drill ended", kind="resumed")
        ttl = after.get("time_to_stop_s")
        item["lines"] = [
            f"Time to stop: {ttl:.1f} s"
            if ttl is not None
            else "Time to stop: the runtime never read the suspension"
        ]
    elif action == "agent_token.created":
        item.update(title="Runtime token created", kind="token")
        item["lines"] = [f"{after.get('name', '')} ({after.get('prefix', '')}…)"]
    return item


def _timeline(agent, limit: int) -> tuple[list[dict], bool]:
    """The agent's audit entries, newest first (checklist changes, decisions, suspensions,
    resumes, drills, record edits), and whether there are more than `limit`."""
    entries = list(
        AuditEntry.objects.filter(
            organization=agent.organization,
            object_type="agents.Agent",
            object_id=str(agent.pk),
        ).order_by("-created_at", "-id")[: limit + 1]
    )
    return [_timeline_item(e) for e in entries[:limit]], len(entries) > limit


def _timeline_limit(request) -> int:
    try:
        value = int(request.GET.get("timeline", TIMELINE_STEP))
    except ValueError:
        value = TIMELINE_STEP
    return max(TIMELINE_STEP, min(value, 20 * TIMELINE_STEP))


def _gate_summaries(agent) -> list[dict]:
    rows = []
    for gate in gates_detail(agent=agent):
        definition = phase_definition(gate.phase)
        met = {item.key for item in gate.items.all() if item.met}
        decisions = list(gate.decisions.all())
        rows.append(
            {
                "gate": gate,
                "name": definition.name,
                "met": len(met & set(definition.keys)),
                "of": len(definition.keys),
                "latest": decisions[0] if decisions else None,
                "decisions": decisions,
            }
        )
    return rows


def _detail_page(
    request,
    agent,
    *,
    resume_form=None,
    token_form=None,
    raw_token=None,
    created_token=None,
    status=200,
):
    roles = request.membership.roles
    now = timezone.now()
    suspension = open_suspension(agent=agent) if agent.is_suspended else None
    drills = list(drill_list(agent=agent)[:5])
    last_drill = drills[0] if drills else None
    limit = _timeline_limit(request)
    timeline, more = _timeline(agent, limit)
    gates = _gate_summaries(agent)
    states = {row["gate"].phase: row["gate"].state for row in gates}
    today = now.date()
    tools = [
        {
            "permission": t,
            "flags": rules.permission_review_reasons(
                last_used=t.last_used,
                last_reviewed=t.last_reviewed,
                created=t.created_at.date(),
                today=today,
            ),
        }
        for t in agent.tool_permissions.all()
    ]
    is_manager = can_manage_agent_tokens(roles)
    response = render(
        request,
        "agents/detail.html",
        {
            "agent": agent,
            "phase": rules.agent_phase(states),
            "gates": gates,
            "suspension": suspension,
            "open_drill": suspension if suspension and suspension.kind == "drill" else None,
            "drills": drills,
            "last_drill": last_drill,
            "drill_flag": rules.drill_flag(last_drill.started_at if last_drill else None, now),
            "tools": tools,
            "guardrails": [
                (GUARDRAIL_LABELS[key], value) for key, value in agent.guardrails().items()
            ],
            "prompt_versions": list(agent.prompt_versions.select_related("created_by")[:20]),
            "timeline": timeline,
            "timeline_more": more,
            "timeline_next": limit + TIMELINE_STEP,
            "resume_form": resume_form
            or ReasonForm(
                prefix="resume",
                label="Reason for resuming",
                help_text="What was checked or fixed. Recorded with your name.",
            ),
            "token_form": token_form or AgentTokenForm(prefix="token"),
            "tokens": list(agent.tokens.all()) if is_manager else [],
            "raw_token": raw_token,
            "created_token": created_token,
            "can_edit": can_edit_agent(roles),
            "can_review": can_review_permissions(roles),
            "can_suspend": can_suspend_agent(roles),
            "can_resume": can_resume_agent(roles),
            "can_end_drill": can_end_drill(roles),
            "can_manage_tokens": is_manager,
            "is_owner": request.user.pk == agent.owner_id,
        },
        status=status,
    )
    if raw_token:
        # The raw token is shown once: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@require_GET
@member_required
def agent_detail(request, pk):
    return _detail_page(request, _agent(request, pk))


# --------------------------------------------------------------------------- edit records


def _edit_page(request, agent, bundle, *, status=200, stale=None, refusal=None):
    states = gate_states(agent)
    return render(
        request,
        "agents/edit.html",
        {
            "agent": agent,
            "bundle": bundle,
            "form": bundle.form,
            "business_units": business_units(organization=_organization(request)),
            "review_warnings": [
                {"phase": phase, "what": what}
                for phase, what in GOVERNED_BY_GATE.items()
                if states.get(phase) == Gate.State.GO
            ],
            "stale": stale,
            "refusal": refusal,
        },
        status=status,
    )


@member_required(allow=can_edit_agent)
def agent_edit(request, pk):
    agent = _agent(request, pk)
    members = _members(request)
    if request.method != "POST":
        return _edit_page(request, agent, AgentRecordsForms(agent=agent, members=members))
    bundle = AgentRecordsForms(request.POST, agent=agent, members=members)
    if bundle.is_valid():
        before = gate_states(agent)
        try:
            updated = services.agent_update(
                agent=agent,
                membership=request.membership,
                data=bundle.service_data(),
                expected_version=bundle.version,
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            bundle.add_service_errors(error.errors)
        except Conflict as conflict:
            if "stale_version" not in _codes(conflict):
                # e.g. a new tool in optimization without its risk assessment: keep the input.
                return _edit_page(
                    request,
                    agent,
                    bundle,
                    status=409,
                    refusal={
                        "title": conflict.detail,
                        "reasons": [r.message for r in conflict.reasons],
                    },
                )
            fresh = _agent(request, pk)
            return _edit_page(
                request,
                fresh,
                AgentRecordsForms(agent=fresh, members=members),
                status=409,
                stale=(
                    f"Someone saved {fresh.name} after you opened this page (it is now at "
                    f"version {fresh.version}). Nothing of yours was saved: their records are "
                    "shown below; make your changes again."
                ),
            )
        else:
            review = sorted(
                gate.phase
                for gate in updated.gates.all()
                if gate.state == Gate.State.NEEDS_REVIEW and before.get(gate.phase) == "go"
            )
            messages.success(request, f"Saved the records of “{updated.name}”.")
            for phase in review:
                messages.warning(
                    request,
                    f"Phase {phase} was at go and now needs review: an approver must decide "
                    "it again.",
                )
            return redirect("agents:detail", pk=agent.pk)
    return _edit_page(request, agent, bundle, status=400)


# --------------------------------------------------------------------------- gates


def _gate_page(
    request,
    agent,
    gate,
    *,
    checklist_form=None,
    decision_form=None,
    refusal=None,
    status=200,
):
    roles = request.membership.roles
    definition = phase_definition(gate.phase)
    items = {item.key: item for item in gate.items.all()}
    can_fill = can_edit_agent(roles)
    can_decide = can_decide_gate(roles)
    reasons = services.gate_go_reasons(agent=agent, phase=gate.phase, membership=request.membership)
    if not can_decide:
        reasons = [r for r in reasons if r.code != "owner_cannot_decide"]
    owner_blocked = any(r.code == "owner_cannot_decide" for r in reasons)
    checklist_form = checklist_form or ChecklistForm(
        definition=definition, items=items, read_only=not can_fill
    )
    decision_form = decision_form or DecisionForm(
        initial={"version": gate.version}, go_blocked=bool(reasons)
    )
    rows = []
    for row in checklist_form.rows():
        item = items.get(row["item"].key)
        rows.append({**row, "record": item})
    return render(
        request,
        "agents/gate.html",
        {
            "agent": agent,
            "gate": gate,
            "definition": definition,
            "tabs": [
                {
                    "phase": g.phase,
                    "name": phases()[g.phase].name,
                    "short": _short_name(phases()[g.phase].name),
                    "state": g.state,
                }
                for g in agent.gates.all()
            ],
            "checklist_form": checklist_form,
            "rows": rows,
            "met": sum(1 for key in definition.keys if items.get(key) and items[key].met),
            "of": len(definition.keys),
            "decision_form": decision_form,
            "decisions": list(gate.decisions.all()),
            "go_reasons": reasons,
            "owner_blocked": owner_blocked,
            "refusal": refusal,
            "can_fill": can_fill,
            "can_decide": can_decide,
        },
        status=status,
    )


@require_GET
@member_required
def gate_page(request, pk, phase):
    agent = _agent(request, pk)
    return _gate_page(request, agent, gate_detail(agent=agent, phase=phase))


@require_POST
@member_required(allow=can_edit_agent)
def gate_checklist(request, pk, phase):
    agent = _agent(request, pk)
    gate = gate_detail(agent=agent, phase=phase)
    definition = phase_definition(phase)
    items = {item.key: item for item in gate.items.all()}
    form = ChecklistForm(request.POST, definition=definition, items=items)
    if form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, "Nothing changed in the checklist.")
            return redirect("agents:gate", pk=agent.pk, phase=phase)
        try:
            services.checklist_update(
                agent=agent, phase=phase, membership=request.membership, changes=changes
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        else:
            met = sum(
                1
                for key in definition.keys
                if changes.get(key, {}).get("met", items.get(key) and items[key].met)
            )
            messages.success(
                request,
                f"Checklist of phase {phase} saved: {met} of {len(definition.keys)} items met.",
            )
            if gate.state == Gate.State.GO:
                messages.warning(
                    request,
                    f"Phase {phase} was at go: it now needs review until an approver decides "
                    "again.",
                )
            return redirect("agents:gate", pk=agent.pk, phase=phase)
    return _gate_page(request, agent, gate, checklist_form=form, status=400)


@require_POST
@member_required(allow=can_decide_gate)
def gate_decision(request, pk, phase):
    agent = _agent(request, pk)
    gate = gate_detail(agent=agent, phase=phase)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _gate_page(request, agent, gate, decision_form=form, status=400)
    try:
        record = services.gate_decide(
            agent=agent,
            phase=phase,
            membership=request.membership,
            decision=form.cleaned_data["decision"],
            rationale=form.cleaned_data["rationale"],
            expected_version=form.cleaned_data["version"],
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return _gate_page(request, agent, gate, decision_form=form, status=400)
    except Conflict as conflict:
        fresh = gate_detail(agent=agent, phase=phase)
        if "gate_changed" in _codes(conflict):
            # Keep the rationale, but on the version now there: they decide again knowingly.
            kept = DecisionForm(
                initial={"version": fresh.version, "rationale": form.cleaned_data["rationale"]}
            )
            return _gate_page(
                request,
                _agent(request, pk),
                fresh,
                decision_form=kept,
                refusal={
                    "title": "The gate changed while you were deciding: nothing was recorded.",
                    "reasons": [
                        "Another decision or change reached this gate first. Review its state "
                        "and history below, then decide again."
                    ],
                },
                status=409,
            )
        return _gate_page(
            request,
            agent,
            fresh,
            decision_form=DecisionForm(
                initial={"version": fresh.version, "rationale": form.cleaned_data["rationale"]},
                go_blocked=True,
            ),
            refusal={"title": conflict.detail, "reasons": [r.message for r in conflict.reasons]},
            status=409,
        )
    word = "Go" if record.decision == "go" else "No-go"
    text = f"{word} recorded on phase {phase} of “{agent.name}”."
    if record.unmet_items:
        text += " Unmet items recorded with it: " + "; ".join(
            u["label"] for u in record.unmet_items
        )
    messages.success(request, text)
    return redirect("agents:gate", pk=agent.pk, phase=phase)


# --------------------------------------------------------------------------- kill switch


@member_required(allow=can_suspend_agent)
def agent_suspend(request, pk):
    """The confirm step of the kill switch: a required reason, then the agent stops at once."""
    agent = _agent(request, pk)
    if request.method != "POST" and agent.is_suspended:
        messages.info(request, f"“{agent.name}” is already suspended: nothing changed.")
        return redirect("agents:detail", pk=agent.pk)
    form = ReasonForm(
        request.POST or None,
        label="Reason for suspending",
        help_text="What you saw, in a sentence. It is recorded with your name and the time, "
        "and shown to whoever resumes the agent.",
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.agent_suspend(
                agent=agent, membership=request.membership, reason=form.cleaned_data["reason"]
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        except Conflict as conflict:
            if "already_suspended" in _codes(conflict):
                messages.info(request, f"“{agent.name}” is already suspended: nothing changed.")
            else:
                messages.error(request, _conflict_text(conflict))
            return redirect("agents:detail", pk=agent.pk)
        else:
            messages.success(
                request,
                f"“{agent.name}” is suspended. Its runtime stops at its next status read; only "
                "an approver can resume it.",
            )
            return redirect("agents:detail", pk=agent.pk)
    return render(
        request,
        "agents/suspend.html",
        {"agent": agent, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@member_required(allow=can_resume_agent)
def agent_resume(request, pk):
    agent = _agent(request, pk)
    form = ReasonForm(request.POST, prefix="resume", label="Reason for resuming")
    if not form.is_valid():
        return _detail_page(request, agent, resume_form=form, status=400)
    try:
        services.agent_resume(
            agent=agent, membership=request.membership, reason=form.cleaned_data["reason"]
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return _detail_page(request, agent, resume_form=form, status=400)
    except Conflict as conflict:
        messages.error(request, _conflict_text(conflict))
    else:
        messages.success(request, f"“{agent.name}” is active again.")
    return redirect("agents:detail", pk=agent.pk)


@require_POST
@member_required(allow=can_suspend_agent)
def drill_start(request, pk):
    agent = _agent(request, pk)
    try:
        services.drill_start(agent=agent, membership=request.membership)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except Conflict as conflict:
        messages.error(request, "No drill started: " + _conflict_text(conflict))
    else:
        messages.success(
            request,
            f"Drill started: “{agent.name}” is really suspended now. Once its runtime has "
            "stopped, end the drill to restore it; the time to stop is recorded.",
        )
    return redirect("agents:detail", pk=agent.pk)


@require_POST
@member_required(allow=can_end_drill)
def drill_end(request, pk, drill_id):
    agent = _agent(request, pk)
    drill = drill_get(agent=agent, pk=drill_id)
    try:
        ended = services.drill_end(agent=agent, drill=drill, membership=request.membership)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except Conflict as conflict:
        messages.error(request, _conflict_text(conflict))
    else:
        ttl = ended.time_to_stop_s
        messages.success(
            request,
            f"Drill ended: “{agent.name}” is active again. "
            + (
                f"Time to stop: {ttl:.1f} s."
                if ttl is not None
                else "Its runtime never read the suspension, so no time to stop was recorded."
            ),
        )
    return redirect("agents:detail", pk=agent.pk)


# --------------------------------------------------------------------------- runtime tokens


@require_POST
@member_required(allow=can_manage_agent_tokens)
def agent_token_create(request, pk):
    agent = _agent(request, pk)
    form = AgentTokenForm(request.POST, prefix="token")
    if not form.is_valid():
        return _detail_page(request, agent, token_form=form, status=400)
    try:
        token, raw = services.agent_token_create(
            agent=agent, membership=request.membership, name=form.cleaned_data["name"]
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    return _detail_page(request, agent, raw_token=raw, created_token=token)
