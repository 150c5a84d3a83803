"""The hash chain, as pure functions: an entry's hash covers its content and the previous hash."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(content)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    id: int
    seq: int
    prev_hash: str
    hash: str
    content: dict[str, Any]


def first_broken(links: Iterable[ChainLink]) -> tuple[ChainLink, str] | None:
    """Walk one chain in seq order; return the first link that does not hold, and why."""
    expected_prev = GENESIS
    expected_seq = 1
    for link in links:
        if link.seq != expected_seq:
            return link, f"sequence number {link.seq} where {expected_seq} was expected"
        if link.prev_hash != expected_prev:
            return link, "its previous-hash does not match the entry before it"
        if entry_hash(link.prev_hash, link.content) != link.hash:
            return link, "its content does not match its hash (the entry was altered)"
        expected_prev = link.hash
        expected_seq += 1
    return None
