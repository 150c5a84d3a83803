"""The pages that join every room: the home page (readiness verdict and agents) and the gate
board, the page a CTO opens on Monday (every agent, its four gates, the kill switch's flags,
its latest figures)."""

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.selectors import active_member_user_ids, member_list
from agents.selectors import business_units
from assessments.selectors import assessment_page, assessment_trend
from assessments.views import verdict_outcome
from core.roles import (
    can_edit_agent,
    can_edit_assessment,
    can_suspend_agent,
)
from core.tenancy import member_required
from gates import rules
from gates.checklists import PHASES, phases, short_name
from gates.selectors import agent_list, readiness_facts
from killswitch.rules import drill_flag
from outcomes.selectors import latest_figures

from .forms import BoardFilterForm
from .selectors import agent_summary


def _organization(request):
    return request.membership.organization


def _members(request):
    return list(member_list(organization=_organization(request)))


@member_required
def home(request):
    organization = request.membership.organization
    # The trend ends with the latest submitted assessment: one read serves both.
    trend = assessment_trend(organization=organization)
    latest = trend[-1] if trend else None
    recent, count = assessment_page(organization=organization, offset=0, limit=5)
    return render(
        request,
        "overview/home.html",
        {
            "latest": latest,
            "outcome": verdict_outcome(latest) if latest else None,
            "trend": trend,
            "recent": recent,
            "assessment_count": count,
            "can_edit": can_edit_assessment(request.membership.roles),
            "agents": agent_summary(organization=organization),
        },
    )


PRODUCTION = rules.PRODUCTION
_AGENTS_PREFIX = "/agents/"  # checked against reverse() by tests/agents/test_board.py


def _day(moment) -> str:
    return f"{moment.day} {moment:%b %Y}" if moment else ""


def _board_row(agent, *, now, reassessment_due: bool, figures=None, active=None) -> dict:
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
        "drill_flag": drill_flag(agent.last_drill_at, now),
        "reassessment_due": in_production and reassessment_due,
        "needs_new_owner": active is not None and agent.owner_id not in active,
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
    active = active_member_user_ids(organization=organization)
    figures = latest_figures(agents=agents)
    rows = [
        _board_row(
            agent,
            now=now,
            reassessment_due=reassessment_due,
            figures=figures.get(agent.pk),
            active=active,
        )
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
        "overview/board.html",
        {
            "form": form,
            "rows": rows,
            "summary": _summary(everyone),
            "filtered": form.is_filtered,
            "order": filters["order"],
            "phases": [
                {"phase": p, "name": phases()[p].name, "short": short_name(phases()[p].name)}
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
