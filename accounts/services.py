"""Writes for organizations, members and API tokens; each audited."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.currencies import is_currency
from core.errors import Conflict, ConflictReason, InvalidInput
from core.mail import email_send_on_commit
from core.roles import Role
from core.signals import evidence_changed

from .models import ApiToken, Invitation, Membership, Organization

INVITATION_DAYS = 14


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
            organization=org, action=Action.ORGANIZATION_CREATED, target=org, after={"slug": slug}
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
    by: User | None = None,
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
            action=Action.MEMBER_ROLES_SET,
            target=membership,
            before={"roles": before},
            after={"roles": membership.role_names},
        )
        if Role.OPERATOR.value in set(before) ^ set(membership.role_names):
            evidence_changed.send(sender=Membership, organization=organization, actor=by)
    return membership


@transaction.atomic
def token_create(
    *, membership: Membership, name: str = "API token", by: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    raw, key_hash, prefix = ApiToken.generate()
    token = ApiToken.objects.create(
        membership=membership, name=(name or "API token")[:100], key_hash=key_hash, prefix=prefix
    )
    audit_record(
        organization=membership.organization,
        actor=by or membership.user,
        action=Action.API_TOKEN_CREATED,
        target=token,
        after={"name": token.name, "prefix": prefix, "member": membership.user.username},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User | None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            organization=token.membership.organization,
            actor=by,
            action=Action.API_TOKEN_REVOKED,
            target=token,
            before={"active": True},
            after={"active": False},
        )
    return token


@transaction.atomic
def member_remove(*, membership: Membership, by: User | None = None) -> None:
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
        action=Action.MEMBER_REMOVED,
        target=membership,
        object_label=username,
        before={"member": username, "roles": roles, "active": membership.is_active},
        after=None,
    )
    membership.delete()
    # Owners, escalation owners and operators are read by the gates' checklist items.
    evidence_changed.send(sender=Membership, organization=organization, actor=by)


@transaction.atomic
def member_set_active(
    *, membership: Membership, active: bool, by: User | None = None
) -> Membership:
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
        action=Action.MEMBER_REACTIVATED if active else Action.MEMBER_DEACTIVATED,
        target=locked,
        object_label=locked.user.get_username(),
        before={"active": not active},
        after={"active": active},
    )
    evidence_changed.send(sender=Membership, organization=locked.organization, actor=by)
    return locked


@transaction.atomic
def invitation_create(
    *, membership: Membership, email: str, roles: set[Role], link_for: Callable[[str], str]
) -> Invitation:
    """Invite `email` to the admin's organization with these roles, and email them the link
    (`link_for(raw_token)` makes its absolute URL). The same happens whether or not the address
    belongs to an account, so the page tells nothing about who has one."""
    raw, key_hash = Invitation.generate()
    now = timezone.now()
    invitation = Invitation.objects.create(
        organization=membership.organization,
        email=email.strip(),
        roles=sorted(role.value for role in roles),
        key_hash=key_hash,
        invited_by=membership.user,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    audit_record(
        organization=membership.organization,
        actor=membership.user,
        action=Action.MEMBER_INVITED,
        target=invitation,
        object_label=invitation.email,
        after={"email": invitation.email, "roles": invitation.roles},
    )
    inviter = membership.user.get_username()
    email_send_on_commit(
        recipients=[invitation.email],
        subject=f"{inviter} invites you to {membership.organization.name} on Readiness",
        body=(
            f"{inviter} invites you to join {membership.organization.name} on Readiness as "
            f"{', '.join(invitation.roles)}.\n\nAccept or decline it here (the link works for "
            f"{INVITATION_DAYS} days):\n{link_for(raw)}\n\nIf you have an account, you will "
            "also see the invitation when you sign in. If you did not expect this, ignore it."
        ),
    )
    return invitation


def _closed_reasons(invitation: Invitation) -> list[ConflictReason]:
    if invitation.accepted_at is not None:
        return [ConflictReason("invitation_accepted", "This invitation was accepted already.")]
    if invitation.declined_at is not None:
        return [ConflictReason("invitation_declined", "This invitation was declined.")]
    if invitation.expires_at <= timezone.now():
        return [
            ConflictReason("invitation_expired", "This invitation has expired: ask for a new one.")
        ]
    return []


@transaction.atomic
def invitation_respond(*, invitation: Invitation, user: User, accept: bool) -> Membership | None:
    """Accept (the user joins with the invitation's roles) or decline an open invitation."""
    locked = (
        Invitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    )
    reasons = _closed_reasons(locked)
    if reasons:
        raise Conflict("This invitation is closed.", reasons)
    now = timezone.now()
    if not accept:
        locked.declined_at = now
        locked.save(update_fields=["declined_at"])
        audit_record(
            organization=locked.organization,
            actor=user,
            action=Action.MEMBER_INVITATION_DECLINED,
            target=locked,
            object_label=locked.email,
        )
        return None
    existing = Membership.objects.filter(user=user, organization=locked.organization).first()
    if existing is not None and not existing.is_active:
        raise Conflict(
            "You are deactivated in this organization.",
            [
                ConflictReason(
                    "member_deactivated",
                    f"You are deactivated in {locked.organization}: an admin reactivates you.",
                )
            ],
        )
    roles = {Role(name) for name in locked.roles}
    if existing is not None:
        roles |= set(existing.roles)
    membership = member_set_roles(
        organization=locked.organization,
        username=user.get_username(),
        roles=roles,
        by=user,
    )
    locked.accepted_at, locked.accepted_by = now, user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        organization=locked.organization,
        actor=user,
        action=Action.MEMBER_INVITATION_ACCEPTED,
        target=locked,
        object_label=locked.email,
        after={"member": user.get_username(), "roles": membership.role_names},
    )
    return membership


@transaction.atomic
def organization_settings_update(
    *, organization: Organization, membership: Membership, currency: object
) -> bool:
    """An admin sets the organization's settings (today its currency, an ISO 4217 code);
    answers whether anything changed. One audit entry with the keys that changed."""
    permissions.may_change_organization_settings(membership, organization).require()
    code = currency.strip().upper() if isinstance(currency, str) else currency
    if not is_currency(code):
        raise InvalidInput(
            {"currency": ["Use an active ISO 4217 currency code, e.g. USD, EUR or GBP."]}
        )
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    if locked.currency == code:
        return False
    before = {"currency": locked.currency}
    # is_currency accepted `code`, so it is a str (is_currency is not a TypeGuard).
    locked.currency = code  # type: ignore[assignment]
    locked.save(update_fields=["currency"])
    organization.currency = code  # type: ignore[assignment]
    audit_record(
        organization=locked,
        actor=membership.user,
        action=Action.ORGANIZATION_SETTINGS_CHANGED,
        target=locked,
        before=before,
        after={"currency": code},
    )
    return True


TOKEN_TOUCH_SECONDS = 60


def token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record that the token was used, at most once a minute (not audited: an observation)."""
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > TOKEN_TOUCH_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
