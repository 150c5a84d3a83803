"""The pages that join every room: the home page (readiness verdict and agents) and the gate
board, the page a CTO opens on Monday (every agent, its four gates, the kill switch's flags,
its latest figures)."""

import hashlib

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.selectors import active_member_user_ids, member_list
from agents.selectors import business_units
from assessments.page_parts import chart_key
from assessments.selectors import assessment_count, assessment_rows, assessment_trend
from assessments.views import verdict_outcome
from core import permissions
from core.page_cache import cached_page
from core.tenancy import member_required
from gates import rules
from gates.checklists import PHASES, phases, short_name
from gates.selectors import item_counts_of, readiness_facts
from gates.templatetags.gate_tags import gate_badge, gate_state_label
from killswitch.rules import drill_flag
from outcomes.selectors import latest_figures, short_stabilizations
from telemetry.selectors import last_seen_of

from .board_render import board_rows_html
from .forms import BoardFilterForm
from .selectors import BOARD_PAGE_SIZE, agent_summary, board_agents, board_facts, board_ids
from .work_selectors import first_steps


def _organization(request):
    return request.membership.organization


def _members(request):
    return list(member_list(organization=_organization(request)))


@member_required
@cached_page
def home(request):
    organization = request.membership.organization
    # The trend ends with the latest submitted assessment: one read serves both.
    trend = assessment_trend(organization=organization)
    latest = trend[-1] if trend else None
    recent = assessment_rows(
        organization=organization, offset=0, limit=5, frameworks={a.framework for a in trend}
    )
    count = assessment_count(organization=organization)
    steps = first_steps(organization=organization, has_submitted_assessment=latest is not None)
    return render(
        request,
        "overview/home.html",
        {
            "latest": latest,
            "outcome": verdict_outcome(latest) if latest else None,
            "trend": trend,
            # the charts' fragment cache: a digest of what they draw (assessments/page_parts.py)
            "chart_key": chart_key(latest, trend) if latest else "",
            "recent": recent,
            "assessment_count": count,
            "can_edit": bool(permissions.may_edit_assessment(request.membership)),
            "agents": agent_summary(organization=organization),
            "first_steps": steps if steps.missing else None,
            "can_manage_members": bool(permissions.may_manage_members(request.membership)),
        },
    )


PRODUCTION = rules.PRODUCTION
_AGENTS_PREFIX = "/agents/"  # checked against reverse() by tests/agents/test_board.py


def _day(moment) -> str:
    return f"{moment.day} {moment:%b %Y}" if moment else ""


def _board_cell(agent, detail_url: str, number: int, gate, items=None) -> dict:
    """One gate cell of a board row. Its link's label is joined here, one string, where the
    rows template would place (and escape) five values in it for each of four cells of
    hundreds of rows."""
    state = gate.state if gate is not None else "pending"
    label = gate_state_label(state)
    decided_at = getattr(gate, "last_decided_at", None)
    decided_by = getattr(gate, "last_decided_by", None)
    # Formatted here: the date filter's locale lookups, twice for each of hundreds of cells,
    # were a large share of the page's time.
    decided_on = _day(decided_at)
    aria = f"Phase {number} of {agent.name}: {label}"
    if items:
        aria += f", {items['met']} of {items['of']} items met"
        if items["attested"]:
            aria += ", some attested rather than observed"
    if decided_at:
        aria += f", last decided {decided_on} by {decided_by}"
    return {
        "url": f"{detail_url}gates/{number}/",
        "phase": number,
        "state": state,
        "label": label,
        "aria_label": aria,
        "badge": gate_badge(state),  # built once per state (gate_tags)
        "decision": getattr(gate, "last_decision", None),
        "decided_at": decided_at,
        "decided_on": decided_on,
        "decided_by": decided_by,
        "items": items,
    }


def _board_row(
    agent, *, now, reassessment_due: bool, figures=None, active=None, counts=None
) -> dict:
    """One agent's line of the board, from its `board_gates` and annotations
    (overview.selectors.board_agents; no query). URLs are joined from prefixes reversed once
    per page: reversing six URLs for each of hundreds of rows was most of the page's time."""
    gates = agent.board_gates
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
            _board_cell(agent, detail_url, number, gates.get(number), (counts or {}).get(number))
            for number in PHASES
        ],
        "phase": phase,
        "in_production": in_production,
        "needs_review": "needs_review" in states.values(),
        "drill_flag": drill_flag(agent.last_drill_at, now),
        "reassessment_due": in_production and reassessment_due,
        "needs_new_owner": active is not None and agent.owner_id not in active,
    }


