"""The pure mapping rule (sso/mapping.py): which roles a sign-in grants and takes back."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sso.mapping import Mapping, MemberFacts, claim_values, role_changes, roles_wanted

ROLES = ["admin", "assessor", "approver", "operator", "viewer"]


def test_only_the_carried_values_give_roles_in_their_organizations():
    mappings = [
        Mapping(1, "eng", 10, frozenset({"assessor"})),
        Mapping(2, "eng", 20, frozenset({"viewer"})),
        Mapping(3, "ops", 10, frozenset({"operator", "viewer"})),
        Mapping(4, "board", 10, frozenset({"approver"})),
    ]

    wanted = roles_wanted({"eng", "ops"}, mappings)

    assert wanted == {10: {"assessor": 1, "operator": 3, "viewer": 3}, 20: {"viewer": 2}}


def test_the_first_mapping_by_id_is_the_one_recorded_for_a_role():
    mappings = [
        Mapping(7, "b", 1, frozenset({"viewer"})),
        Mapping(3, "a", 1, frozenset({"viewer"})),
    ]

    assert roles_wanted({"a", "b"}, mappings) == {1: {"viewer": 3}}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["a", "b"], {"a", "b"}),
        ("a", {"a"}),
        ([" a ", "", 3, None, "b"], {"a", "b"}),
        (None, set()),
        ({"a": 1}, set()),
        (42, set()),
    ],
)
def test_claim_values_accept_a_list_or_one_string(raw, expected):
    assert claim_values(raw) == expected


# (wanted, facts) → (grant, remove, forget, roles after)
CASES = {
    "a first sign-in gets the mapped roles": (
        {"assessor": 1},
        MemberFacts(),
        ({"assessor"}, set(), set(), {"assessor"}),
    ),
    "no mapping, no membership: nothing": ({}, MemberFacts(), (set(), set(), set(), set())),
    "removed by hand: not added back": (
        {"assessor": 1},
        MemberFacts(removed_by_hand=True),
        (set(), set(), set(), set()),
    ),
    "re-added by hand after a removal: mapped again": (
        {"assessor": 1},
        MemberFacts(exists=True, roles=frozenset({"viewer"}), removed_by_hand=True),
        ({"assessor"}, set(), set(), {"assessor", "viewer"}),
    ),
    "a group gone takes back the role it granted": (
        {},
        MemberFacts(
            exists=True, roles=frozenset({"assessor"}), sso_granted=frozenset({"assessor"})
        ),
        (set(), {"assessor"}, set(), set()),
    ),
    "a role granted by hand stays when the group goes": (
        {},
        MemberFacts(
            exists=True,
            roles=frozenset({"assessor", "operator"}),
            sso_granted=frozenset({"assessor"}),
        ),
        (set(), {"assessor"}, set(), {"operator"}),
    ),
    "a role held by hand is not claimed by the mapping": (
        {"operator": 1},
        MemberFacts(exists=True, roles=frozenset({"operator"})),
        (set(), set(), set(), {"operator"}),
    ),
    "a granted role taken away by hand is forgotten, then granted again": (
        {"assessor": 1},
        MemberFacts(exists=True, roles=frozenset({"viewer"}), sso_granted=frozenset({"assessor"})),
        ({"assessor"}, set(), {"assessor"}, {"assessor", "viewer"}),
    ),
    "a deactivated member is left as they are": (
        {"assessor": 1},
        MemberFacts(
            exists=True,
            active=False,
            roles=frozenset({"viewer"}),
            sso_granted=frozenset({"viewer"}),
        ),
        (set(), set(), set(), {"viewer"}),
    ),
}


@pytest.mark.parametrize(("wanted", "facts", "expected"), CASES.values(), ids=CASES.keys())
def test_role_changes(wanted, facts, expected):
    changes = role_changes(wanted, facts)

    assert (changes.grant, changes.remove, changes.forget, changes.roles_after) == expected


role_sets = st.frozensets(st.sampled_from(ROLES))


@given(
    wanted=role_sets,
    roles=role_sets,
    granted=role_sets,
    exists=st.booleans(),
    active=st.booleans(),
    removed=st.booleans(),
)
def test_hand_roles_are_never_removed_and_removed_members_never_added(
    wanted, roles, granted, exists, active, removed
):
    facts = MemberFacts(
        exists=exists,
        active=active,
        roles=roles if exists else frozenset(),
        sso_granted=granted if exists else frozenset(),
        removed_by_hand=removed,
    )

    changes = role_changes(dict.fromkeys(wanted, 1), facts)

    # nothing removed that a mapping did not grant, nothing granted that none gives
    assert changes.remove <= facts.sso_granted
    assert changes.grant <= wanted
    assert not changes.grant & changes.remove
    if not exists and removed:
        assert not changes.changed
    if exists and active:
        assert wanted <= changes.roles_after
        assert facts.roles - facts.sso_granted <= changes.roles_after
    if exists and not active:
        assert changes.roles_after == roles
