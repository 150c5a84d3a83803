"""The hash chain, as pure functions (docs/rules.md §6).

An entry's hash is an HMAC-SHA256, under a key that lives outside the database, of the
previous hash and the entry's content; the content names the key. Someone who can write to
the database but does not hold the key cannot forge an entry, nor recompute the chain after
one. Entries written before keys existed (no key named) use a plain SHA-256 and are reported
as unsigned. Checkpoints, kept outside the database, pin chain heads so that truncation
and whole-chain deletion are caught too.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def chain_name(organization_id: int | None) -> str:
    """Each organization has its own chain; entries of no organization go on "global"."""
    return f"org:{organization_id}" if organization_id else "global"


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def key_id(key: str) -> str:
    """The name an entry gives its key: a fingerprint that reveals nothing of the key."""
    return "k" + hashlib.sha256(("readiness-audit-key:" + key).encode()).hexdigest()[:12]


def entry_hash(prev_hash: str, content: dict[str, Any], key: str | None = None) -> str:
    message = (prev_hash + canonical(content)).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def seal(value: dict[str, Any], key: str) -> str:
    """The MAC of a checkpoint (or any record kept outside the database)."""
    return hmac.new(key.encode(), canonical(value).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    id: int
    seq: int
    prev_hash: str
    hash: str
    content: dict[str, Any]
    key_id: str = ""


def first_broken(
    links: Iterable[ChainLink],
    keys: Mapping[str, str] | None = None,
    *,
    start: tuple[int, str] | None = None,
) -> tuple[ChainLink, str] | None:
    """Walk one chain in seq order; return the first link that does not hold, and why.

    `keys` maps key ids to keys; without it (legacy callers) only plain hashes are checked.
    `start` is (seq, hash) of a trusted entry (a checkpoint) the walk starts after."""
    expected_seq, expected_prev = (start[0] + 1, start[1]) if start else (1, GENESIS)
    for link in links:
        if link.seq != expected_seq:
            return link, f"sequence number {link.seq} where {expected_seq} was expected"
        if link.prev_hash != expected_prev:
            return link, "its previous-hash does not match the entry before it"
        why = _hash_fault(link, keys)
        if why:
            return link, why
        expected_prev = link.hash
        expected_seq += 1
    return None


def _hash_fault(link: ChainLink, keys: Mapping[str, str] | None) -> str | None:
    if keys is None or not link.key_id:
        if entry_hash(link.prev_hash, link.content) != link.hash:
            return "its content does not match its hash (the entry was altered)"
        if keys is not None:
            return "it is not signed with an audit key (written or rewritten without one)"
        return None
    key = keys.get(link.key_id)
    if key is None:
        return f"it is signed with key {link.key_id}, which is not configured"
    if not hmac.compare_digest(entry_hash(link.prev_hash, link.content, key), link.hash):
        return "its content does not match its signature (the entry was altered or forged)"
    return None


@dataclass(frozen=True)
class PinnedHead:
    """One chain head as a checkpoint recorded it."""

    chain: str
    seq: int
    hash: str


def checkpoint_faults(
    pinned: Iterable[PinnedHead],
    hashes_at: Mapping[tuple[str, int], str],
    chain_ends: Mapping[str, int],
) -> list[tuple[str, str]]:
    """(chain, why) for every pinned head no longer on its chain: `hashes_at` holds the
    stored hash of each (chain, seq) asked about, `chain_ends` each chain's last seq."""
    faults = []
    for head in pinned:
        if head.seq == 0:
            continue
        if head.chain not in chain_ends:
            faults.append(
                (head.chain, f"the chain was checkpointed at #{head.seq} but no longer exists")
            )
        elif chain_ends[head.chain] < head.seq:
            faults.append(
                (
                    head.chain,
                    f"the chain ends at #{chain_ends[head.chain]} but was checkpointed at "
                    f"#{head.seq}: entries were removed",
                )
            )
        elif hashes_at.get((head.chain, head.seq)) != head.hash:
            faults.append(
                (
                    head.chain,
                    f"entry #{head.seq} is not the one checkpointed: the chain was rewritten",
                )
            )
    return faults
