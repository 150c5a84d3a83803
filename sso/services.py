"""Writes of single sign-on (docs/sso.md): a sign-in (the user, their identity and the
mapping's roles), the superusers' mappings, and an organization's sign-in policy. Each in one
transaction, each change with its audit entry."""

import re
from collections.abc import Iterable
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization
from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.errors import Forbidden, InvalidInput
from core.roles import Role

from . import mapping as rule
from .models import GroupMapping, OrganizationSso, SsoExclusion, SsoGrant, SsoIdentity
from .selectors import mapping_facts

USERNAME_MAX = 150
ROLE_NAMES = {role.value for role in Role}


# Signing in ---------------------------------------------------------------------------------


def _username_base(claims: dict) -> str:
    for key in ("preferred_username", "email", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            base = re.sub(r"[^\w.@+-]", "", value.strip())[:100]
            if base:
                return base
    return "sso-user"


def _unique_username(claims: dict) -> str:
    """A free username from preferred_username or email: never an existing user's."""
    user_model = get_user_model()
    base = _username_base(claims)
    candidate, n = base, 1
    while user_model.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"[:USERNAME_MAX]
    return candidate


@transaction.atomic
def sso_sign_in(*, issuer: str, claims: dict, groups_claim: str) -> User:
    """The user of a verified ID token: found by (issuer, subject) or created, then given
    the roles the mappings say (docs/sso.md, "Roles from groups"). Returns the user."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidInput({"sub": ["The provider sent no subject."]})
    now = timezone.now()
    identity = (
        SsoIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    created = identity is None
    if identity is None:
        # cast: the isinstance check on the same key; mypy does not narrow a call's result.
        email = cast(str, claims.get("email")) if isinstance(claims.get("email"), str) else ""
        user = get_user_model().objects.create_user(
            username=_unique_username(claims), email=email[:254]
        )
        identity = SsoIdentity.objects.create(
            user=user, issuer=issuer, subject=subject, created_at=now
        )
    user = identity.user
    if not user.is_active:
        raise Forbidden("Your account here is disabled: ask whoever runs Readiness.")
    identity.last_sign_in_at = now
    identity.save(update_fields=["last_sign_in_at"])
    values = rule.claim_values(claims.get(groups_claim))
    changes = _roles_apply(user=user, values=values)
    audit_record(
        actor=user,
        action=Action.SSO_SIGNED_IN,
        target=identity,
        object_label=user.get_username(),
        after={
            "user_id": user.pk,
            "issuer": issuer,
            "subject": subject,
            "user_created": created,
            "claim_values": sorted(values),
            "granted": changes["granted"],
            "removed": changes["removed"],
        },
    )
    return user


def _roles_apply(*, user: User, values: frozenset[str]) -> dict[str, list]:
    wanted = rule.roles_wanted(values, mapping_facts())
    memberships = {
        m.organization_id: m
        for m in Membership.objects.select_for_update()
        .filter(user=user)
        .select_related("organization")
    }
    grants: dict[int, dict[str, SsoGrant]] = {}
    for grant in SsoGrant.objects.filter(membership__user=user).select_related("membership"):
        grants.setdefault(grant.membership.organization_id, {})[grant.role] = grant
    excluded = set(SsoExclusion.objects.filter(user=user).values_list("organization_id", flat=True))
    organizations = Organization.objects.in_bulk(set(wanted) | set(memberships))
    summary: dict[str, list] = {"granted": [], "removed": []}
    for organization_id in sorted(set(wanted) | set(grants)):
        membership = memberships.get(organization_id)
        facts = rule.MemberFacts(
            exists=membership is not None,
            active=membership.is_active if membership else True,
            roles=frozenset(r.value for r in membership.roles) if membership else frozenset(),
            sso_granted=frozenset(grants.get(organization_id, {})),
            removed_by_hand=organization_id in excluded,
        )
        changes = rule.role_changes(wanted.get(organization_id, {}), facts)
        organization = organizations[organization_id]
        _changes_write(user, organization, membership, changes, grants.get(organization_id, {}))
        summary["granted"] += [f"{organization.slug}:{r}" for r in sorted(changes.grant)]
        summary["removed"] += [f"{organization.slug}:{r}" for r in sorted(changes.remove)]
    return summary


def _changes_write(
    user: User,
    organization: Organization,
    membership: Membership | None,
    changes: rule.RoleChanges,
    grants: dict[str, SsoGrant],
) -> None:
    for role in changes.forget:
        grants[role].delete()
    if not changes.changed:
        return
    if membership is None:
        membership = Membership.objects.create(user=user, organization=organization)
    roles = {Role(r) for r in membership.role_names}
    for role in sorted(changes.grant):
        before = sorted(r.value for r in roles)
        roles.add(Role(role))
        SsoGrant.objects.update_or_create(
            membership=membership, role=role, defaults={"mapping_id": changes.mapping_of[role]}
        )
        _role_audit(Action.SSO_ROLE_GRANTED, user, organization, membership, role, before, roles)
    for role in sorted(changes.remove):
        before = sorted(r.value for r in roles)
        roles.discard(Role(role))
        grants[role].delete()
        _role_audit(Action.SSO_ROLE_REMOVED, user, organization, membership, role, before, roles)
    if not roles:
        # No role left: the member leaves the organization, as when an admin takes the last
        # role away (accounts.services.member_set_roles), but this is no removal by hand.
        membership.delete()
        return
    membership.set_roles(roles)
    membership.save()


def _role_audit(
    action: Action,
    user: User,
    organization: Organization,
    membership: Membership,
    role: str,
    before: list[str],
    roles: set[Role],
) -> None:
    audit_record(
        organization=organization,
        action=action,
        target=membership,
        object_label=user.get_username(),
        before={"membership_id": membership.pk, "roles": before},
        after={
            "membership_id": membership.pk,
            "role": role,
            "roles": sorted(r.value for r in roles),
            "member_left": not roles,
        },
    )


# Removed by hand ----------------------------------------------------------------------------


@transaction.atomic
def sso_exclusion_record(*, organization_id: int, username: str) -> SsoExclusion | None:
    """Remember that this user was removed from the organization by hand, so that a sign-in
    does not add them back. Called for each `member.removed` entry of the audit trail."""
    user = get_user_model().objects.filter(username=username).first()
    organization = Organization.objects.filter(pk=organization_id).first()
    if user is None or organization is None:
        return None
    exclusion, _ = SsoExclusion.objects.get_or_create(organization=organization, user=user)
    return exclusion


# Mappings (superusers) ----------------------------------------------------------------------


def _superuser_check(by: User) -> None:
    permissions.may_edit_sign_in_mappings(by).require()


def _mapping_input(
    claim_value: object,
    organization: Organization | None,
    roles: Iterable[object] | None,
    *,
    pk: int | None = None,
) -> tuple[str, list[str]]:
    errors: dict[str, list[str]] = {}
    value = (claim_value or "").strip() if isinstance(claim_value, str) else ""
    if not value:
        errors["claim_value"] = ["Give the claim value, exactly as the provider sends it."]
    elif len(value) > 200:
        errors["claim_value"] = ["At most 200 characters."]
    names = sorted({str(r) for r in roles or []})
    unknown = [n for n in names if n not in ROLE_NAMES]
    if unknown:
        errors["roles"] = [f"Unknown role {', '.join(unknown)}."]
    elif not names:
        errors["roles"] = ["Choose at least one role."]
    if organization is None:
        errors["organization"] = ["Choose an organization."]
    if value and organization is not None and "claim_value" not in errors:
        clash = GroupMapping.objects.filter(claim_value=value, organization=organization)
        # pk=None (a new mapping) excludes nothing; the stubs' lookup types leave None out.
        if clash.exclude(pk=pk).exists():  # type: ignore[misc]
            errors["claim_value"] = [f"{value} already has a mapping in {organization}."]
    if errors:
        raise InvalidInput(errors)
    return value, names


def _mapping_state(mapping: GroupMapping) -> dict:
    return {
        "mapping_id": mapping.pk,
        "claim_value": mapping.claim_value,
        "organization_id": mapping.organization_id,
        "roles": list(mapping.roles),
    }


@transaction.atomic
def mapping_create(
    *,
    by: User,
    claim_value: str,
    organization: Organization | None,
    roles: Iterable[object] | None,
) -> GroupMapping:
    _superuser_check(by)
    value, names = _mapping_input(claim_value, organization, roles)
    # _mapping_input refused a missing organization (InvalidInput), so it is one here.
    mapping = GroupMapping.objects.create(
        claim_value=value,
        organization=organization,  # type: ignore[misc]
        roles=names,
    )
    audit_record(
        organization=organization,
        actor=by,
        action=Action.SSO_MAPPING_CREATED,
        target=mapping,
        after=_mapping_state(mapping),
    )
    return mapping


@transaction.atomic
def mapping_update(
    *, by: User, mapping: GroupMapping, claim_value: str, roles: Iterable[object] | None
) -> GroupMapping:
    """Change a mapping's value or roles (its organization stays). Roles it granted are
    taken back at each member's next sign-in if it no longer gives them."""
    _superuser_check(by)
    locked = (
        GroupMapping.objects.select_for_update().select_related("organization").get(pk=mapping.pk)
    )
    value, names = _mapping_input(claim_value, locked.organization, roles, pk=locked.pk)
    before = _mapping_state(locked)
    locked.claim_value, locked.roles, locked.updated_at = value, names, timezone.now()
    locked.save(update_fields=["claim_value", "roles", "updated_at"])
    after = _mapping_state(locked)
    if before != after:
        audit_record(
            organization=locked.organization,
            actor=by,
            action=Action.SSO_MAPPING_CHANGED,
            target=locked,
            before=before,
            after={**after, "keys_changed": sorted(k for k in after if after[k] != before[k])},
        )
    return locked


@transaction.atomic
def mapping_delete(*, by: User, mapping: GroupMapping) -> None:
    _superuser_check(by)
    before = _mapping_state(mapping)
    organization = mapping.organization
    audit_record(
        organization=organization,
        actor=by,
        action=Action.SSO_MAPPING_DELETED,
        target=mapping,
        before=before,
    )
    mapping.delete()


# The organization's policy --------------------------------------------------------------------


@transaction.atomic
def organization_sso_set(*, membership: Membership, require_sso: bool) -> OrganizationSso:
    """An admin requires single sign-on of their organization's members, or lifts it."""
    permissions.may_manage_sso(membership).require()
    if not isinstance(require_sso, bool):
        raise InvalidInput({"require_sso": ["Say yes or no."]})
    policy, _ = OrganizationSso.objects.select_for_update().get_or_create(
        organization=membership.organization
    )
    if policy.require_sso != require_sso:
        policy.require_sso, policy.updated_at = require_sso, timezone.now()
        policy.save(update_fields=["require_sso", "updated_at"])
        audit_record(
            organization=membership.organization,
            actor=membership.user,
            action=Action.SSO_REQUIREMENT_SET,
            target=policy,
            before={"require_sso": not require_sso},
            after={"require_sso": require_sso},
        )
    return policy
