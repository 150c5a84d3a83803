"""Gather everything a board report shows into plain JSON, frozen at request (docs/rules.md §5).

States (verdict, gates, suspensions) are as of the request; outcomes and the anomaly log cover
the period. The renderer reads only this snapshot, so later edits never change a report.
"""

from dataclasses import asdict
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from assessments import scoring
from assessments.selectors import assessment_latest_submitted, assessment_trend
from gates import rules as agent_rules
from gates.checklists import phases
from gates.models import ChecklistItem, GateDecision
from gates.selectors import agent_list, readiness_facts
from killswitch import rules as killswitch_rules
from killswitch.models import Suspension
from outcomes import metrics
from outcomes.models import AgentThresholds, MetricSnapshot
from outcomes.services import THRESHOLD_FIELDS

SNAPSHOT_VERSION = 1


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _assessment(assessment) -> dict | None:
    if assessment is None:
        return None
    result = assessment.result
    framework = assessment.framework
    by_key = framework.criteria_by_key
    return {
        "id": assessment.pk,
        "title": assessment.title,
        "submitted_at": _iso(assessment.submitted_at),
        "framework": {"name": framework.name, "version": framework.version},
        "dimensions": [
            {
                "key": dim.key,
                "name": dim.name,
                "score": result.dimension_scores[dim.key],
                "criteria": [
                    {"key": c.key, "name": c.name, "score": assessment.score_map[c.key]}
                    for c in dim.ordered_criteria
                ],
            }
            for dim in framework.ordered_dimensions
        ],
        "total": result.total,
        "verdict": result.verdict,
        "reasons": [
            {"code": r.code, "dimension": r.dimension, "message": r.message} for r in result.reasons
        ],
        "to_ready": [
            {
                "criterion": c.criterion,
                "name": by_key[c.criterion].name,
                "from": c.from_score,
                "to": c.to_score,
            }
            for c in result.to_ready
        ],
    }


def _agents(organization, now) -> list[dict]:
    readiness = readiness_facts(organization=organization)
    due = agent_rules.reassessment_due(readiness, now)
    definitions = phases()
    out = []
    for agent in agent_list(organization=organization):
        gates = list(agent.gates.all())
        states = {g.phase: g.state for g in gates}
        phase = agent_rules.agent_phase(states)
        in_production = phase == agent_rules.PRODUCTION
        out.append(
            {
                "id": agent.pk,
                "name": agent.name,
                "business_unit": agent.business_unit,
                "owner": agent.owner.get_full_name() or agent.owner.get_username(),
                "state": agent.state,
                "phase": phase,
                "horizon": agent.horizon or None,
                "current_prompt": agent.current_prompt.tag if agent.current_prompt else None,
                "drill": killswitch_rules.drill_flag(agent.last_drill_at, now),
                "last_drill_at": _iso(agent.last_drill_at),
                "reassessment_due": in_production and due,
                "latest_decision": _latest_decision(gates),
                "gates": [
                    {
                        "phase": g.phase,
                        "name": definitions[g.phase].name,
                        "state": g.state,
                        "decision": g.last_decision,
                        "decided_by": g.last_decided_by,
                        "decided_at": _iso(g.last_decided_at),
                    }
                    for g in gates
                ],
            }
        )
    return out


def _latest_decision(gates) -> dict | None:
    decided = [g for g in gates if g.last_decided_at]
    if not decided:
        return None
    gate = max(decided, key=lambda g: g.last_decided_at)
    return {
        "phase": gate.phase,
        "decision": gate.last_decision,
        "by": gate.last_decided_by,
        "at": _iso(gate.last_decided_at),
    }


def _unmet_items(organization) -> dict[int, list[dict]]:
    """Unmet checklist items of each agent's current phase (for the recommendations)."""
    definitions = phases()
    out: dict[int, list[dict]] = {}
    rows = ChecklistItem.objects.filter(
        gate__agent__organization=organization, met=False
    ).values_list("gate__agent_id", "gate__phase", "key")
    for agent_id, phase, key in rows:
        out.setdefault(agent_id, []).append(
            {"phase": phase, "key": key, "label": definitions[phase].label(key)}
        )
    return out


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


