"""Attach the signed-in user's current membership: the organization they act in."""

from .selectors import membership_list_for_user

SESSION_KEY = "current_membership_id"


class CurrentMembershipMiddleware:
    """Sets `request.membership` (None when signed out or in no organization) and
    `request.memberships` (every organization of the user, for the switcher)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.memberships = []
        if not request.path.startswith("/api/") and request.user.is_authenticated:
            memberships = membership_list_for_user(user=request.user)
            request.memberships = memberships
            wanted = request.session.get(SESSION_KEY)
            request.membership = next(
                (m for m in memberships if m.pk == wanted), memberships[0] if memberships else None
            )
        return self.get_response(request)
