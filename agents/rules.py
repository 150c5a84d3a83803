"""Rules of the agent registry as pure functions: record values and the tool-permission review
(docs/rules.md §2 and §4).

Plain values in, plain values out: no Django, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Re-exported: the rooms' rules refuse with Reason and check numbers with these.
from core.rules import Reason as Reason
from core.rules import non_negative_number_error as non_negative_number_error

PERMISSION_MAX_AGE = timedelta(days=90)
# After an owner change, the previous owner and who changed it stay barred from deciding.
SEPARATION_WINDOW = timedelta(days=90)


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


@dataclass(frozen=True)
class OwnerChangeFact:
    previous_owner_id: int
    new_owner_id: int
    changed_by_id: int | None
    changed_at: datetime


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def separation_of_duties(
    *, user_id: int, owner_id: int, changes: Iterable[OwnerChangeFact], now: datetime
) -> str | None:
    """Why this member may not decide on the agent (gates, horizon advances, resuming), or None:
    they own it, or within the last 90 days (the 90th day included) they owned it or changed
    its owner."""
    if user_id == owner_id:
        return "You own this agent: another approver must decide (separation of duties)."
    for change in sorted(changes, key=lambda c: c.changed_at, reverse=True):
        if now - change.changed_at > SEPARATION_WINDOW:
            continue
        until = _day(change.changed_at + SEPARATION_WINDOW)
        if change.previous_owner_id == user_id:
            return (
                f"You owned this agent until {_day(change.changed_at)}: until {until} another "
                "approver must decide (separation of duties)."
            )
        if change.changed_by_id == user_id:
            return (
                f"You changed this agent's owner on {_day(change.changed_at)}: until {until} "
                "another approver must decide (separation of duties)."
            )
    return None
