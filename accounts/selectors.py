from django.shortcuts import get_object_or_404

from .models import ApiToken, Membership, Organization


def membership_list_for_user(*, user) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def member_list(*, organization: Organization):
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__username")
    )


def member_get(*, organization: Organization, username: str) -> Membership | None:
    return (
        Membership.objects.filter(organization=organization, user__username=username)
        .select_related("user")
        .first()
    )


def token_list(*, membership: Membership):
    return ApiToken.objects.filter(membership=membership).order_by("-created_at")


def token_get(*, membership: Membership, pk: int) -> ApiToken:
    return get_object_or_404(ApiToken, membership=membership, pk=pk)
