"""When the workers count as silent (core.rules): a few heartbeat intervals, never under five
minutes, counted from the last heartbeat or, with none ever, from when waiting began."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.rules import SILENT_AFTER_AT_LEAST, silence_threshold, worker_silence

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_the_threshold_is_three_heartbeat_intervals_but_never_under_five_minutes():
    assert silence_threshold(60) == timedelta(minutes=5)
    assert silence_threshold(1) == SILENT_AFTER_AT_LEAST == timedelta(minutes=5)
    assert silence_threshold(300) == timedelta(minutes=15)


def test_workers_that_beat_within_the_threshold_are_not_silent():
    # given a heartbeat every minute, the last one five minutes ago exactly
    now = T0 + timedelta(minutes=5)

    assert worker_silence(last_ran_at=T0, now=now, interval_seconds=60) is None


def test_workers_are_silent_once_past_the_threshold_for_as_long_as_they_were():
    now = T0 + timedelta(minutes=5) + SECOND

    assert worker_silence(last_ran_at=T0, now=now, interval_seconds=60) == now - T0


def test_with_no_heartbeat_ever_the_silence_counts_from_when_waiting_began():
    # given no heartbeat ever, and a report waiting since T0
    def silence(now):
        return worker_silence(last_ran_at=None, now=now, interval_seconds=60, waiting_since=T0)

    assert silence(T0 + timedelta(minutes=5)) is None
    assert silence(T0 + timedelta(minutes=6)) == timedelta(minutes=6)
    # and without anything to count from, nothing to say
    assert worker_silence(last_ran_at=None, now=T0, interval_seconds=60) is None


def test_an_old_heartbeat_counts_even_for_a_report_that_just_began_waiting():
    now = T0 + timedelta(hours=1)

    silence = worker_silence(last_ran_at=T0, now=now, interval_seconds=60, waiting_since=now)

    assert silence == timedelta(hours=1)


def test_the_rules_module_imports_nothing_from_django():
    tree = ast.parse((ROOT / "core" / "rules.py").read_text())
    modules = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }

    assert {m.split(".")[0] for m in modules} <= {"datetime", "dataclasses", "math"}, modules
