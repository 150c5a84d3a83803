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