def _outcomes(organization, period_start: date, period_end: date) -> list[dict]:
    """Per agent, the latest snapshot whose period ends within the report's period, with its
    figures against the human baseline."""
    latest: dict[int, MetricSnapshot] = {}
    series: dict[int, list[dict]] = {}
    rows = (
        MetricSnapshot.objects.filter(
            agent__organization=organization,
            period_end__gte=period_start,
            period_end__lte=period_end,
        )
        .select_related("agent")
        .order_by("agent__name", "-period_end", "-id")
    )
    for snapshot in rows:
        latest.setdefault(snapshot.agent_id, snapshot)
        values = {
            k: v.isoformat() if isinstance(v, date) else v for k, v in snapshot.values().items()
        }
        values["breaches"] = [b["threshold"] for b in snapshot.breaches]
        series.setdefault(snapshot.agent_id, []).insert(0, values)  # oldest first
    thresholds = {
        row.agent_id: {name: getattr(row, name) for name in THRESHOLD_FIELDS}
        for row in AgentThresholds.objects.filter(agent_id__in=list(latest))
    }
    defaults = asdict(metrics.Thresholds())
    out = []
    for snapshot in latest.values():
        values = snapshot.values()
        f = metrics.derived_figures(values)
        cost = f["cost_per_resolved_case"]
        headline = []
        if f["task_completion_rate"] is not None:
            headline.append(f"{f['task_completion_rate']:.0%} of tasks completed")
        if f["cost_reduction"] is not None:
            word = "cheaper" if f["cost_reduction"] >= 0 else "dearer"
            headline.append(f"{abs(f['cost_reduction']):.0%} {word} per case than people")
        if f["cycle_time_reduction"] is not None:
            word = "faster" if f["cycle_time_reduction"] >= 0 else "slower"
            headline.append(f"{abs(f['cycle_time_reduction']):.0%} {word}")
        out.append(
            {
                "agent": snapshot.agent.name,
                "period_start": snapshot.period_start.isoformat(),
                "period_end": snapshot.period_end.isoformat(),
                "tasks": snapshot.tasks,
                "figures": f,
                "completion": _pct(f["task_completion_rate"]),
                "escalation": _pct(f["escalation_frequency"]),
                "error_rate": _pct(f["error_rate"]),
                "baseline_error_rate": _pct(snapshot.baseline_error_rate),
                "error_vs_baseline": None
                if f["error_rate_vs_baseline"] is None
                else f"{f['error_rate_vs_baseline'] * 100:+.1f} pts vs people",
                "cost_per_case": None if cost is None else f"{cost:,.2f}",
                "baseline_cost_per_case": f"{snapshot.baseline_cost_per_case:,.2f}",
                "cost_reduction": None
                if f["cost_reduction"] is None
                else f"{f['cost_reduction']:+.0%} vs people",
                "cycle_time_reduction": _pct(f["cycle_time_reduction"]),
                "headline": ", ".join(headline) or "no tasks in the period",
                "series": series[snapshot.agent_id],
                "thresholds": thresholds.get(snapshot.agent_id, defaults),
            }
        )
    return out


def _anomalies(organization, start: datetime, end: datetime) -> list[dict]:
    events = []
    for snapshot in (
        MetricSnapshot.objects.filter(
            agent__organization=organization, created_at__gte=start, created_at__lt=end
        )
        .exclude(breaches=[])
        .select_related("agent")
    ):
        events.append(
            {
                "at": snapshot.created_at.isoformat(),
                "agent": snapshot.agent.name,
                "kind": "threshold_breach",
                "summary": " ".join(b["message"] for b in snapshot.breaches),
                "by": "alert thresholds",
                "details": {"breaches": snapshot.breaches},
            }
        )
    for s in Suspension.objects.filter(
        agent__organization=organization, started_at__gte=start, started_at__lt=end
    ).select_related("agent", "started_by"):
        events.append(
            {
                "at": s.started_at.isoformat(),
                "agent": s.agent.name,
                "kind": f"suspension_{s.kind}",
                "summary": s.reason,
                "by": s.started_by.get_username() if s.started_by else "automatic",
                "details": s.details,
            }
        )
    for d in GateDecision.objects.filter(
        gate__agent__organization=organization,
        decision="no_go",
        decided_at__gte=start,
        decided_at__lt=end,
    ).select_related("gate__agent", "decided_by"):
        events.append(
            {
                "at": d.decided_at.isoformat(),
                "agent": d.gate.agent.name,
                "kind": "no_go",
                "summary": f"Phase {d.gate.phase} no-go: {d.rationale}",
                "by": d.decided_by.get_username(),
                "details": {"unmet_items": [u["label"] for u in d.unmet_items]},
            }
        )
    events.sort(key=lambda e: e["at"])
    return events


