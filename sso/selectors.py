"""Reads of the SSO room, in a fixed number of queries."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Membership, Organization

from .discovery import sso_enabled
from .mapping import Mapping
from .models import GroupMapping, OrganizationSso


def mapping_list() -> QuerySet[GroupMapping]:
    """Every mapping (superusers' page: one provider serves every organization)."""
    return GroupMapping.objects.select_related("organization").order_by(
        "claim_value", "organization__name"
    )


def mapping_get(*, pk: int) -> GroupMapping:
    return get_object_or_404(GroupMapping.objects.select_related("organization"), pk=pk)


def mapping_facts() -> list[Mapping]:
    """Every mapping as the pure rule's values."""
    return [
        Mapping(
            id=row.pk,
            claim_value=row.claim_value,
            organization_id=row.organization_id,
            roles=frozenset(row.roles),
        )
        for row in GroupMapping.objects.only("pk", "claim_value", "organization_id", "roles")
    ]


def organization_choices() -> QuerySet[Organization]:
    return Organization.objects.order_by("name")


def organization_requires_sso(*, organization: Organization) -> bool:
    return OrganizationSso.objects.filter(organization=organization, require_sso=True).exists()


def organizations_requiring_sso(*, user: User) -> list[Organization]:
    """The organizations of the user's active memberships that require single sign-on."""
    return list(
        Organization.objects.filter(
            memberships__user=user,
            memberships__is_active=True,
            sso_policy__require_sso=True,
        ).order_by("name")
    )


def user_has_membership(*, user: User) -> bool:
    return Membership.objects.filter(user=user, is_active=True).exists()


def mapping_contacts() -> list[User]:
    """Who edits the sign-in mappings: the active superusers."""
    return list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .order_by("username")
        .only("username", "email", "first_name", "last_name")
    )


def password_sign_in_refusal(user: User) -> str | None:
    """Why this user may not sign in with a password: an organization they are an active
    member of requires single sign-on (any one is enough, since a session reaches every
    organization of the user). Superusers are never refused, so that someone can still sign in
    when the provider is down. Nothing is refused while SSO is not configured."""
    if not sso_enabled() or user.is_superuser:
        return None
    organizations = organizations_requiring_sso(user=user)
    if not organizations:
        return None
    names = ", ".join(o.name for o in organizations)
    return (
        f"{names} requires single sign-on: use the “{settings.OIDC_BUTTON_LABEL}” button "
        "below instead of your password."
    )
