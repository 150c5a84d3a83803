"""What the navigation of every page shows beside its links, read in ONE query: the member's
unread notifications, the number beside My work, and whether invitations wait for the user
(their list is read only when there are some). Nothing is read on the API or for someone
signed out."""

from accounts.selectors import invitations_open_for, invitations_open_queryset
from core.selectors import counts_in_one_query
from notifications.selectors import unread_queryset
from overview.work_selectors import work_count_querysets


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/api/"):
        return {}
    membership = getattr(request, "membership", None)
    querysets = {"invitations": invitations_open_queryset(user=user)}
    work = {}
    if membership is not None:
        querysets["unread"] = unread_queryset(membership=membership)
        work = work_count_querysets(membership=membership)
        querysets.update(work)
    counts = counts_in_one_query(querysets)
    context = {
        "open_invitations": invitations_open_for(user=user) if counts["invitations"] else [],
    }
    if membership is not None:
        context["notifications_unread"] = counts["unread"]
        context["work_count"] = sum(counts[name] for name in work)
    return context
