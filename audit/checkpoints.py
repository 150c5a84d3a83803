"""Checkpoints of the audit chains, kept outside the database (docs/rules.md §6).

A checkpoint is a signed JSON file, added through the `audit_checkpoints` storage and never
rewritten, that pins the head (seq, hash) of each chain as it was. Someone who can write to
the database can delete the last entries and rewind a head, or delete a chain with its head:
neither can move the checkpoints, so the verifier catches both. A row of `AuditCheckpoint`
lists each one for the admin and the audit page; verification reads the files themselves.
"""

import json
import secrets

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db.models import Max
from django.utils import timezone

from . import chain, keys
from .chain import chain_name
from .models import AuditCheckpoint, AuditEntry, ChainHead

FORMAT = "readiness-audit-checkpoint/1"
STORAGE = "audit_checkpoints"


def _storage() -> Storage:
    return storages[STORAGE]


def audit_checkpoint(*, reason: str, organization=None) -> AuditCheckpoint:
    """Pin the heads as they are now: every chain's, or only `organization`'s (a report)."""
    heads = ChainHead.objects.order_by("chain")
    if organization is not None:
        heads = heads.filter(chain=chain_name(organization.pk))
    pinned = [{"chain": h.chain, "seq": h.seq, "hash": h.hash} for h in heads]
    key_id, key = keys.current()
    now = timezone.now()
    body = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "reason": reason,
        "organization": organization.pk if organization is not None else None,
        "heads": pinned,
        "key": key_id,
    }
    body["mac"] = chain.seal(body, key)
    wanted = f"checkpoint-{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.json"
    name = _storage().save(wanted, ContentFile(chain.canonical(body).encode()))
    return AuditCheckpoint.objects.create(
        name=name,
        reason=reason,
        organization=organization,
        heads=pinned,
        key_id=key_id,
        created_at=now,
    )


def latest_pin(name: str, organization_id: int | None) -> tuple[int, str] | None:
    """(seq, hash) of the chain's head in its latest checkpoint (for the audit page)."""
    rows = AuditCheckpoint.objects.filter(organization__isnull=True)
    if organization_id is not None:
        rows = AuditCheckpoint.objects.filter(organization_id=organization_id) | rows
    for row in rows.order_by("-created_at", "-id")[:5]:
        head = row.head_of(name)
        if head and head.get("seq"):
            return int(head["seq"]), str(head["hash"])
    return None


def _read_checkpoints() -> tuple[list[dict], list[tuple[str, str]]]:
    """Every checkpoint file whose signature holds, and (file, why) for every other one."""
    storage = _storage()
    known = keys.every()
    try:
        _dirs, files = storage.listdir("")
    except FileNotFoundError:
        return [], []
    good: list[dict] = []
    faults: list[tuple[str, str]] = []
    for name in sorted(f for f in files if f.endswith(".json")):
        try:
            with storage.open(name) as handle:
                body = json.loads(handle.read())
            mac = body.pop("mac")
            key = known.get(body.get("key", ""))
            if key is None:
                faults.append((name, f"it is signed with unknown key {body.get('key')!r}"))
            elif body.get("format") != FORMAT or chain.seal(body, key) != mac:
                faults.append((name, "its signature does not hold (altered or forged)"))
            else:
                good.append(body)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            faults.append((name, f"it cannot be read ({error.__class__.__name__})"))
    return good, faults


def audit_verify_checkpoints() -> list[tuple[str, str]]:
    """(where, why) for every checkpoint that does not verify or whose pinned head is no
    longer on its chain: entries removed after it, the chain deleted, or rewritten."""
    bodies, faults = _read_checkpoints()
    pinned = {
        chain.PinnedHead(str(h["chain"]), int(h["seq"]), str(h["hash"]))
        for body in bodies
        for h in body.get("heads", [])
    }
    ends = dict(
        AuditEntry.objects.values("chain").annotate(end=Max("seq")).values_list("chain", "end")
    )
    hashes_at: dict[tuple[str, int], str] = {}
    by_chain: dict[str, set[int]] = {}
    for head in pinned:
        by_chain.setdefault(head.chain, set()).add(head.seq)
    for name, seqs in by_chain.items():
        rows = AuditEntry.objects.filter(chain=name, seq__in=seqs).values_list("seq", "hash")
        hashes_at.update({(name, seq): hash_ for seq, hash_ in rows})
    faults += [
        (f"chain {name}", why)
        for name, why in sorted(set(chain.checkpoint_faults(pinned, hashes_at, ends)))
    ]
    return faults


def audit_verify_organizations() -> list[tuple[str, str]]:
    """(chain, why) for every organization whose chain is gone: each one's creation is
    audited, so an organization without a chain head lost it."""
    organization = apps.get_model("accounts", "Organization")
    names = set(ChainHead.objects.values_list("chain", flat=True))
    return [
        (chain_name(pk), f"organization {label!r} has no audit chain: it was deleted")
        for pk, label in organization.objects.order_by("pk").values_list("pk", "name")
        if chain_name(pk) not in names
    ]
