"""The audit trail against someone who can write to the database but holds neither the audit
key nor the checkpoint storage: each attack is made behind the application's back (with
SQLite's own module on the database file, or raw SQL on PostgreSQL) and verify_audit_log must
name it."""

import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.services import organization_get_or_create
from audit import chain
from audit.actions import Action
from audit.checkpoints import audit_checkpoint
from audit.models import AuditCheckpoint, AuditEntry, ChainHead
from audit.services import audit_record, chain_name

pytestmark = pytest.mark.django_db(transaction=True)


def tamper(sql: str, params=()) -> None:
    """Change the database directly, as an attacker with database access would."""
    if connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        connection.close()
        with sqlite3.connect(path) as db:
            db.execute(sql.replace("%s", "?"), params)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify() -> str:
    """verify_audit_log's complaint (empty when the trail verifies)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_log", stdout=out, stderr=err)
    except CommandError as error:
        return err.getvalue() + str(error)
    assert "OK:" in out.getvalue()
    return ""


@pytest.fixture
def acme():
    org = organization_get_or_create(slug="acme", name="Acme")
    for n in range(2, 6):
        audit_record(organization=org, action=Action.METRICS_POSTED, after={"n": n})
    return org


def test_an_untouched_trail_verifies(acme):
    audit_checkpoint(reason=AuditCheckpoint.Reason.COMMAND)
    assert verify() == ""


def test_deleting_the_last_entries_and_rewinding_the_head_is_caught(acme):
    # given a checkpoint of the five entries
    audit_checkpoint(reason=AuditCheckpoint.Reason.COMMAND)
    name = chain_name(acme.pk)
    third = AuditEntry.objects.get(chain=name, seq=3)
    # when the last two are deleted and the head rewound to #3, so the chain looks whole
    tamper("DELETE FROM audit_auditentry WHERE chain = %s AND seq > 3", [name])
    tamper("UPDATE audit_chainhead SET seq = 3, hash = %s WHERE chain = %s", [third.hash, name])
    # then the links and the head agree, but the checkpoint names the truncation
    complaint = verify()
    assert f"chain {name}: the chain ends at #3 but was checkpointed at #5" in complaint
    assert "entries were removed" in complaint


def test_deleting_a_whole_chain_with_its_head_is_caught(acme):
    audit_checkpoint(reason=AuditCheckpoint.Reason.COMMAND)
    name = chain_name(acme.pk)
    tamper("DELETE FROM audit_auditentry WHERE chain = %s", [name])
    tamper("DELETE FROM audit_chainhead WHERE chain = %s", [name])
    complaint = verify()
    assert "organization 'Acme' has no audit chain" in complaint
    assert "checkpointed at #5 but no longer exists" in complaint


def test_deleting_a_whole_chain_is_caught_even_before_any_checkpoint(acme):
    name = chain_name(acme.pk)
    tamper("DELETE FROM audit_auditentry WHERE chain = %s", [name])
    tamper("DELETE FROM audit_chainhead WHERE chain = %s", [name])
    assert "organization 'Acme' has no audit chain" in verify()


def test_a_forged_entry_with_every_hash_recomputed_is_caught(acme):
    # given an attacker who rewrites entry #2 and recomputes every hash after it (plain
    # SHA-256, or an HMAC under a key of their own: they do not hold the audit key)
    name = chain_name(acme.pk)
    entries = list(AuditEntry.objects.filter(chain=name).order_by("seq"))
    entries[1].after = {"n": 999}
    prev = entries[0].hash
    for entry in entries[1:]:
        digest = chain.entry_hash(prev, entry.content(), "a-key-of-the-attacker")
        tamper(
            "UPDATE audit_auditentry SET after = %s, prev_hash = %s, hash = %s WHERE id = %s",
            ['{"n": 999}' if entry.seq == 2 else _json(entry.after), prev, digest, entry.pk],
        )
        prev = digest
    tamper("UPDATE audit_chainhead SET hash = %s WHERE chain = %s", [prev, name])
    # then the first forged entry is named: its signature does not hold
    complaint = verify()
    assert f"Chain {name} is broken at entry #2" in complaint
    assert "does not match its signature" in complaint


def test_an_entry_claiming_another_key_is_caught(acme):
    name = chain_name(acme.pk)
    tamper("UPDATE audit_auditentry SET key_id = %s WHERE chain = %s AND seq = 4", ["kfake", name])
    assert "signed with key kfake, which is not configured" in verify()


def test_an_entry_stripped_of_its_key_is_caught(acme):
    # given entry #3 rewritten as if written before keys existed (a plain hash, no key)
    name = chain_name(acme.pk)
    entry = AuditEntry.objects.get(chain=name, seq=3)
    entry.key_id = ""
    digest = chain.entry_hash(entry.prev_hash, entry.content())
    tamper("UPDATE audit_auditentry SET key_id = '', hash = %s WHERE id = %s", [digest, entry.pk])
    assert "not signed with an audit key" in verify()


def test_a_checkpoint_altered_in_its_storage_is_caught(acme):
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    checkpoint = audit_checkpoint(reason=AuditCheckpoint.Reason.COMMAND)
    storage = storages["audit_checkpoints"]
    body = storage.open(checkpoint.name).read().decode().replace('"seq":5', '"seq":2')
    storage.delete(checkpoint.name)
    storage.save(checkpoint.name, ContentFile(body.encode()))
    assert "its signature does not hold" in verify()


def test_after_a_rotation_old_entries_verify_with_the_old_key(acme, settings):
    # given entries signed with the old key, then the key rotated with the old one kept
    old = settings.AUDIT_HMAC_KEY
    settings.AUDIT_HMAC_KEY = "the-new-audit-key-" + "n" * 32
    settings.AUDIT_HMAC_OLD_KEYS = [old]
    entry = audit_record(organization=acme, action=Action.METRICS_POSTED, after={"n": 6})
    # then new entries name the new key, and the whole chain verifies
    assert entry.key_id == chain.key_id(settings.AUDIT_HMAC_KEY) != chain.key_id(old)
    assert verify() == ""
    # and without the old key, its entries are reported, not silently trusted
    settings.AUDIT_HMAC_OLD_KEYS = []
    assert "which is not configured" in verify()


def test_the_checkpoint_command_and_task_pin_every_head(acme, capsys):
    from audit.tasks import checkpoint

    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "Checkpointed 1 chain(s), 5 entries" in out.getvalue()
    name = checkpoint()
    row = AuditCheckpoint.objects.get(name=name)
    assert row.reason == "scheduled"
    assert row.heads == [
        {"chain": chain_name(acme.pk), "seq": 5, "hash": ChainHead.objects.get().hash}
    ]


def _json(value) -> str:
    return chain.canonical(value)
