from core.permissions import May
from core.roles import Role


def membership(request):
    """The signed-in member's organization, and what they may do there (`may.manage_members`,
    answered by core.permissions when a template first reads it: no query, the middleware
    loaded the membership). `roles` stays for templates not yet moved to `may`."""
    current = getattr(request, "membership", None)
    roles = current.roles if current else frozenset()
    return {
        "membership": current,
        "memberships": getattr(request, "memberships", []),
        "organization": current.organization if current else None,
        "may": May(current, getattr(request, "user", None)),
        "roles": {role.value: role in roles for role in Role},
    }
