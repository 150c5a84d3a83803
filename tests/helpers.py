"""Helpers shared by the page tests of the agent rooms: register an agent, fill a gate's
checklist, decide it, read a gate's state."""

from gates import services as gates_services
from gates.checklists import phase_definition
from gates.models import Gate
from overview import services as overview_services


def make_agent(membership, name="Invoice triage", owner=None, **data):
    return overview_services.agent_create(
        membership=membership,
        data={
            "name": name,
            "purpose": "Sorts incoming invoices",
            "business_unit": "Finance",
            "owner": owner or membership.user.username,
            **data,
        },
    )


def complete_checklist(agent, phase, assessor):
    gates_services.checklist_update(
        agent=agent,
        phase=phase,
        membership=assessor,
        changes={k: {"met": True, "evidence": "runbook"} for k in phase_definition(phase).keys},
    )


def go(agent, phase, assessor, approver):
    complete_checklist(agent, phase, assessor)
    gates_services.gate_decide(
        agent=agent, phase=phase, membership=approver, decision="go", rationale="All in place."
    )


def state_of(agent, phase):
    return Gate.objects.get(agent=agent, phase=phase).state


def worker_callbacks(callbacks) -> list:
    """The on-commit callbacks of a change, without the audit trail's announcements."""
    return [c for c in callbacks if not getattr(c, "audit_announcement", False)]
