"""The five roles of docs/rules.md.

Roles add up; none includes another. The "may this member do X" questions are answered by
core/permissions.py; the `can_*(roles)` helpers below ask it for the rooms that still pass a
role set (the tenancy guard, older views) and will go once they ask it directly.
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


# The role-set helpers, kept for callers that pass roles: each asks core.permissions (imported
# here, after Role, since it imports Role from this module).
from . import permissions as _permissions  # noqa: E402


def _ask(question, roles) -> bool:
    return bool(question(_permissions.roles_only(roles)))


def can_edit_assessment(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_edit_assessment, roles)


def can_manage_members(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_manage_members, roles)


def can_view_audit_log(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_view_audit_log, roles)


def can_edit_agent(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_edit_agent, roles)


def can_decide_gate(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_decide_gate, roles)


def can_resume_agent(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_resume_agent, roles)


def can_suspend_agent(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_suspend_agent, roles)


def can_manage_agent_tokens(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_manage_agent_tokens, roles)


def can_post_metrics(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_post_metrics, roles)


def can_change_thresholds(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_change_thresholds, roles)


def can_advance_horizon(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_advance_horizon, roles)


def can_review_permissions(roles: frozenset[Role] | set[Role]) -> bool:
    return _ask(_permissions.may_review_permissions, roles)


def can_end_drill(roles: frozenset[Role] | set[Role]) -> bool:
    """Whether the roles end any drill (the drill itself: `permissions.may_end_drill`)."""
    return _ask(_permissions.may_end_drills, roles)
