"""Who is told, and whether by email (notifications/kinds.py): pure rules."""

from datetime import UTC, datetime, timedelta

import pytest

from core.roles import Role
from notifications.kinds import (
    AUDIENCE,
    EMAIL_BY_DEFAULT,
    LABELS,
    Kind,
    Member,
    digest_due,
    digest_subject,
    email_wanted,
    recipients,
)

OPERATOR = Member(1, 101, frozenset({Role.OPERATOR}))
APPROVER = Member(2, 102, frozenset({Role.APPROVER}))
OWNER = Member(3, 103, frozenset({Role.VIEWER}))
ASSESSOR_ADMIN = Member(4, 104, frozenset({Role.ASSESSOR, Role.ADMIN}))
VIEWER = Member(5, 105, frozenset({Role.VIEWER}))
EVERYONE = [OPERATOR, APPROVER, OWNER, ASSESSOR_ADMIN, VIEWER]


def test_every_kind_has_a_label_and_an_audience():
    assert set(LABELS) == set(Kind) == set(AUDIENCE)


@pytest.mark.parametrize(
    ("kind", "told"),
    [
        (Kind.AGENT_SUSPENDED, {1, 2, 3}),
        (Kind.AGENT_RESUMED, {1, 2, 3}),
        (Kind.GATE_NEEDS_REVIEW, {2, 3}),
        (Kind.GATE_WAITING, {2}),
        (Kind.THRESHOLD_BREACHED, {1, 3}),
        (Kind.REASSESSMENT_DUE, {4}),
        (Kind.PERMISSIONS_TO_REVIEW, {2, 4}),
        (Kind.DRILL_OVERDUE, {1}),
        (Kind.BUDGET_ALERT, {1, 4}),
        (Kind.REPORT_DONE, set()),
    ],
)
def test_each_kind_reaches_its_roles_and_the_owner_where_told(kind, told):
    assert recipients((kind,), EVERYONE, owner_id=OWNER.user_id) == dict.fromkeys(told, kind)


def test_with_several_kinds_each_member_is_told_once_with_the_first_that_reaches_them():
    told = recipients(
        (Kind.THRESHOLD_BREACHED, Kind.AGENT_SUSPENDED), EVERYONE, owner_id=OWNER.user_id
    )

    assert told == {
        1: Kind.THRESHOLD_BREACHED,
        3: Kind.THRESHOLD_BREACHED,
        2: Kind.AGENT_SUSPENDED,
    }


def test_who_caused_the_event_is_not_told_of_it():
    told = recipients((Kind.AGENT_SUSPENDED,), EVERYONE, owner_id=103, actor_id=101)

    assert 1 not in told
    assert set(told) == {2, 3}


def test_a_barred_approver_is_not_told_a_gate_waits():
    owner_approver = Member(6, 106, frozenset({Role.APPROVER}))

    told = recipients((Kind.GATE_WAITING,), [APPROVER, owner_approver], barred_user_ids={106})

    assert told == {2: Kind.GATE_WAITING}


def test_without_a_choice_the_default_holds_and_a_choice_wins():
    assert email_wanted(Kind.AGENT_SUSPENDED, {}) is True
    assert email_wanted(Kind.REPORT_DONE, {}) is False
    assert email_wanted(Kind.AGENT_SUSPENDED, {"agent_suspended": False}) is False
    assert email_wanted(Kind.REPORT_DONE, {"report_done": True}) is True
    assert Kind.GATE_WAITING in EMAIL_BY_DEFAULT
    # the kill switch already emails operators at once on a breach: no second email by default
    assert Kind.THRESHOLD_BREACHED not in EMAIL_BY_DEFAULT


def test_a_digest_is_due_once_the_oldest_has_waited():
    t0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    wait = timedelta(minutes=10)

    assert not digest_due(t0, t0 + timedelta(minutes=9, seconds=59), wait)
    assert digest_due(t0, t0 + wait, wait)


def test_the_digest_subject_counts():
    assert digest_subject(1, "Acme") == "[Readiness] 1 notification in Acme"
    assert digest_subject(3, "Acme") == "[Readiness] 3 notifications in Acme"
