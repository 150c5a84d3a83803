"""The five roles of docs/rules.md and the permission questions asked of them.

Roles add up; none includes another. Every "may this member do X" question has one helper
here, so views, API handlers and templates never test role names themselves.
"""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ASSESSOR = "assessor"
    APPROVER = "approver"
    OPERATOR = "operator"
    VIEWER = "viewer"


ROLE_LABELS = {
    Role.ADMIN: "Admin",
    Role.ASSESSOR: "Assessor",
    Role.APPROVER: "Approver",
    Role.OPERATOR: "Operator",
    Role.VIEWER: "Viewer",
}


def roles_allowing(allow) -> list[Role]:
    """The roles that, held alone, satisfy the permission question `allow` (for a 403 page
    that says which role an action needs)."""
    return [role for role in Role if allow(frozenset({role}))]


def parse_roles(text: str) -> set[Role]:
    """Parse "admin,assessor" into roles; raise ValueError naming any unknown role."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError("no role given: choose from " + ", ".join(r.value for r in Role))
    unknown = [n for n in names if n not in {r.value for r in Role}]
    if unknown:
        raise ValueError(
            f"unknown role {', '.join(unknown)}: choose from " + ", ".join(r.value for r in Role)
        )
    return {Role(n) for n in names}


def can_edit_assessment(roles: frozenset[Role] | set[Role]) -> bool:
    return Role.ASSESSOR in roles


def can_manage_members(roles: frozenset[Role] | set[Role]) -> bool:
    return Role.ADMIN in roles


def can_view_audit_log(roles: frozenset[Role] | set[Role]) -> bool:
    return Role.ADMIN in roles


# Agents (docs/rules.md, "Who may do what"). The owner rule (an approver never decides on an
# agent they own)
# is a rule of the agent, checked by gates.rules / gates.services, not a role question.


def can_edit_agent(roles: frozenset[Role] | set[Role]) -> bool:
    """Register agents, edit their records, fill gate checklists."""
    return Role.ASSESSOR in roles


def can_decide_gate(roles: frozenset[Role] | set[Role]) -> bool:
    return Role.APPROVER in roles


def can_resume_agent(roles: frozenset[Role] | set[Role]) -> bool:
    return Role.APPROVER in roles


def can_suspend_agent(roles: frozenset[Role] | set[Role]) -> bool:
    """Suspend an agent, and start a kill-switch drill."""
    return Role.OPERATOR in roles


def can_end_drill(roles: frozenset[Role] | set[Role]) -> bool:
    """Who may try to end a drill: its operator (checked against the drill) or an approver."""
    return Role.OPERATOR in roles or Role.APPROVER in roles


def can_manage_agent_tokens(roles: frozenset[Role] | set[Role]) -> bool:
    return Role.ADMIN in roles


# Outcome metrics, thresholds, horizons and permission reviews (docs/rules.md §3-4).


def can_post_metrics(roles: frozenset[Role] | set[Role]) -> bool:
    """Post metric snapshots, in a form, by CSV upload or through the API."""
    return bool({Role.ASSESSOR, Role.OPERATOR, Role.ADMIN} & set(roles))


def can_change_thresholds(roles: frozenset[Role] | set[Role]) -> bool:
    return Role.ADMIN in roles


def can_advance_horizon(roles: frozenset[Role] | set[Role]) -> bool:
    return Role.APPROVER in roles


def can_review_permissions(roles: frozenset[Role] | set[Role]) -> bool:
    """Revoke a tool permission or mark it reviewed; record a risk assessment."""
    return bool({Role.APPROVER, Role.ADMIN} & set(roles))
