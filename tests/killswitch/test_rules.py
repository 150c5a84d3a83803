"""The kill-switch rules of docs/rules.md §4 as pure functions (no database): drills and the time
to stop.

Every reason alone and all together, the 90-day edges with explicit UTC datetimes, and the phase
of an agent for every combination of gate states against an independent definition.
"""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from killswitch import rules as killswitch_rules

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
NINETY_DAYS = timedelta(days=90)


# --- drill_flag ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_drill_at", "flag"),
    [
        (None, "never"),
        (NOW, "ok"),
        (NOW - DAY, "ok"),
        (NOW - NINETY_DAYS + SECOND, "ok"),
        (NOW - NINETY_DAYS, "ok"),  # exactly 90 days: still within "the last 90 days"
        (NOW - NINETY_DAYS - timedelta(microseconds=1), "overdue"),
        (NOW - NINETY_DAYS - SECOND, "overdue"),
        (NOW - 400 * DAY, "overdue"),
    ],
)
def test_a_switch_never_drilled_or_not_in_the_last_90_days_is_flagged(last_drill_at, flag):
    assert killswitch_rules.drill_flag(last_drill_at, NOW) == flag


@given(seconds=st.integers(0, 400 * 86400))
def test_drill_flag_is_overdue_exactly_beyond_90_days(seconds):
    flag = killswitch_rules.drill_flag(NOW - timedelta(seconds=seconds), NOW)

    assert flag == ("overdue" if seconds > 90 * 86400 else "ok")


# --- time_to_stop_seconds --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seen_after", "seconds"),
    [
        (timedelta(seconds=7), 7.0),
        (timedelta(0), 0.0),
        (timedelta(milliseconds=1500), 1.5),
        (timedelta(hours=1, seconds=2), 3602.0),
        (timedelta(seconds=-3), 0.0),  # a clock skew never gives a negative time
    ],
)
def test_time_to_stop_is_the_seconds_from_suspension_to_the_first_runtime_read(seen_after, seconds):
    assert killswitch_rules.time_to_stop_seconds(NOW, NOW + seen_after) == seconds


def test_time_to_stop_is_none_when_the_runtime_never_read_the_status():
    assert killswitch_rules.time_to_stop_seconds(NOW, None) is None
