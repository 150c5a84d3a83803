"""The tenancy guard of every page: signed in, acting in an organization, and (optionally)
holding a role that allows the view. `request.membership` is set by
accounts.middleware.CurrentMembershipMiddleware."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def member_required(view=None, *, allow=None):
    """Signed in and acting in an organization; `allow(roles)` optionally gates the view (403)."""

    def decorator(view_func):
        @login_required
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "accounts/no_organization.html", status=403)
            if allow is not None and not allow(request.membership.roles):
                raise PermissionDenied("Your roles in this organization do not allow this.")
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
