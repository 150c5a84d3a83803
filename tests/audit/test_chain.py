"""The hash chain as pure functions (docs/rules.md §6): no database."""

import dataclasses

import pytest

from audit.chain import GENESIS, ChainLink, canonical, entry_hash, first_broken

CONTENT = {
    "chain": "org:1",
    "seq": 1,
    "organization": 1,
    "actor": "sam",
    "action": "assessment.submitted",
    "object_type": "assessments.Assessment",
    "object_id": "7",
    "object_label": "Q3 readiness",
    "before": {"status": "draft"},
    "after": {"status": "submitted", "verdict": "ready", "total": 14},
    "created_at": "2025-01-02T03:04:05.123456+00:00",
}


def build_chain(count: int, name: str = "org:1") -> list[ChainLink]:
    links, prev = [], GENESIS
    for seq in range(1, count + 1):
        content = {**CONTENT, "chain": name, "seq": seq, "after": {"n": seq}}
        digest = entry_hash(prev, content)
        links.append(ChainLink(id=100 + seq, seq=seq, prev_hash=prev, hash=digest, content=content))
        prev = digest
    return links


# --- entry_hash ----------------------------------------------------------------------------


def test_entry_hash_is_a_deterministic_sha256_hex_digest():
    first = entry_hash(GENESIS, CONTENT)
    assert first == entry_hash(GENESIS, dict(CONTENT))
    assert len(first) == 64
    assert set(first) <= set("0123456789abcdef")


def test_entry_hash_does_not_depend_on_key_order():
    reordered = dict(reversed(list(CONTENT.items())))
    reordered["after"] = {"total": 14, "verdict": "ready", "status": "submitted"}
    assert entry_hash(GENESIS, reordered) == entry_hash(GENESIS, CONTENT)


@pytest.mark.parametrize(
    ("field", "other"),
    [
        ("chain", "org:2"),
        ("seq", 2),
        ("organization", 2),
        ("organization", None),
        ("actor", "gus"),
        ("action", "assessment.created"),
        ("object_type", "agents.Agent"),
        ("object_id", "8"),
        ("object_label", "Q4 readiness"),
        ("before", None),
        ("before", {"status": "submitted"}),
        ("after", {"status": "submitted", "verdict": "ready", "total": 15}),
        ("after", {"status": "submitted", "verdict": "blocked", "total": 14}),
        ("after", None),
        ("created_at", "2025-01-02T03:04:05.123457+00:00"),
    ],
)
def test_entry_hash_changes_with_every_content_field(field, other):
    # Given the same entry with one field changed, then its hash differs
    assert entry_hash(GENESIS, {**CONTENT, field: other}) != entry_hash(GENESIS, CONTENT)


def test_entry_hash_changes_with_the_previous_hash():
    assert entry_hash("f" * 64, CONTENT) != entry_hash(GENESIS, CONTENT)
    assert entry_hash("0" * 63 + "1", CONTENT) != entry_hash(GENESIS, CONTENT)


def test_entry_hash_distinguishes_a_type_change_in_a_value():
    # The string "7" and the number 7 are different content
    assert entry_hash(GENESIS, {**CONTENT, "object_id": 7}) != entry_hash(GENESIS, CONTENT)


def test_canonical_is_compact_sorted_json_keeping_unicode():
    assert canonical({"b": 1, "a": ["é", None]}) == '{"a":["é",null],"b":1}'


# --- first_broken --------------------------------------------------------------------------


def test_intact_chain_has_no_broken_link():
    assert first_broken(build_chain(5)) is None


def test_empty_chain_is_intact():
    assert first_broken([]) is None


def test_single_entry_chain_starts_from_genesis():
    (link,) = build_chain(1)
    assert link.prev_hash == GENESIS
    assert first_broken([link]) is None


def test_tampered_content_is_reported_at_that_link():
    # Given a chain whose third entry's `after` was changed without rehashing
    links = build_chain(5)
    links[2] = dataclasses.replace(links[2], content={**links[2].content, "after": {"n": 99}})
    # Then the third link is the first broken one, and the reason says it was altered
    link, why = first_broken(links)
    assert link.id == links[2].id
    assert "content" in why
    assert "altered" in why


def test_tampered_content_rehashed_breaks_the_next_link():
    # Given the third entry rewritten and rehashed, but the fourth still pointing at the old hash
    links = build_chain(5)
    content = {**links[2].content, "after": {"n": 99}}
    links[2] = dataclasses.replace(
        links[2], content=content, hash=entry_hash(links[2].prev_hash, content)
    )
    # Then the third link holds and the fourth is the first broken one, by its previous-hash
    link, why = first_broken(links)
    assert link.id == links[3].id
    assert "previous-hash" in why


def test_wrong_prev_hash_is_reported_at_that_link():
    links = build_chain(4)
    links[1] = dataclasses.replace(links[1], prev_hash="a" * 64)
    link, why = first_broken(links)
    assert link.id == links[1].id
    assert "previous-hash" in why


def test_first_link_not_starting_from_genesis_is_broken():
    links = build_chain(3)
    content = links[0].content
    links[0] = dataclasses.replace(links[0], prev_hash="b" * 64, hash=entry_hash("b" * 64, content))
    link, why = first_broken(links)
    assert link.id == links[0].id
    assert "previous-hash" in why


def test_gap_in_seq_is_reported_at_the_link_after_the_gap():
    # Given entry #3 removed from a chain of five
    links = build_chain(5)
    del links[2]
    # Then #4 is reported, because 3 was expected
    link, why = first_broken(links)
    assert link.seq == 4
    assert "4" in why
    assert "3" in why


def test_chain_not_starting_at_seq_1_is_broken():
    links = build_chain(3)[1:]
    link, why = first_broken(links)
    assert link.seq == 2
    assert "expected" in why


def test_only_the_first_of_several_breaks_is_reported():
    links = build_chain(6)
    links[4] = dataclasses.replace(links[4], content={**links[4].content, "actor": "mallory"})
    links[1] = dataclasses.replace(links[1], content={**links[1].content, "actor": "mallory"})
    link, _ = first_broken(links)
    assert link.id == links[1].id


def test_swapped_entries_are_reported():
    links = build_chain(4)
    third = links[2]
    links[1], links[2] = links[2], links[1]
    link, why = first_broken(links)
    assert link.id == third.id  # found where seq 2 was expected
    assert "sequence" in why
