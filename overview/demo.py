"""Demo agents for `manage.py seed_demo`: one at each stage, written through the services so
the gates, the audit log and the charts look as they would in a real organization.

Idempotent: an agent that already exists (by name) is left as it is.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.selectors import member_get
from agents.models import Agent
from gates import services as gates_services
from gates.checklists import PHASES, phase_definition
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from outcomes import services as outcome_services
from overview import services as overview_services

EVIDENCE = {
    1: "Policy registry entry, reviewed with the owner",
    3: "Limits enforced in the gateway config",
    4: "Tracing dashboard and alert rules in the runbook",
}


def _month_snapshots(months: int, *, tasks=1200, completed=0.93, escalations=0.06, errors=0.02):
    """Monthly snapshots ending last month, oldest first, improving slowly."""
    today = timezone.now().date()
    first_of_this_month = today.replace(day=1)
    out = []
    for back in range(months, 0, -1):
        end = first_of_this_month
        for _ in range(back - 1):
            end = (end - timedelta(days=1)).replace(day=1)
        end = end - timedelta(days=1)
        start = end.replace(day=1)
        drift = (months - back) * 0.004
        n = tasks + 80 * (months - back)
        out.append(
            {
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "tasks": n,
                "tasks_completed": round(n * min(0.99, completed + drift)),
                "escalations": round(n * max(0.01, escalations - drift)),
                "errors": round(n * max(0.005, errors - drift / 2)),
                "cost": round(n * 1.1, 2),
                "avg_cycle_time_s": 240 - 8 * (months - back),
                "baseline_cost_per_case": 6.5,
                "baseline_cycle_time_s": 1800,
                "baseline_error_rate": 0.035,
                "quality_score": 0.86,
                "calls_per_hour": 140,
            }
        )
    return out


def _fill(agent, phase, assessor):
    keys = phase_definition(phase).keys
    gates_services.checklist_update(
        agent=agent,
        phase=phase,
        membership=assessor,
        changes={key: {"met": True, "evidence": EVIDENCE.get(phase, "")} for key in keys},
    )


def _ship_prompt(agent, assessor, tag="v1.0", rollback="v0.9"):
    gates_services.prompt_version_post(
        agent=agent,
        membership=assessor,
        data={
            "tag": tag,
            "regression_passed": True,
            "adversarial_passed": True,
            "delta": 0.02,
            "tolerance": 0.05,
            "rollback_target": rollback,
        },
    )


def _go(agent, phases, assessor, approver):
    for phase in phases:
        if phase == 2:
            _ship_prompt(agent, assessor)
        else:
            _fill(agent, phase, assessor)
        gates_services.gate_decide(
            agent=agent,
            phase=phase,
            membership=approver,
            decision="go",
            rationale=f"Phase {phase} checklist reviewed with the owner; evidence on file.",
        )


def _records(owner_username, escalation_owner):
    today = timezone.now().date()
    return {
        "decision_boundaries": [
            {"decision": "Answer questions from the knowledge base", "mode": "alone"},
            {"decision": "Anything above the refund limit", "mode": "escalate"},
        ],
        "escalation_paths": [
            {"failure_state": "Tool call fails twice", "owner": escalation_owner},
            {"failure_state": "Customer asks for a human", "owner": owner_username},
        ],
        "tool_permissions": [
            {
                "tool": "CRM (read)",
                "access": "read",
                "justification": "Look up the customer's history",
                "last_used": today.isoformat(),
                "last_reviewed": (today - timedelta(days=20)).isoformat(),
            },
        ],
        "guardrails": {
            "api_calls_per_hour": 600,
            "tokens_per_session": 20000,
            "sequential_actions_before_confirmation": 5,
            "monthly_budget": 4000,
        },
    }


def seed_agents(organization, changes: list[str]) -> None:
    assessor = member_get(organization=organization, username="assessor")
    approver = member_get(organization=organization, username="approver")
    operator = member_get(organization=organization, username="operator")
    now = timezone.now()

    def create(name, unit, purpose, owner="assessor", extra_tools=()):
        if Agent.objects.filter(organization=organization, name=name).exists():
            return None
        records = _records(owner, "operator")
        records["tool_permissions"].extend(extra_tools)
        agent = overview_services.agent_create(
            membership=assessor,
            data={
                "name": name,
                "business_unit": unit,
                "purpose": purpose,
                "owner": owner,
                **records,
            },
        )
        changes.append(f"agent {name!r}")
        return agent

    # In production, healthy, drilled 20 days ago: the one to advance once stabilization ends.
    agent = create("Refund triage", "Customer support", "Triage refund requests under 200 EUR.")
    if agent:
        _go(agent, PHASES, assessor, approver)
        for data in _month_snapshots(6):
            outcome_services.metric_snapshot_post(agent=agent, membership=assessor, data=data)
        drill = killswitch_services.drill_start(agent=agent, membership=operator)
        killswitch_services.agent_status_read(agent=agent)  # the runtime sees the stop
        killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)
        started = now - timedelta(days=20)
        Suspension.objects.filter(pk=drill.pk).update(
            started_at=started,
            runtime_seen_at=started + timedelta(seconds=4.2),
            ended_at=started + timedelta(minutes=3),
        )

    # In production, then a bad month: suspended automatically by its alert thresholds.
    agent = create("Claims intake", "Operations", "Read claim forms and open cases.", owner="cto")
    if agent:
        _go(agent, PHASES, assessor, approver)
        history = _month_snapshots(4, tasks=800)
        for data in history[:-1]:
            outcome_services.metric_snapshot_post(agent=agent, membership=assessor, data=data)
        bad = {**history[-1], "errors": round(history[-1]["tasks"] * 0.14)}
        outcome_services.metric_snapshot_post(agent=agent, membership=operator, data=bad)

    # Phases 1-2 at go, phase 3 in progress; a tool nobody used for four months; never drilled.
    stale = (now - timedelta(days=120)).date().isoformat()
    agent = create(
        "Invoice matcher",
        "Finance",
        "Match supplier invoices to purchase orders.",
        extra_tools=[
            {
                "tool": "ERP payments",
                "access": "write",
                "justification": "Flag mismatches",
                "last_used": stale,
                "last_reviewed": stale,
            }
        ],
    )
    if agent:
        _go(agent, (1, 2), assessor, approver)
        gates_services.checklist_update(
            agent=agent,
            phase=3,
            membership=assessor,
            changes={"api_call_limit": {"met": True, "evidence": "Gateway quota 600/h"}},
        )

    # Phase 1 went to go, then its tool permissions changed: needs review.
    agent = create("Sales email drafter", "Sales", "Draft follow-up emails for account managers.")
    if agent:
        _go(agent, (1,), assessor, approver)
        records = _records("assessor", "operator")
        records["tool_permissions"].append(
            {"tool": "Email (send)", "access": "write", "justification": "Send approved drafts"}
        )
        overview_services.agent_update(
            agent=agent, membership=assessor, data={"tool_permissions": records["tool_permissions"]}
        )

    # A no-go on phase 1, with its unmet items recorded.
    agent = create("HR policy assistant", "People", "Answer staff questions on HR policy.")
    if agent:
        gates_services.checklist_update(
            agent=agent,
            phase=1,
            membership=assessor,
            changes={"owner_assigned": {"met": True, "evidence": "Named in the registry"}},
        )
        gates_services.gate_decide(
            agent=agent,
            phase=1,
            membership=approver,
            decision="no_go",
            rationale="Escalation owners and least-privilege review are missing.",
        )
