"""Sign the entries written before audit keys existed, chain by chain, with the current key.

A chain whose plain hashes do not verify is left unsigned, so the verifier keeps reporting
it instead of this migration laundering a tampered chain."""

from django.conf import settings
from django.db import migrations

from audit import chain


def _content(entry) -> dict:
    content = {
        "chain": entry.chain,
        "seq": entry.seq,
        "organization": entry.organization_id,
        "actor": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "before": entry.before,
        "after": entry.after,
        "created_at": entry.created_at.isoformat(),
    }
    if entry.key_id:
        content["key"] = entry.key_id
    return content


def sign(apps, schema_editor):
    key = getattr(settings, "AUDIT_HMAC_KEY", "")
    entry_model = apps.get_model("audit", "AuditEntry")
    head_model = apps.get_model("audit", "ChainHead")
    if not key or not entry_model.objects.filter(key_id="").exists():
        return
    kid = chain.key_id(key)
    for head in head_model.objects.all():
        entries = list(entry_model.objects.filter(chain=head.chain).order_by("seq"))
        links = [chain.ChainLink(e.pk, e.seq, e.prev_hash, e.hash, _content(e)) for e in entries]
        if any(e.key_id for e in entries) or chain.first_broken(links) is not None:
            continue
        if entries and (head.seq, head.hash) != (entries[-1].seq, entries[-1].hash):
            continue
        prev = chain.GENESIS
        for entry in entries:
            entry.key_id = kid
            entry.prev_hash = prev
            entry.hash = chain.entry_hash(prev, _content(entry), key)
            prev = entry.hash
        entry_model.objects.bulk_update(entries, ["key_id", "prev_hash", "hash"], batch_size=500)
        head.hash = prev
        head.save(update_fields=["hash"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_keys_and_checkpoints")]

    operations = [migrations.RunPython(sign, migrations.RunPython.noop)]
