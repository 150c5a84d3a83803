"""What the board pack leads with, read into plain JSON for the snapshot (docs/rules.md §5):
the period's events (the anomaly log: breaches, suspensions and their resumes, drills,
no-gos), the audit chain's head, and what the board is asked to decide or know.

Called by reports.snapshot in the request's transaction; nothing here writes.
"""

from datetime import datetime

from audit.models import ChainHead
from audit.services import chain_name
from gates import rules as gate_rules
from gates.models import GateDecision
from killswitch.models import Suspension
from outcomes import metrics
from outcomes.models import MetricSnapshot

from . import rules


def _who(user, default: str) -> str:
    if user is None:
        return default
    return user.get_full_name() or user.get_username()


def anomalies(organization, start: datetime, end: datetime) -> list[dict]:
    """Every event of the period in time order: alert thresholds crossed, suspensions (by
    hand, automatic, drills) and their ends, no-go decisions."""
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
                "summary": "",
                "by": "Alert thresholds",
                "details": {"breaches": snapshot.breaches},
            }
        )
    suspensions = Suspension.objects.filter(agent__organization=organization).select_related(
        "agent", "started_by", "ended_by"
    )
    for s in suspensions.filter(started_at__gte=start, started_at__lt=end):
        events.append(
            {
                "at": s.started_at.isoformat(),
                "agent": s.agent.name,
                "kind": f"suspension_{s.kind}",
                "summary": "" if s.kind == Suspension.Kind.DRILL else s.reason,
                "by": _who(s.started_by, "Alert thresholds"),
                "details": s.details,
            }
        )
    for s in suspensions.filter(ended_at__gte=start, ended_at__lt=end):
        drill = s.kind == Suspension.Kind.DRILL
        seen = s.time_to_stop_s
        summary = s.end_reason
        if drill:
            summary = (
                "The runtime never confirmed the stop."
                if seen is None
                else f"The runtime confirmed the stop after {seen:.1f} seconds."
            )
        events.append(
            {
                "at": s.ended_at.isoformat(),
                "agent": s.agent.name,
                "kind": "drill_ended" if drill else "resume",
                "summary": summary,
                "by": _who(s.ended_by, "System"),
                "details": {"suspended_at": s.started_at.isoformat()},
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
                "summary": f"Phase {d.gate.phase}: {d.rationale}",
                "by": _who(d.decided_by, "–"),
                "details": {"unmet_items": [u["label"] for u in d.unmet_items]},
            }
        )
    events.sort(key=lambda e: e["at"])
    return events


def audit_head(organization) -> dict | None:
    """The organization's audit chain head as it stands now: its name, last sequence number
    and hash (None before the first entry)."""
    row = (
        ChainHead.objects.filter(chain=chain_name(organization.pk))
        .values("chain", "seq", "hash")
        .first()
    )
    return dict(row) if row else None


def _advance_due(agent: dict, outcome: dict | None, now: datetime) -> bool:
    """Whether an agent in production may move to its next horizon now: no reason refuses it
    but the choice of approver (outcomes.metrics.advance_reasons)."""
    if agent["phase"] != gate_rules.PRODUCTION or outcome is None or not agent.get("horizon"):
        return False
    since = agent.get("production_since")
    latest = {"baseline_error_rate": outcome["baseline"]["error_rate"]}
    reasons = metrics.advance_reasons(
        horizon=agent["horizon"],
        in_production=True,
        suspended=agent["state"] == "suspended",
        production_since=datetime.fromisoformat(since) if since else None,
        now=now,
        latest=latest,
        figures=outcome["figures"],
        thresholds=metrics.Thresholds(**outcome["thresholds"]),
        decider_is_owner=False,
    )
    return not reasons


def board_asks(agents: list[dict], outcomes: list[dict], unmet: dict, now: datetime) -> dict:
    """What the board is asked to decide or know: horizon advances that are due, agents in
    production on a stale readiness assessment, gates waiting for a decision. `evidence`, the
    items resting on an attestation rather than an observation, is filled by the snapshot."""
    by_agent = {o.get("agent_id"): o for o in outcomes}
    advances, reassess, waiting = [], [], []
    for agent in agents:
        if _advance_due(agent, by_agent.get(agent["id"]), now):
            nxt = metrics.next_horizon(agent["horizon"])
            advances.append({"agent": agent["name"], "from": agent["horizon"], "to": nxt})
        if agent["reassessment_due"]:
            reassess.append(agent["name"])
        phase = agent["phase"]
        if phase == gate_rules.PRODUCTION:
            continue
        gate = next((g for g in agent["gates"] if g["phase"] == phase), None)
        if gate is None:
            continue
        open_items = [u for u in unmet.get(agent["id"], []) if u["phase"] == phase]
        if gate["state"] == "needs_review":
            waiting.append({"agent": agent["name"], "phase": phase, "why": "review"})
        elif gate["state"] == "pending" and not open_items:
            waiting.append({"agent": agent["name"], "phase": phase, "why": "decision"})
    return {
        "advances_due": advances,
        "reassessment_due": reassess,
        "gates_waiting": waiting,
        "evidence": [],
    }


def risks_of(outcome: dict) -> list[dict]:
    return rules.outcome_risks(
        figures=outcome["figures"],
        baseline=outcome["baseline"],
        avg_cycle_time_s=outcome.get("avg_cycle_time_s"),
        thresholds=outcome["thresholds"],
    )
