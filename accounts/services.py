"""Writes for organizations, members and API tokens; each audited."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.services import audit_record
from core.errors import Conflict, ConflictReason
from core.roles import Role

from .models import ApiToken, Membership, Organization


def _last_admin_reasons(membership: Membership) -> list[ConflictReason]:
    """Refuse leaving the organization without an active admin."""
    if not membership.is_admin:
        return []
    others = (
        Membership.objects.filter(
            organization=membership.organization, is_admin=True, is_active=True
        )
        .exclude(pk=membership.pk)
        .exists()
    )
    if others:
        return []
    return [
        ConflictReason(
            "last_admin",
            f"{membership.user.get_username()} is the organization's only active admin: make "
            "someone else an admin first.",
        )
    ]


def organization_get_or_create(*, slug: str, name: str | None = None) -> Organization:
    slug = slugify(slug)
    if not slug:
        raise ValueError("the organization slug is empty")
    org, created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    if created:
        audit_record(
            organization=org, action="organization.created", target=org, after={"slug": slug}
        )
    return org


@transaction.atomic
def member_set_roles(
    *,
    organization: Organization,
    username: str,
    roles: set[Role],
    password: str | None = None,
    email: str = "",
    by=None,
) -> Membership:
    """Create the user and membership when missing and set exactly these roles."""
    username = (username or "").strip()
    if not username:
        raise ValueError("the username is empty")
    user_model = get_user_model()
    user, user_created = user_model.objects.get_or_create(
        username=username, defaults={"email": email}
    )
    if user_created or password:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    membership, created = Membership.objects.get_or_create(user=user, organization=organization)
    before = [] if created else membership.role_names
    if not roles and not created:
        # Taking away the last role is a removal: a member with no role kept reading everything.
        member_remove(membership=membership, by=by)
        return membership
    membership.set_roles(roles)
    membership.save()
    if before != membership.role_names:
        audit_record(
            organization=organization,
            actor=by,
            action="member.roles_set",
            target=membership,
            before={"roles": before},
            after={"roles": membership.role_names},
        )
    return membership


@transaction.atomic
def token_create(
    *, membership: Membership, name: str = "API token", by=None
) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    raw, key_hash, prefix = ApiToken.generate()
    token = ApiToken.objects.create(
        membership=membership, name=(name or "API token")[:100], key_hash=key_hash, prefix=prefix
    )
    audit_record(
        organization=membership.organization,
        actor=by or membership.user,
        action="api_token.created",
        target=token,
        after={"name": token.name, "prefix": prefix, "member": membership.user.username},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, by) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            organization=token.membership.organization,
            actor=by,
            action="api_token.revoked",
            target=token,
            before={"active": True},
            after={"active": False},
        )
    return token


@transaction.atomic
def member_remove(*, membership: Membership, by=None) -> None:
    """Remove a member from the organization: their membership and API tokens are deleted, so
    their sessions and tokens stop working there at once. What they own (agents, escalation
    paths) stays, shown as needing a new owner."""
    reasons = _last_admin_reasons(membership)
    if reasons:
        raise Conflict("This member cannot be removed.", reasons)
    organization, roles = membership.organization, membership.role_names
    username = membership.user.get_username()
    audit_record(
        organization=organization,
        actor=by,
        action="member.removed",
        target=membership,
        object_label=username,
        before={"member": username, "roles": roles, "active": membership.is_active},
        after=None,
    )
    membership.delete()


@transaction.atomic
def member_set_active(*, membership: Membership, active: bool, by=None) -> Membership:
    """Deactivate a member (kept for history, no access) or reactivate them."""
    locked = (
        Membership.objects.select_for_update()
        .select_related("user", "organization")
        .get(pk=membership.pk)
    )
    if locked.is_active == active:
        return locked
    if not active:
        reasons = _last_admin_reasons(locked)
        if reasons:
            raise Conflict("This member cannot be deactivated.", reasons)
    locked.is_active = active
    locked.deactivated_at = None if active else timezone.now()
    locked.save(update_fields=["is_active", "deactivated_at"])
    audit_record(
        organization=locked.organization,
        actor=by,
        action="member.reactivated" if active else "member.deactivated",
        target=locked,
        object_label=locked.user.get_username(),
        before={"active": not active},
        after={"active": active},
    )
    return locked
