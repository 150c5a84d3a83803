"""The tenancy guard of every page: signed in, acting in an organization, and (optionally)
holding a role that allows the view. `request.membership` is set by
accounts.middleware.CurrentMembershipMiddleware."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .roles import ROLE_LABELS, roles_allowing


def member_required(view=None, *, allow=None, objects=None):
    """Signed in and acting in an organization; `allow(roles)` optionally gates the view (403).

    `objects(request, **url_kwargs)` resolves the objects the URL names within the member's
    organization first, so that another organization's object is a 404 before any 403, as in
    the API (docs/adr/0002-api-tenant-resolution.md)."""

    def decorator(view_func):
        @login_required
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "accounts/no_organization.html", status=403)
            if objects is not None and allow is not None and not allow(request.membership.roles):
                objects(request, **kwargs)  # Http404 for an object of another organization
            if allow is not None and not allow(request.membership.roles):
                raise PermissionDenied(role_needed_message(request.membership, allow))
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def url_object(getter, *, param: str = "pk"):
    """An `objects=` resolver for `member_required`: `getter(organization=..., pk=...)` with
    the URL's `param`, raising Http404 for an object of another organization."""

    def resolve(request, **kwargs):
        return getter(organization=request.membership.organization, pk=kwargs[param])

    return resolve


def role_needed_message(membership, allow) -> str:
    """What a 403 says: the role the action needs, the roles held, and who can change them."""
    needed = [ROLE_LABELS[role] for role in roles_allowing(allow)]
    held = sorted(ROLE_LABELS[role] for role in membership.roles) or ["none"]
    organization = membership.organization.name
    if not needed:
        return "Your roles in this organization do not allow this."
    wanted = " or ".join(needed)
    return (
        f"This needs the {wanted} role in {organization}; your roles there: "
        f"{', '.join(held)}. An admin of {organization} can add the role on the members page."
    )
