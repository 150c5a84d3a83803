"""The registry's rules as pure functions (no database): record numbers, the tool-permission review
flags and changed fields (docs/rules.md §2 and §4).

Every reason alone and all together, the 90-day edges with explicit UTC datetimes, and the phase
of an agent for every combination of gate states against an independent definition.
"""

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents import rules as agents_rules

DAY = timedelta(days=1)


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


# --- non_negative_number_error -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [0, 0.0, -0.0, 1, 7, 0.5, 1e-300, 123456.789, 10**12, float(10**12)],
)
def test_finite_non_negative_numbers_up_to_10_to_the_12_are_accepted(value):
    assert agents_rules.non_negative_number_error(value) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "Must not be negative."),
        (-0.0001, "Must not be negative."),
        (-(10**13), "Must not be negative."),
        (float("nan"), "Must be a finite number."),
        (float("inf"), "Must be a finite number."),
        (float("-inf"), "Must be a finite number."),
        (True, "Must be a number."),
        (False, "Must be a number."),
        ("1", "Must be a number."),
        ("0.5", "Must be a number."),
        ("", "Must be a number."),
        ("NaN", "Must be a number."),
        (None, "Must be a number."),
        ([1], "Must be a number."),
        ({"value": 1}, "Must be a number."),
        (10**12 + 1, "Must be at most 10^12."),
        (1e12 + 0.5, "Must be at most 10^12."),
        (10**100, "Must be at most 10^12."),
        (1e308, "Must be at most 10^12."),
    ],
)
def test_everything_else_is_refused_with_a_message(value, message):
    assert agents_rules.non_negative_number_error(value) == message


@given(st.integers())
def test_an_integer_is_accepted_exactly_between_0_and_10_to_the_12(value):
    assert (agents_rules.non_negative_number_error(value) is None) is (0 <= value <= 10**12)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_accepted_exactly_when_finite_and_between_0_and_10_to_the_12(value):
    accepted = math.isfinite(value) and 0 <= value <= 10**12

    assert (agents_rules.non_negative_number_error(value) is None) is accepted


# --- permission_review_reasons --------------------------------------------------------------


TODAY = date(2026, 6, 1)


def permission(last_used=None, last_reviewed=None, created=TODAY):
    return agents_rules.permission_review_reasons(
        last_used=last_used, last_reviewed=last_reviewed, created=created, today=TODAY
    )


@pytest.mark.parametrize(
    ("days", "flagged"), [(0, False), (89, False), (90, False), (91, True), (365, True)]
)
def test_a_permission_last_used_more_than_90_days_ago_is_flagged_unused(days, flagged):
    reasons = permission(last_used=TODAY - timedelta(days=days), last_reviewed=TODAY)

    assert codes(reasons) == (["unused"] if flagged else [])
    if flagged:
        assert f"{days} days (last used)" in reasons[0].message


@pytest.mark.parametrize(
    ("days", "flagged"), [(0, False), (89, False), (90, False), (91, True), (365, True)]
)
def test_a_permission_last_reviewed_more_than_90_days_ago_is_flagged_unreviewed(days, flagged):
    reasons = permission(last_used=TODAY, last_reviewed=TODAY - timedelta(days=days))

    assert codes(reasons) == (["unreviewed"] if flagged else [])
    if flagged:
        assert f"{days} days (last reviewed)" in reasons[0].message


@pytest.mark.parametrize(
    ("days", "expected"),
    [(90, []), (91, ["unused", "unreviewed"]), (200, ["unused", "unreviewed"])],
)
def test_never_used_and_never_reviewed_count_from_the_permissions_creation(days, expected):
    reasons = permission(created=TODAY - timedelta(days=days))

    assert codes(reasons) == expected
    if expected:
        assert "never used since it was granted" in reasons[0].message
        assert "never reviewed since it was granted" in reasons[1].message


def test_never_used_falls_back_to_creation_while_a_recent_review_counts():
    reasons = permission(last_reviewed=TODAY - DAY, created=TODAY - 91 * DAY)

    assert codes(reasons) == ["unused"]
    assert "never used since it was granted" in reasons[0].message


def test_never_reviewed_falls_back_to_creation_while_a_recent_use_counts():
    reasons = permission(last_used=TODAY, created=TODAY - 91 * DAY)

    assert codes(reasons) == ["unreviewed"]
    assert "never reviewed since it was granted" in reasons[0].message


def test_a_recent_use_and_review_clear_an_old_permission():
    assert permission(last_used=TODAY, last_reviewed=TODAY, created=TODAY - 1000 * DAY) == []


def test_an_old_use_is_flagged_even_if_the_permission_was_recreated_since():
    # the last use, when known, wins over the creation date
    reasons = permission(last_used=TODAY - 91 * DAY, last_reviewed=TODAY, created=TODAY)

    assert codes(reasons) == ["unused"]


@given(
    used=st.none() | st.integers(0, 400),
    reviewed=st.none() | st.integers(0, 400),
    created=st.integers(0, 400),
)
def test_permission_flags_match_an_independent_definition(used, reviewed, created):
    def ago(days):
        return None if days is None else TODAY - timedelta(days=days)

    reasons = permission(last_used=ago(used), last_reviewed=ago(reviewed), created=ago(created))

    expected = []
    if (created if used is None else used) > 90:
        expected.append("unused")
    if (created if reviewed is None else reviewed) > 90:
        expected.append("unreviewed")
    assert codes(reasons) == expected


# --- changed_fields -------------------------------------------------------------------------


def test_changed_fields_lists_the_fields_that_differ_in_the_order_asked():
    before = {"a": 1, "b": [1], "c": None}
    after = {"a": 1, "b": [2], "d": 4}

    assert agents_rules.changed_fields(before, after, ["d", "c", "b", "a"]) == ["d", "b"]


# --- separation_of_duties ---------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _change(days_ago: float, previous=2, new=3, by=4):
    return agents_rules.OwnerChangeFact(
        previous_owner_id=previous,
        new_owner_id=new,
        changed_by_id=by,
        changed_at=NOW - timedelta(days=days_ago),
    )


def test_the_current_owner_never_decides():
    assert "You own this agent" in agents_rules.separation_of_duties(
        user_id=1, owner_id=1, changes=[], now=NOW
    )


@pytest.mark.parametrize(
    ("days_ago", "barred"),
    [(0, True), (89, True), (90, True), (90.01, False), (91, False), (400, False)],
)
def test_a_previous_owner_is_barred_for_90_days_the_90th_included(days_ago, barred):
    why = agents_rules.separation_of_duties(
        user_id=2, owner_id=3, changes=[_change(days_ago)], now=NOW
    )

    assert (why is not None) is barred
    if barred:
        assert "You owned this agent until" in why


@pytest.mark.parametrize(("days_ago", "barred"), [(10, True), (90, True), (91, False)])
def test_who_changed_the_owner_is_barred_for_90_days(days_ago, barred):
    why = agents_rules.separation_of_duties(
        user_id=4, owner_id=3, changes=[_change(days_ago)], now=NOW
    )

    assert (why is not None) is barred
    if barred:
        assert "You changed this agent's owner" in why


def test_anyone_else_decides_and_the_newest_change_is_named():
    changes = [_change(80, previous=5, by=6), _change(10, previous=5, new=7, by=8)]

    assert (
        agents_rules.separation_of_duties(user_id=9, owner_id=7, changes=changes, now=NOW) is None
    )
    assert "until 21 Nov 2026" in agents_rules.separation_of_duties(
        user_id=5, owner_id=7, changes=changes, now=NOW
    )
