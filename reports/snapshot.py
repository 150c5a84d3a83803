"""Gather everything a board report shows into plain JSON, frozen at request (docs/rules.md §5).

States (verdict, gates, suspensions) are as of the request; outcomes and the anomaly log cover
the period. The renderer reads only this snapshot, so later edits never change a report.
"""

from dataclasses import asdict
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from agents.models import Agent
from assessments import scoring
from assessments.selectors import assessment_latest_submitted, assessment_trend
from gates import rules as agent_rules
from gates.checklists import phases
from gates.models import GateDecision
from gates.selectors import agent_list, evidence_of_many, readiness_facts
from killswitch import rules as killswitch_rules
from outcomes import metrics
from outcomes.models import AgentThresholds, MetricSnapshot
from outcomes.selectors import short_stabilizations
from outcomes.services import THRESHOLD_FIELDS

from . import rules, summary, wording

# 2: currency, the audit chain head, raw figures with the baseline, risks, the board's asks,
# resumes in the anomaly log and the verdict's change (version 1 had preformatted figures).
SNAPSHOT_VERSION = 2


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


def _production_since(organization) -> dict[int, datetime]:
    """Per agent, when phase 4 went to go for its current run in production: the first go
    after its last no-go (as outcomes.services.production_since, for every agent at once)."""
    since: dict[int, datetime | None] = {}
    rows = (
        GateDecision.objects.filter(gate__agent__organization=organization, gate__phase=4)
        .order_by("decided_at", "id")
        .values_list("gate__agent_id", "decision", "decided_at")
    )
    for agent_id, decision, decided_at in rows:
        if decision == "no_go":
            since[agent_id] = None
        elif since.get(agent_id) is None:
            since[agent_id] = decided_at
    return {agent_id: at for agent_id, at in since.items() if at is not None}


def _agents(organization, now) -> list[dict]:
    production_since = _production_since(organization)
    readiness = readiness_facts(organization=organization)
    due = agent_rules.reassessment_due(readiness, now)
    definitions = phases()
    out = []
    agents = agent_list(organization=organization)
    short = short_stabilizations(agents=agents)  # below 8 weeks, with the reason recorded
    for agent in agents:
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
                "production_since": _iso(production_since.get(agent.pk)) if in_production else None,
                "short_stabilization": short.get(agent.pk),
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


def _evidence(organization) -> tuple[dict[int, list[dict]], list[dict]]:
    """The computed checklist items of every agent (gates.selectors.evidence_of_many): per
    agent its unmet items (for the recommendations), and every item that rests on an
    attestation rather than an observation (for the board)."""
    definitions = phases()
    agents = list(
        Agent.objects.filter(organization=organization).select_related("owner").order_by("name")
    )
    states = evidence_of_many(agents)
    unmet: dict[int, list[dict]] = {}
    attested = []
    for agent in agents:
        for phase, definition in definitions.items():
            for key in definition.keys:
                state = states[agent.pk][key]
                item = {"phase": phase, "key": key, "label": definition.label(key)}
                if not state.met:
                    unmet.setdefault(agent.pk, []).append(item)
                elif state.source == "attested":
                    attested.append({**item, "agent": agent.name, "evidence": state.evidence})
    return unmet, attested


def _outcomes(organization, period_start: date, period_end: date) -> list[dict]:
    """Per agent, the latest snapshot whose period ends within the report's period: its figures
    (fractions, None where a denominator is zero), the human baseline it carries, its series
    and thresholds for the charts, and its risks (reports.rules.outcome_risks)."""
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
        outcome = {
            "agent": snapshot.agent.name,
            "agent_id": snapshot.agent_id,
            "period_start": snapshot.period_start.isoformat(),
            "period_end": snapshot.period_end.isoformat(),
            "tasks": snapshot.tasks,
            "figures": metrics.derived_figures(snapshot.values()),
            "avg_cycle_time_s": snapshot.avg_cycle_time_s,
            "baseline": {
                "error_rate": snapshot.baseline_error_rate,
                "cost_per_case": snapshot.baseline_cost_per_case,
                "cycle_time_s": snapshot.baseline_cycle_time_s,
            },
            "breaches": [b["threshold"] for b in snapshot.breaches],
            "series": series[snapshot.agent_id],
            "thresholds": thresholds.get(snapshot.agent_id, defaults),
        }
        outcome["risks"] = summary.risks_of(outcome)
        out.append(outcome)
    return out


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


def _said(verdict) -> str:
    return wording.verdict_label(verdict).lower() if verdict else "none"


def _changes(previous: dict | None, current: dict) -> dict | None:
    """What changed since the previous done report: verdict (better, worse or the same),
    scores, gates, suspensions, in words."""
    if previous is None:
        return None
    changes: dict = {
        "previous_title": previous["title"],
        "previous_requested_at": previous["requested_at"],
    }
    old_r, new_r = previous.get("readiness") or {}, current.get("readiness") or {}
    changes["verdict"] = {
        "direction": rules.verdict_change(
            before_verdict=old_r.get("verdict"),
            before_total=old_r.get("total"),
            verdict=new_r.get("verdict"),
            total=new_r.get("total"),
        ),
        "before": {"verdict": old_r.get("verdict"), "total": old_r.get("total")},
        "after": {"verdict": new_r.get("verdict"), "total": new_r.get("total")},
    }
    readiness = []
    if old_r.get("verdict") != new_r.get("verdict"):
        readiness.append(f"Verdict: {_said(old_r.get('verdict'))} → {_said(new_r.get('verdict'))}")
    if old_r.get("total") != new_r.get("total"):
        readiness.append(f"Total: {old_r.get('total', 'none')} → {new_r.get('total', 'none')}")
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
            agents.append(f"{agent['name']}: new agent ({wording.phase_label(agent['phase'])})")
            continue
        old_states = {g["phase"]: g["state"] for g in old["gates"]}
        for gate in agent["gates"]:
            before = old_states.get(gate["phase"], "pending")
            if before != gate["state"]:
                agents.append(
                    f"{agent['name']}: phase {gate['phase']} "
                    f"{wording.gate_state_label(before).lower()} → "
                    f"{wording.gate_state_label(gate['state']).lower()}"
                )
        if old["state"] != agent["state"]:
            agents.append(
                f"{agent['name']}: {wording.agent_state_label(old['state']).lower()} → "
                f"{wording.agent_state_label(agent['state']).lower()}"
            )
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
        "currency": organization.currency,
        "outcomes": _outcomes(organization, period_start, period_end),
        "anomalies": summary.anomalies(organization, start, end),
        "methodology": _methodology(),
        "audit_head": summary.audit_head(organization),
    }
    by_id = {a["id"]: a for a in agents}
    for outcome in snapshot["outcomes"]:
        agent = by_id.get(outcome["agent_id"], {})
        outcome["agent_phase"] = agent.get("phase")
        outcome["agent_state"] = agent.get("state")
    unmet, attested = _evidence(organization)
    snapshot["recommendations"] = _recommendations(readiness, agents, unmet)
    snapshot["board"] = summary.board_asks(agents, snapshot["outcomes"], unmet, now)
    snapshot["board"]["evidence"] = attested
    snapshot["changes"] = _changes(previous.snapshot if previous else None, snapshot)
    return snapshot
