"""Upgrade to computed checklist items (docs/rules.md §2): once, every gate at go whose items
are not met by the evidence moves to needs_review, naming the items, with its audit entry.

Ticks of computed items are dropped (they were an honour system); a tick of tracing or the
quality threshold with evidence is kept as an attestation, one without evidence is dropped.

The recheck runs the current code (gates.services.gates_recheck), as the audit chain's own
upgrade does: on a fresh database there is no gate at go and nothing runs, so later schema
changes cannot trip it.
"""

from django.db import migrations

ATTESTABLE = ("tracing", "quality_threshold")


def forwards(apps, schema_editor):
    item = apps.get_model("gates", "ChecklistItem")
    item.objects.exclude(key__in=ATTESTABLE).filter(met=True).update(met=False)
    item.objects.filter(key__in=ATTESTABLE, met=True, evidence="").update(met=False)
    gate = apps.get_model("gates", "Gate")
    if not gate.objects.filter(state="go").exists():
        return
    from gates.services import gates_recheck_all

    gates_recheck_all()


class Migration(migrations.Migration):
    dependencies = [
        ("gates", "0003_decision_evidence"),
        ("outcomes", "0004_evidence_switches"),
        ("telemetry", "0001_initial"),
        ("killswitch", "0001_initial"),
        ("accounts", "0004_organization_currency"),
        ("agents", "0003_owner_change"),
        ("audit", "0003_sign_existing_entries"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
