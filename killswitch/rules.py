"""Kill-switch rules (docs/rules.md §4) as pure functions: no Django, no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

DRILL_MAX_AGE = timedelta(days=90)


DrillFlag = Literal["never", "overdue", "ok"]


def drill_flag(last_drill_at: datetime | None, now: datetime) -> DrillFlag:
    """Whether the kill switch was tested within the last 90 days."""
    if last_drill_at is None:
        return "never"
    return "overdue" if now - last_drill_at > DRILL_MAX_AGE else "ok"


def time_to_stop_seconds(suspended_at: datetime, runtime_seen_at: datetime | None) -> float | None:
    if runtime_seen_at is None:
        return None
    return max(0.0, (runtime_seen_at - suspended_at).total_seconds())
