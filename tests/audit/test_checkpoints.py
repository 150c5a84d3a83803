"""Checkpoints on the audit page and in the upgrade: the page checks its own chain from the
latest checkpoint on (the whole chain on demand); upgrading signs the entries written before
audit keys existed, unless their chain was already broken."""

import importlib

import pytest
from django.apps import apps as django_apps

from audit import chain
from audit.actions import Action
from audit.checkpoints import audit_checkpoint, latest_pin
from audit.models import AuditCheckpoint, AuditEntry, ChainHead
from audit.services import audit_record, audit_verify, chain_name

pytestmark = pytest.mark.django_db

signing = importlib.import_module("audit.migrations.0003_sign_existing_entries")


def entries(org, n):
    return [
        audit_record(organization=org, action=Action.METRICS_POSTED, after={"n": i})
        for i in range(n)
    ]


def test_the_page_checks_from_the_latest_checkpoint_and_the_whole_chain_on_demand(
    admin, org, client_for
):
    # given five entries checkpointed, then #2 altered behind the application's back
    written = entries(org, 5)
    audit_checkpoint(reason=AuditCheckpoint.Reason.COMMAND)
    entries(org, 2)
    AuditEntry.objects.filter(pk=written[1].pk).update(after={"n": 99})
    client = client_for(admin)

    # when the page is opened, it checks from the checkpoint on (bounded), and says so
    quick = client.get("/audit/")
    assert quick.context["checked_from"] == 5
    assert quick.context["broken"] is None
    assert "Check the whole chain" in quick.content.decode()

    # and the full check on demand finds the altered entry
    full = client.get("/audit/", {"full": "1"})
    assert full.context["checked_from"] is None
    _, entry, why = full.context["broken"]
    assert entry.pk == written[1].pk
    assert "signature" in why


def test_the_quick_check_still_catches_a_rewritten_checkpointed_entry(admin, org, client_for):
    written = entries(org, 3)
    audit_checkpoint(reason=AuditCheckpoint.Reason.COMMAND)
    AuditEntry.objects.filter(pk=written[2].pk).update(hash="0" * 64)
    response = client_for(admin).get("/audit/")
    assert "is not the one checkpointed" in response.context["broken"][2]


def test_a_report_checkpoints_only_its_own_organization(org, other_org):
    entries(org, 2)
    entries(other_org, 3)
    checkpoint = audit_checkpoint(reason=AuditCheckpoint.Reason.REPORT, organization=org)
    assert [h["chain"] for h in checkpoint.heads] == [chain_name(org.pk)]
    assert latest_pin(chain_name(org.pk), org.pk) == (
        2,
        ChainHead.objects.get(chain=chain_name(org.pk)).hash,
    )
    assert latest_pin(chain_name(other_org.pk), other_org.pk) is None


def _legacy_chain(org, n):
    """Entries as the first wave wrote them: plain SHA-256, no key named."""
    written = entries(org, n)
    prev = chain.GENESIS
    for entry in written:
        entry.key_id = ""
        digest = chain.entry_hash(prev, entry.content())
        AuditEntry.objects.filter(pk=entry.pk).update(key_id="", prev_hash=prev, hash=digest)
        prev = digest
    ChainHead.objects.filter(chain=chain_name(org.pk)).update(hash=prev)
    return written


def test_upgrading_signs_an_intact_legacy_chain(org):
    _legacy_chain(org, 3)
    assert "not signed" in audit_verify()[0][2]
    signing.sign(django_apps, None)
    assert audit_verify() == []
    assert set(AuditEntry.objects.values_list("key_id", flat=True)) == {
        chain.key_id("test-audit-key-" + "x" * 32)
    }


def test_upgrading_leaves_a_broken_legacy_chain_unsigned_and_reported(org, other_org):
    written = _legacy_chain(org, 3)
    _legacy_chain(other_org, 2)
    AuditEntry.objects.filter(pk=written[1].pk).update(after={"n": "forged"})
    signing.sign(django_apps, None)
    failures = {name: why for name, _, why in audit_verify()}
    assert list(failures) == [chain_name(org.pk)]  # the intact one was signed and verifies
    assert "not signed" in failures[chain_name(org.pk)]
