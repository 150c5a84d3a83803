"""Writing and verifying the audit trail (docs/rules.md §6): one hash chain per organization, a
global chain for entries of no organization, append-only entries, and a verifier that names the
chain and the first entry that does not hold."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import chain
from audit.actions import Action
from audit.models import AuditEntry, ChainHead
from audit.services import audit_record, audit_verify, chain_name
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return OrganizationFactory(name="Acme Robotics", slug="acme")


@pytest.fixture
def globex():
    return OrganizationFactory(name="Globex", slug="globex")


@pytest.fixture
def sam():
    return UserFactory(username="sam")


def record(organization, n: int, actor=None, **kwargs) -> AuditEntry:
    return audit_record(
        organization=organization,
        actor=actor,
        action=Action.METRICS_POSTED,
        before={"n": n - 1},
        after={"n": n},
        **kwargs,
    )


# --- appending -----------------------------------------------------------------------------


def test_entries_of_one_organization_form_a_chain_from_genesis(acme, sam):
    # Given three changes recorded in one organization
    entries = [record(acme, n, actor=sam) for n in (1, 2, 3)]
    # Then they carry seq 1, 2, 3, each pointing at the hash before it, starting from genesis
    assert [e.seq for e in entries] == [1, 2, 3]
    assert {e.chain for e in entries} == {f"org:{acme.pk}"}
    assert entries[0].prev_hash == chain.GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    # And each hash covers the stored content (as read back from the database)
    for entry in entries:
        stored = AuditEntry.objects.get(pk=entry.pk)
        key = settings.AUDIT_HMAC_KEY
        assert stored.key_id == chain.key_id(key)
        assert stored.hash == chain.entry_hash(stored.prev_hash, stored.content(), key)
    # And the chain's head records the last entry
    head = ChainHead.objects.get(chain=f"org:{acme.pk}")
    assert (head.seq, head.hash) == (3, entries[2].hash)


def test_each_organization_has_its_own_chain(acme, globex):
    # Given entries interleaved between two organizations
    a1 = record(acme, 1)
    g1 = record(globex, 1)
    a2 = record(acme, 2)
    g2 = record(globex, 2)
    # Then each organization's chain numbers and links its own entries only
    assert (a1.chain, a2.chain) == (f"org:{acme.pk}", f"org:{acme.pk}")
    assert (g1.chain, g2.chain) == (f"org:{globex.pk}", f"org:{globex.pk}")
    assert [a1.seq, a2.seq, g1.seq, g2.seq] == [1, 2, 1, 2]
    assert a2.prev_hash == a1.hash
    assert g2.prev_hash == g1.hash
    assert g1.prev_hash == chain.GENESIS
    assert audit_verify() == []


def test_entries_without_organization_form_the_global_chain(acme, sam):
    # Given a user's own account change (no organization) between two organization entries
    record(acme, 1)
    first = record(None, 1, actor=sam)
    second = record(None, 2, actor=sam)
    # Then they form the global chain, numbered from 1
    assert chain_name(None) == "global"
    assert (first.chain, first.seq, first.organization) == ("global", 1, None)
    assert (second.chain, second.seq, second.prev_hash) == ("global", 2, first.hash)
    assert ChainHead.objects.get(chain="global").seq == 2
    assert audit_verify() == []


def test_entry_records_who_what_target_before_and_after(acme, sam):
    entry = audit_record(
        organization=acme,
        actor=sam,
        action=Action.ORGANIZATION_CREATED,
        target=acme,
        before={"name": "Acme"},
        after={"name": "Acme Robotics"},
    )
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor == sam
    assert entry.actor_label == "sam"
    assert entry.action == Action.ORGANIZATION_CREATED
    assert entry.object_type == "accounts.Organization"
    assert entry.object_id == str(acme.pk)
    assert entry.object_label == "Acme Robotics"
    assert entry.before == {"name": "Acme"}
    assert entry.after == {"name": "Acme Robotics"}
    assert entry.created_at is not None


def test_entry_without_actor_is_labelled_system(acme):
    entry = record(acme, 1)
    assert entry.actor is None
    assert entry.actor_label == "system"


def test_values_that_are_not_plain_json_are_stored_as_hashed(acme):
    # Given before/after holding a date, a decimal and a tuple
    entry = audit_record(
        organization=acme,
        action=Action.METRICS_POSTED,
        before={"on": dt.date(2025, 1, 2), "cost": Decimal("1.50"), "pair": (1, 2)},
        after={"ratio": 0.1, "big": 10**20, "text": "naïve ✓"},
    )
    # Then what is stored reads back as JSON and still matches its hash
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.before == {"on": "2025-01-02", "cost": "1.50", "pair": [1, 2]}
    assert stored.after == {"ratio": 0.1, "big": 10**20, "text": "naïve ✓"}
    assert audit_verify() == []


@pytest.mark.parametrize(
    "value",
    [-0.0, 1e16, 1e20, 1e300, float("nan"), float("inf"), "nul\x00byte"],
    ids=["minus-zero", "1e16", "1e20", "1e300", "nan", "inf", "nul"],
)
def test_values_the_database_would_rewrite_keep_the_chain_valid(acme, value):
    # jsonb stores numbers as numeric (-0.0 reads back as 0.0, 1e16 as an integer), refuses
    # NUL characters, and neither backend stores NaN: audit_record normalises them first.
    audit_record(organization=acme, action=Action.METRICS_POSTED, after={"delta": value})
    assert audit_verify() == []


def test_deleting_the_actor_keeps_the_chain_intact(acme):
    user = UserFactory(username="leaver")
    record(acme, 1, actor=user)
    user.delete()
    entry = AuditEntry.objects.get()
    assert entry.actor is None
    assert entry.actor_label == "leaver"
    assert audit_verify() == []


# --- append-only ----------------------------------------------------------------------------


def test_saving_an_existing_entry_raises(acme):
    entry = record(acme, 1)
    entry.after = {"n": 99}
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).after == {"n": 1}


def test_deleting_an_entry_raises(acme):
    entry = record(acme, 1)
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


# --- verifying ------------------------------------------------------------------------------


def test_verify_passes_on_an_intact_log(acme, globex, sam):
    for n in (1, 2, 3):
        record(acme, n, actor=sam)
        record(globex, n)
        record(None, n, actor=sam)
    assert audit_verify() == []


def test_verify_passes_on_an_empty_log():
    assert audit_verify() == []


def test_tampered_after_is_reported_with_its_chain_and_entry(acme, globex):
    # Given two intact chains, and the second entry of acme's altered behind the service's back
    entries = [record(acme, n) for n in (1, 2, 3)]
    record(globex, 1)
    AuditEntry.objects.filter(pk=entries[1].pk).update(after={"n": 999})
    # Then verification names acme's chain and that entry, and only that
    ((name, entry, why),) = audit_verify()
    assert name == f"org:{acme.pk}"
    assert entry.pk == entries[1].pk
    assert "altered" in why


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", "thing.hidden"),
        ("actor_label", "mallory"),
        ("object_label", "something else"),
        ("before", None),
        ("created_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_any_tampered_content_field_is_reported(acme, field, value):
    entries = [record(acme, n) for n in (1, 2)]
    AuditEntry.objects.filter(pk=entries[0].pk).update(**{field: value})
    ((name, entry, _),) = audit_verify()
    assert (name, entry.pk) == (f"org:{acme.pk}", entries[0].pk)


def test_entry_moved_to_another_organization_is_reported(acme, globex):
    entries = [record(acme, n) for n in (1, 2)]
    AuditEntry.objects.filter(pk=entries[1].pk).update(organization=globex)
    ((name, entry, _),) = audit_verify()
    assert (name, entry.pk) == (f"org:{acme.pk}", entries[1].pk)


def test_rewritten_entry_rehashed_without_the_key_is_caught_by_its_signature(acme):
    # Given entry #2 rewritten with a fresh plain hash by someone without the audit key
    entries = [record(acme, n) for n in (1, 2, 3)]
    tampered = AuditEntry.objects.get(pk=entries[1].pk)
    tampered.after = {"n": 999}
    AuditEntry.objects.filter(pk=tampered.pk).update(
        after=tampered.after, hash=chain.entry_hash(tampered.prev_hash, tampered.content())
    )
    # Then #2 itself is reported: its signature does not hold
    ((_, entry, why),) = audit_verify()
    assert entry.pk == entries[1].pk
    assert "signature" in why


def test_rewritten_and_resigned_entry_breaks_the_next_link(acme):
    # Given entry #2 rewritten and signed again with the key, but #3 still pointing at it
    entries = [record(acme, n) for n in (1, 2, 3)]
    tampered = AuditEntry.objects.get(pk=entries[1].pk)
    tampered.after = {"n": 999}
    key = settings.AUDIT_HMAC_KEY
    AuditEntry.objects.filter(pk=tampered.pk).update(
        after=tampered.after,
        hash=chain.entry_hash(tampered.prev_hash, tampered.content(), key),
    )
    # Then #3 is reported, by its previous-hash
    ((_, entry, why),) = audit_verify()
    assert entry.pk == entries[2].pk
    assert "previous-hash" in why


def test_deleting_the_last_entry_is_reported_as_a_head_mismatch(acme):
    # Given three entries and the last one removed behind the service's back
    entries = [record(acme, n) for n in (1, 2, 3)]
    AuditEntry.objects.filter(pk=entries[2].pk).delete()
    # Then the chain is reported at its end: the head still records #3
    ((name, entry, why),) = audit_verify()
    assert name == f"org:{acme.pk}"
    assert entry is None
    assert "#2" in why
    assert "#3" in why
    assert "removed" in why


def test_deleting_a_middle_entry_is_reported_at_the_gap(acme):
    entries = [record(acme, n) for n in (1, 2, 3)]
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    ((_, entry, why),) = audit_verify()
    assert entry.pk == entries[2].pk
    assert "sequence" in why


def test_deleting_every_entry_of_a_chain_is_reported(acme):
    record(acme, 1)
    record(acme, 2)
    AuditEntry.objects.filter(organization=acme).delete()
    ((name, entry, why),) = audit_verify()
    assert name == f"org:{acme.pk}"
    assert entry is None
    assert "removed" in why


def test_every_broken_chain_is_reported(acme, globex):
    a = [record(acme, n) for n in (1, 2)]
    g = [record(globex, n) for n in (1, 2)]
    record(None, 1)
    AuditEntry.objects.filter(pk=a[0].pk).update(action="x")
    AuditEntry.objects.filter(pk=g[1].pk).update(action="y")
    failures = audit_verify()
    assert sorted((name, entry.pk) for name, entry, _ in failures) == sorted(
        [(f"org:{acme.pk}", a[0].pk), (f"org:{globex.pk}", g[1].pk)]
    )


def test_appending_after_verification_keeps_the_chain_valid(acme):
    record(acme, 1)
    assert audit_verify() == []
    record(acme, 2)
    assert audit_verify() == []


# --- the command ----------------------------------------------------------------------------


def test_verify_command_reports_ok_on_an_intact_log(acme, capsys):
    record(acme, 1)
    record(None, 1)
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "OK" in out
    assert "2 chain(s)" in out


def test_verify_command_fails_naming_the_chain_and_entry(acme, capsys):
    entries = [record(acme, n) for n in (1, 2)]
    AuditEntry.objects.filter(pk=entries[1].pk).update(after={"n": 999})
    with pytest.raises(CommandError):
        call_command("verify_audit_log")
    err = capsys.readouterr().err
    assert f"org:{acme.pk}" in err
    assert "#2" in err