def _recommendations(readiness: dict | None, agents: list[dict], unmet: dict) -> list[dict]:
    recs = []
    if readiness is None:
        recs.append(
            {
                "area": "Readiness",
                "text": "Submit a readiness assessment: no production go is possible without a "
                "ready verdict from the last 90 days.",
            }
        )
    else:
        for change in readiness["to_ready"]:
            recs.append(
                {
                    "area": "Readiness",
                    "text": f"Raise “{change['name']}” from {change['from']} to {change['to']}.",
                }
            )
    for agent in agents:
        if agent["state"] == "suspended":
            recs.append(
                {"area": agent["name"], "text": "Suspended: investigate and resume or retire it."}
            )
        if agent["drill"] != "ok":
            when = (
                "never been tested" if agent["drill"] == "never" else "not been tested in 90 days"
            )
            recs.append(
                {"area": agent["name"], "text": f"Its kill switch has {when}: run a drill."}
            )
        if agent["reassessment_due"]:
            recs.append(
                {
                    "area": agent["name"],
                    "text": "In production on a readiness assessment that is no longer ready or "
                    "is over 90 days old: reassess.",
                }
            )
        phase = agent["phase"]
        if phase != agent_rules.PRODUCTION:
            items = [u["label"] for u in unmet.get(agent["id"], []) if u["phase"] == phase]
            if items:
                recs.append(
                    {
                        "area": agent["name"],
                        "text": f"To pass phase {phase}: " + "; ".join(items) + ".",
                    }
                )
    return recs


def _changes(previous: dict | None, current: dict) -> dict | None:
    """What changed since the previous done report: verdict, scores, gates, suspensions."""
    if previous is None:
        return None
    changes: dict = {
        "previous_title": previous["title"],
        "previous_requested_at": previous["requested_at"],
    }
    old_r, new_r = previous.get("readiness") or {}, current.get("readiness") or {}
    readiness = []
    for key, label in (("verdict", "Verdict"), ("total", "Total")):
        if old_r.get(key) != new_r.get(key):
            readiness.append(f"{label}: {old_r.get(key, 'none')} → {new_r.get(key, 'none')}")
    old_dims = {d["key"]: d for d in old_r.get("dimensions", [])}
    for dim in new_r.get("dimensions", []):
        before = old_dims.get(dim["key"], {}).get("score")
        if before is not None and before != dim["score"]:
            readiness.append(f"{dim['name']}: {before} → {dim['score']}")
    changes["readiness"] = readiness
    old_agents = {a["id"]: a for a in previous.get("agents", [])}
    agents = []
    for agent in current.get("agents", []):
        old = old_agents.pop(agent["id"], None)
        if old is None:
            agents.append(f"{agent['name']}: new agent (phase {agent['phase']})")
            continue
        old_states = {g["phase"]: g["state"] for g in old["gates"]}
        for gate in agent["gates"]:
            if old_states.get(gate["phase"]) != gate["state"]:
                agents.append(
                    f"{agent['name']}: phase {gate['phase']} "
                    f"{old_states.get(gate['phase'], 'pending')} → {gate['state']}"
                )
        if old["state"] != agent["state"]:
            agents.append(f"{agent['name']}: {old['state']} → {agent['state']}")
    for gone in old_agents.values():
        agents.append(f"{gone['name']}: no longer registered")
    changes["agents"] = agents
    return changes


def _methodology() -> dict:
    return {
        "dimension_minimum": scoring.DIMENSION_MINIMUM,
        "total_minimum": scoring.TOTAL_MINIMUM,
        "max_score": scoring.MAX_SCORE,
    }


def default_period(today: date) -> tuple[date, date]:
    return today - timedelta(days=89), today


def build_snapshot(*, organization, title, period_start, period_end, requested_by, now, previous):
    """The frozen content of a report requested now."""
    start = timezone.make_aware(datetime.combine(period_start, time.min), timezone.UTC)
    end = timezone.make_aware(
        datetime.combine(period_end + timedelta(days=1), time.min), timezone.UTC
    )
    readiness = _assessment(assessment_latest_submitted(organization=organization))
    trend = [
        {
            "title": a.title,
            "submitted_at": _iso(a.submitted_at),
            "total": a.result.total,
            "verdict": a.result.verdict,
            "dimension_scores": a.result.dimension_scores,
        }
        for a in assessment_trend(organization=organization)
    ]
    agents = _agents(organization, now)
    phase_counts: dict[str, int] = {}
    for agent in agents:
        key = str(agent["phase"])
        phase_counts[key] = phase_counts.get(key, 0) + 1
    snapshot = {
        "version": SNAPSHOT_VERSION,
        "title": title,
        "organization": {"name": organization.name, "slug": organization.slug},
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "requested_by": requested_by.get_full_name() or requested_by.get_username(),
        "requested_at": now.isoformat(),
        "readiness": readiness,
        "trend": trend,
        "agents": agents,
        "summary": {
            "agents": len(agents),
            "by_phase": phase_counts,
            "suspended": sum(1 for a in agents if a["state"] == "suspended"),
            "in_production": sum(1 for a in agents if a["phase"] == agent_rules.PRODUCTION),
        },
        "outcomes": _outcomes(organization, period_start, period_end),
        "anomalies": _anomalies(organization, start, end),
        "methodology": _methodology(),
    }
    snapshot["recommendations"] = _recommendations(readiness, agents, _unmet_items(organization))
    snapshot["changes"] = _changes(previous.snapshot if previous else None, snapshot)
    return snapshot
