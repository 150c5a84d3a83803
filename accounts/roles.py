"""The five roles of shared/SPEC.md and the permission questions asked of them.

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