def filters_key(form) -> str:
    """The digest of everything the board's filter form draws: the query's values and the
    choices of its fields (business units and members, read on every request). The form is
    kept in the fragment cache under it (`{% cache %}` in templates/overview/board.html):
    rendering it through crispy-forms was a tenth of the page, and a new member or business
    unit, or other filters, is a new key, so the cached form is never stale."""
    state = repr(
        (
            "v1",
            sorted(form.data.lists()) if form.is_bound else [],
            [(name, list(field.choices)) for name, field in form.fields.items()],
        )
    )
    return hashlib.sha256(state.encode()).hexdigest()


def _summary(facts, now) -> dict:
    """The board's counts over every agent of the organization (BoardFacts), whatever the
    filters and the page."""
    per_phase = dict.fromkeys((*PHASES, PRODUCTION), 0)
    for fact in facts:
        per_phase[fact.phase] += 1
    return {
        "total": len(facts),
        "per_phase": [
            {"phase": phase, "count": count, "label": "Production" if phase == PRODUCTION else ""}
            for phase, count in per_phase.items()
        ],
        "suspended": sum(1 for fact in facts if fact.suspended),
        "needs_review": sum(1 for fact in facts if fact.needs_review),
        "drill_flags": sum(1 for fact in facts if drill_flag(fact.last_drill_at, now) != "ok"),
    }


@require_GET
@member_required
@cached_page
def agent_board(request):
    """The page a CTO opens on Monday: every agent, its four gates, the kill switch's flags.
    Above BOARD_PAGE_SIZE agents it is paginated; the summary still counts every agent."""
    organization = _organization(request)
    members = _members(request)
    units = business_units(organization=organization)
    form = BoardFilterForm(request.GET or None, members=members, business_units=units)
    filters = form.filters()
    now = timezone.now()
    # The readiness facts are read once per page, whatever the number of agents.
    reassessment_due = rules.reassessment_due(readiness_facts(organization=organization), now)
    # Light facts of every agent (the summary, the phase order), then full rows for one page.
    facts = board_facts(organization=organization)
    ids = board_ids(organization=organization, facts=facts, **filters)
    page = Paginator(ids, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    agents = board_agents(organization=organization, ids=list(page.object_list), facts=facts)
    active = active_member_user_ids(organization=organization)
    figures = latest_figures(agents=agents)
    # The computed checklist items of the page's agents, in a fixed number of queries.
    counts = item_counts_of(agents, now=now)
    rows = [
        _board_row(
            agent,
            now=now,
            reassessment_due=reassessment_due,
            figures=figures.get(agent.pk),
            active=active,
            counts=counts.get(agent.pk),
        )
        for agent in agents
    ]
    seen = last_seen_of(agents=agents)  # one query: when each agent's runtime was last seen
    for row in rows:
        last = seen.get(row["agent"].pk)
        row["last_seen"] = f"{last:%-d %b %H:%M} UTC" if last else ""
    short = short_stabilizations(agents=agents)  # one query: minimums below 8 weeks, why
    for row in rows:
        row["short_stabilization"] = short.get(row["agent"].pk)
    can_suspend = bool(permissions.may_suspend_agent(request.membership))
    return render(
        request,
        "overview/board.html",
        {
            "form": form,
            "filters_key": filters_key(form),
            "rows": rows,
            "rows_html": board_rows_html(
                rows, can_suspend=can_suspend, assessments_url=reverse("assessments:list")
            ),
            "page": page,
            "matching": page.paginator.count,
            "summary": _summary(list(facts.values()), now),
            "filtered": form.is_filtered,
            "order": filters["order"],
            "phases": [
                {"phase": p, "name": phases()[p].name, "short": short_name(phases()[p].name)}
                for p in PHASES
            ],
            "can_register": bool(permissions.may_edit_agent(request.membership)),
            "can_suspend": can_suspend,
        },
    )


@require_GET
@member_required
def agent_index(request):
    return redirect("agents:board")
