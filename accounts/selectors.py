from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.models import DataVersion

from .models import ApiToken, Invitation, Membership, Organization, hash_token


def membership_list_for_user(*, user: User) -> list[Membership]:
    """The organizations a user may act in: active memberships only.

    Each carries the data version as it was at the start of the request (`data_version`,
    core/freshness.py), read in the same query, before the page reads anything it shows: the
    page cache's key (core/page_cache.py)."""
    return list(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organization")
        .annotate(data_version=Subquery(DataVersion.objects.filter(pk=1).values("value")[:1]))
        .order_by("organization__name")
    )


def admin_memberships_of(*, user: User) -> dict[int, Membership]:
    """The user's active memberships as an admin, by organization id (what the admin site's
    actions check a row's organization against)."""
    return {
        m.organization_id: m
        for m in Membership.objects.filter(user=user, is_active=True, is_admin=True)
    }


def membership_roles_stored(*, pk: int) -> list[str]:
    """A membership's role names as the database holds them (before an edit is saved)."""
    return Membership.objects.get(pk=pk).role_names


def member_list(*, organization: Organization) -> QuerySet[Membership]:
    """Every member of the organization, active or not (the members page shows both)."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__username")
    )


def active_member_list(*, organization: Organization) -> QuerySet[Membership]:
    """The members who may act in the organization (owners, escalation owners, operators)."""
    return member_list(organization=organization).filter(is_active=True)


def active_member_user_ids(*, organization: Organization) -> set[int]:
    return set(
        Membership.objects.filter(organization=organization, is_active=True).values_list(
            "user_id", flat=True
        )
    )


def member_get(*, organization: Organization, username: str) -> Membership | None:
    return (
        Membership.objects.filter(organization=organization, user__username=username)
        .select_related("user")
        .first()
    )


def token_list(*, membership: Membership) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(membership=membership).order_by("-created_at")


def token_get(*, membership: Membership, pk: int) -> ApiToken:
    return get_object_or_404(ApiToken, membership=membership, pk=pk)


def invitations_open_queryset(*, user: User | AnonymousUser) -> QuerySet[Invitation]:
    """The open invitations addressed to the user's email, to organizations they are not in
    (none for a user without an email address)."""
    if not user.is_authenticated or not user.email:
        return Invitation.objects.none()
    return Invitation.objects.filter(
        email__iexact=user.email,
        accepted_at__isnull=True,
        declined_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exclude(organization__memberships__user=user)


def invitations_open_for(*, user: User | AnonymousUser) -> list[Invitation]:
    """The open invitations of `invitations_open_queryset`, with their organization."""
    if not user.is_authenticated or not user.email:
        return []
    return list(invitations_open_queryset(user=user).select_related("organization", "invited_by"))


def invitation_by_token(*, raw: str) -> Invitation | None:
    return (
        Invitation.objects.filter(key_hash=hash_token(raw or ""))
        .select_related("organization")
        .first()
    )


def invitation_list_of(*, organization: Organization) -> list[Invitation]:
    """The organization's open invitations (for its members page)."""
    return list(
        Invitation.objects.filter(
            organization=organization,
            accepted_at__isnull=True,
            declined_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).select_related("invited_by")
    )


def api_token_by_key(*, raw: str) -> ApiToken | None:
    """The live API token with this value, with its membership (None when revoked, unknown
    or its membership is deactivated)."""
    return (
        ApiToken.objects.select_related("membership__organization", "membership__user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, membership__is_active=True)
        .first()
    )
