"""Writes that span rooms, each in one transaction: registering an agent opens its four gates;
editing its records, or revoking a tool permission, sends the gates those records govern to
review (docs/rules.md §2). The registry (agents.services) and the gates (gates.services) each
do their part; this module joins them, so that neither room imports the other's writes."""

from django.db import transaction

from accounts.models import Membership
from agents import services as registry
from agents.models import Agent, ToolPermission
from gates import services as gates


@transaction.atomic
def agent_create(*, membership: Membership, data: dict) -> Agent:
    """Register an agent with its records, and open its four gates."""
    agent = registry.agent_records_create(membership=membership, data=data)
    gates.gates_open(agent=agent)
    return agent


@transaction.atomic
def agent_update(
    *, agent: Agent, membership: Membership, data: dict, expected_version: int | None = None
) -> Agent:
    """Change any record fields (lists are replaced whole). A change to a gate's governance
    records sends that gate, if at go, to needs_review."""
    updated, changed = registry.agent_records_update(
        agent=agent, membership=membership, data=data, expected_version=expected_version
    )
    if changed:
        # First the items the change unmeets (named in the review), then the gates whose
        # records changed although every item is still met.
        gates.gates_recheck(agents=[updated], actor=membership.user)
    gates.gates_review_changes(agent=updated, changed=changed, actor=membership.user)
    return updated


@transaction.atomic
def tool_permission_review(
    *,
    agent: Agent,
    membership: Membership,
    permission_id: int,
    action: str,
    note: str | None = None,
) -> ToolPermission | None:
    """Revoke a tool permission (phase 1, if at go, then needs review) or mark it reviewed
    today, with a note. Answers the reviewed permission, or None when it was revoked."""
    permission, revoked = registry.tool_permission_decide(
        agent=agent, membership=membership, permission_id=permission_id, action=action, note=note
    )
    if not revoked:
        gates.gates_recheck(agents=[agent], actor=membership.user)
        return permission
    gates.gates_recheck(agents=[agent], actor=membership.user)
    gates.gate_review(agent, 1, membership.user, f"tool permission {permission.tool} revoked")
    return None
