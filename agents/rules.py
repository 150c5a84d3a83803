"""Rules of the agent registry as pure functions: record values and the tool-permission review
(docs/rules.md §2 and §4).

Plain values in, plain values out: no Django, no database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

PERMISSION_MAX_AGE = timedelta(days=90)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    extra: dict = field(default_factory=dict)


def non_negative_number_error(value: object) -> str | None:
    """The message for a value that is not a finite, non-negative number (None if it is)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "Must be a number."
    if isinstance(value, float) and not math.isfinite(value):
        return "Must be a finite number."
    if value < 0:
        return "Must not be negative."
    if value > 10**12:
        return "Must be at most 10^12."
    return None


def permission_review_reasons(
    *, last_used: date | None, last_reviewed: date | None, created: date, today: date
) -> list[Reason]:
    """A tool permission is flagged for revocation when unused or unreviewed for 90 days."""
    reasons = []
    used = last_used or created
    if today - used > PERMISSION_MAX_AGE:
        what = "last used" if last_used else "never used since it was granted"
        reasons.append(Reason("unused", f"Not used for {(today - used).days} days ({what})."))
    reviewed = last_reviewed or created
    if today - reviewed > PERMISSION_MAX_AGE:
        what = "last reviewed" if last_reviewed else "never reviewed since it was granted"
        reasons.append(
            Reason("unreviewed", f"Not reviewed for {(today - reviewed).days} days ({what}).")
        )
    return reasons


def changed_fields(before: Mapping, after: Mapping, fields: Iterable[str]) -> list[str]:
    return [f for f in fields if before.get(f) != after.get(f)]
