"""The mapping rule of single sign-on (docs/sso.md), over plain values: no Django here.

At every SSO sign-in, the groups claim's values say which roles the user should hold in which
organization. A mapping's role is granted when the claim carries its value, and taken back
when it no longer does, but only if a mapping granted it: roles granted by hand stay. Someone
removed from an organization by hand is not added back, and a deactivated member is left as
they are.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mapping:
    id: int
    claim_value: str
    organization_id: int
    roles: frozenset[str]


@dataclass(frozen=True)
class MemberFacts:
    """What a user has in one organization before the sign-in."""

    exists: bool = False
    active: bool = True
    roles: frozenset[str] = frozenset()
    sso_granted: frozenset[str] = frozenset()
    removed_by_hand: bool = False


@dataclass(frozen=True)
class RoleChanges:
    grant: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()
    # Records of grants whose role is no longer held (taken away by hand): forgotten.
    forget: frozenset[str] = frozenset()
    roles_after: frozenset[str] = frozenset()
    mapping_of: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.grant or self.remove)


def claim_values(raw: object) -> frozenset[str]:
    """The values of a groups claim: a list of strings, or one string; anything else none."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        return frozenset()
    return frozenset(value.strip() for value in raw if isinstance(value, str) and value.strip())


def roles_wanted(values: Iterable[str], mappings: Iterable[Mapping]) -> dict[int, dict[str, int]]:
    """Organization id → role → the id of the first mapping (by id) that gives it."""
    carried = set(values)
    wanted: dict[int, dict[str, int]] = {}
    for mapping in sorted(mappings, key=lambda m: m.id):
        if mapping.claim_value not in carried:
            continue
        roles = wanted.setdefault(mapping.organization_id, {})
        for role in sorted(mapping.roles):
            roles.setdefault(role, mapping.id)
    return wanted


def role_changes(wanted: dict[str, int], member: MemberFacts) -> RoleChanges:
    """What a sign-in changes in one organization, given the roles the mappings give there
    (role → mapping id) and what the user has there now."""
    wanted_roles = frozenset(wanted)
    if not member.exists:
        if member.removed_by_hand or not wanted_roles:
            return RoleChanges()
        return RoleChanges(
            grant=wanted_roles,
            roles_after=wanted_roles,
            mapping_of=dict(wanted),
        )
    held_grants = member.sso_granted & member.roles
    forget = member.sso_granted - member.roles
    if not member.active:
        return RoleChanges(forget=forget, roles_after=member.roles)
    grant = wanted_roles - member.roles
    remove = held_grants - wanted_roles
    return RoleChanges(
        grant=grant,
        remove=remove,
        forget=forget,
        roles_after=(member.roles | grant) - remove,
        mapping_of={role: wanted[role] for role in grant},
    )
