from core.roles import Role


def membership(request):
    current = getattr(request, "membership", None)
    roles = current.roles if current else frozenset()
    return {
        "membership": current,
        "memberships": getattr(request, "memberships", []),
        "organization": current.organization if current else None,
        "roles": {role.value: role in roles for role in Role},
    }
