from core.roles import Role

from .selectors import invitations_open_for


def membership(request):
    current = getattr(request, "membership", None)
    roles = current.roles if current else frozenset()
    return {
        "membership": current,
        "memberships": getattr(request, "memberships", []),
        "organization": current.organization if current else None,
        "roles": {role.value: role in roles for role in Role},
        "open_invitations": _open_invitations(request),
    }


def _open_invitations(request):
    """Invitations waiting for the signed-in user (one query, only on pages, not the API)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/api/"):
        return []
    return invitations_open_for(user=user)
