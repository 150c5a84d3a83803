"""The audit vocabulary: actions are an enumeration, and listeners hear of an entry only once
the change it records has committed."""

import pytest
from django.db import transaction

from audit.actions import SUSPENDED, Action, suspended
from audit.models import AuditEntry
from audit.services import audit_record
from audit.signals import entry_recorded
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    entries = []

    def listener(sender, entry, **kwargs):
        entries.append(entry)

    entry_recorded.connect(listener, dispatch_uid="test-vocabulary")
    yield entries
    entry_recorded.disconnect(dispatch_uid="test-vocabulary")


@pytest.mark.parametrize("action", ["agent.created", "made.up", "", None])
def test_an_action_outside_the_vocabulary_is_refused_and_nothing_is_written(action):
    org = OrganizationFactory()
    with pytest.raises(ValueError, match="audit action"):
        audit_record(organization=org, action=action)
    assert not AuditEntry.objects.exists()


def test_every_value_is_unique_and_reads_as_a_label():
    values = [a.value for a in Action]
    assert len(values) == len(set(values))
    assert all(a.label and a.label[0].isupper() for a in Action)


@pytest.mark.parametrize("kind", ["manual", "drill", "automatic"])
def test_each_kind_of_suspension_has_its_own_action(kind):
    assert suspended(kind) is SUSPENDED[kind]
    assert suspended(kind).value == f"agent.suspended.{kind}"


def test_an_unknown_kind_of_suspension_is_an_error():
    with pytest.raises(KeyError):
        suspended("whim")


def test_listeners_hear_of_an_entry_after_commit(heard, django_capture_on_commit_callbacks):
    org = OrganizationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        entry = audit_record(organization=org, action=Action.METRICS_POSTED, after={"n": 1})
        assert heard == []  # not before the transaction commits
    assert [e.pk for e in heard] == [entry.pk]
    assert heard[0].action == Action.METRICS_POSTED


def test_listeners_hear_nothing_of_a_change_that_was_rolled_back(
    heard, django_capture_on_commit_callbacks
):
    org = OrganizationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                audit_record(organization=org, action=Action.METRICS_POSTED)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert heard == []
    assert not AuditEntry.objects.exists()
