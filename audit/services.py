"""Writing to and verifying the audit trail (docs/rules.md §6)."""

import json
import math
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from . import chain, keys
from .actions import Action
from .chain import chain_name
from .models import AuditEntry, ChainHead
from .signals import entry_recorded


def audit_record(
    *,
    organization=None,
    actor=None,
    action: Action,
    target=None,
    before: Any = None,
    after: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
) -> AuditEntry:
    """Append one entry to the organization's chain (the global one when there is none).

    Must run inside the caller's transaction: the entry commits with the change it records.
    Listeners of `entry_recorded` (notifications, webhooks) hear of it once it has committed.
    """
    if not isinstance(action, Action):
        raise ValueError(f"{action!r} is not an audit action; add it to audit.actions.Action.")
    if target is not None:
        object_type = object_type or target._meta.label
        object_id = object_id or str(target.pk)
        object_label = object_label or str(target)[:300]
    name = chain_name(organization.pk if organization is not None else None)
    key_id, key = keys.current()
    with transaction.atomic():
        # The head, locked (made on the chain's first entry): one statement, not a read and a
        # second read to lock it.
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            chain=name, defaults={"hash": chain.GENESIS}
        )
        entry = AuditEntry(
            chain=name,
            seq=head.seq + 1,
            organization=organization,
            actor=actor,
            actor_label=(actor.get_username() if actor is not None else "system"),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_label=object_label,
            before=_jsonable(before),
            after=_jsonable(after),
            prev_hash=head.hash,
            key_id=key_id,
        )
        entry.hash = chain.entry_hash(entry.prev_hash, entry.content(), key)
        entry.save()
        head.seq = entry.seq
        head.hash = entry.hash
        head.save(update_fields=["seq", "hash"])
    transaction.on_commit(_announcement(entry))
    return entry


def _announcement(entry: AuditEntry):
    """The on-commit callback that tells the listeners of `entry_recorded`; marked, so tests
    that count the work a change queues for the worker can leave it out."""

    def announce() -> None:
        entry_recorded.send(sender=AuditEntry, entry=entry)

    announce.audit_announcement = True  # type: ignore[attr-defined]
    return announce


def _jsonable(value: Any) -> Any:
    """Round-trip through canonical JSON, then normalise what a database would rewrite, so
    what is stored reads back exactly as it was hashed (PostgreSQL's jsonb keeps numbers as
    `numeric`: -0.0 reads back as 0.0 and a whole float of 1e16 or more as an integer; it
    refuses NUL characters and neither backend stores NaN or infinities)."""
    if value is None:
        return None
    return _normalise(json.loads(chain.canonical(_normalise(value))))


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        if value == 0:
            return 0.0
        if value.is_integer() and abs(value) >= 1e16:
            return int(Decimal(repr(value)))
        return value
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    return value


def _links(entries) -> list[chain.ChainLink]:
    return [
        chain.ChainLink(e.pk, e.seq, e.prev_hash, e.hash, e.content(), e.key_id) for e in entries
    ]


def audit_verify(
    chains: list[str] | None = None, *, start: dict[str, tuple[int, str]] | None = None
) -> list[tuple[str, AuditEntry | None, str]]:
    """Check every chain, or only those named: each entry's signature under the audit keys,
    the links between entries, and that the head records the chain's end. Return (chain,
    first broken entry, why) for each chain that fails. `start` maps a chain to the (seq,
    hash) of a checkpointed entry to check from (the audit page's quick check); the entry
    at that seq must still carry that hash."""
    failures = []
    known_keys = keys.every()
    head_rows = ChainHead.objects.all()
    entry_chains = AuditEntry.objects.values_list("chain", flat=True).distinct()
    if chains is not None:
        head_rows = head_rows.filter(chain__in=chains)
        entry_chains = entry_chains.filter(chain__in=chains)
    heads = {h.chain: h for h in head_rows}
    names = set(entry_chains) | set(heads)
    for name in sorted(names):
        from_ = (start or {}).get(name)
        # A queryset while it is narrowed, then the list of its rows (read once).
        entries: QuerySet[AuditEntry] | list[AuditEntry]
        entries = AuditEntry.objects.filter(chain=name).order_by("seq")
        if from_:
            entries = entries.filter(seq__gte=from_[0])
        entries = list(entries)
        if from_ and (not entries or (entries[0].seq, entries[0].hash) != from_):
            failures.append((name, entries[0] if entries else None, _not_checkpointed(from_)))
            continue
        links = _links(entries[1:] if from_ else entries)
        broken = chain.first_broken(links, known_keys, start=from_)
        if broken is not None:
            link, why = broken
            failures.append((name, next(e for e in entries if e.pk == link.id), why))
            continue
        last_seq, last_hash = (entries[-1].seq, entries[-1].hash) if entries else (0, chain.GENESIS)
        head = heads.get(name)
        if head is not None and (head.seq, head.hash) != (last_seq, last_hash):
            failures.append(
                (
                    name,
                    None,
                    f"the chain ends at #{last_seq} but its head records #{head.seq}: "
                    "entries were removed",
                )
            )
    return failures


def _not_checkpointed(pinned: tuple[int, str]) -> str:
    return f"entry #{pinned[0]} is not the one checkpointed: the chain was rewritten or cut"
