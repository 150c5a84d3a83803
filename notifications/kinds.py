"""What a notification can be about, who is told, and whether it also comes by email
(docs/notifications.md). Pure: no Django, no database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.roles import Role


class Kind(StrEnum):
    GATE_WAITING = "gate_waiting"
    GATE_NEEDS_REVIEW = "gate_needs_review"
    AGENT_SUSPENDED = "agent_suspended"
    AGENT_RESUMED = "agent_resumed"
    THRESHOLD_BREACHED = "threshold_breached"
    REPORT_DONE = "report_done"
    REPORT_FAILED = "report_failed"
    REASSESSMENT_DUE = "reassessment_due"
    PERMISSIONS_TO_REVIEW = "permissions_to_review"
    DRILL_OVERDUE = "drill_overdue"
    BUDGET_ALERT = "budget_alert"


LABELS: dict[Kind, str] = {
    Kind.GATE_WAITING: "A gate waits for my decision",
    Kind.GATE_NEEDS_REVIEW: "A gate went to review",
    Kind.AGENT_SUSPENDED: "An agent was suspended (by hand, automatically or by a drill)",
    Kind.AGENT_RESUMED: "An agent was resumed or its drill ended",
    Kind.THRESHOLD_BREACHED: "An alert threshold was breached (operators are emailed at once "
    "by the kill switch too)",
    Kind.REPORT_DONE: "A board report I asked for is done",
    Kind.REPORT_FAILED: "A board report I asked for failed",
    Kind.REASSESSMENT_DUE: "Reminder: a readiness reassessment is due",
    Kind.PERMISSIONS_TO_REVIEW: "Reminder: tool permissions to review",
    Kind.DRILL_OVERDUE: "Reminder: a kill-switch drill is overdue",
    Kind.BUDGET_ALERT: "Reminder: a monthly budget is past its alert fraction",
}

REMINDERS: tuple[Kind, ...] = (
    Kind.REASSESSMENT_DUE,
    Kind.PERMISSIONS_TO_REVIEW,
    Kind.DRILL_OVERDUE,
    Kind.BUDGET_ALERT,
)

# In the app, every notification is shown. By email, unless the member chose otherwise: what
# needs someone to act soon (a stopped agent, a decision waiting) and the reminders (each
# announced once per change, so they are few); not the rest. A breach is not among them:
# the kill switch already emails the operators at once when a threshold suspends an agent,
# and a digest up to ten minutes later would only repeat it.
EMAIL_BY_DEFAULT: frozenset[Kind] = frozenset({Kind.GATE_WAITING, Kind.AGENT_SUSPENDED, *REMINDERS})

# Who is told, by role (roles add up: a member holding any of them is told).
AUDIENCE: dict[Kind, frozenset[Role]] = {
    Kind.GATE_WAITING: frozenset({Role.APPROVER}),
    Kind.GATE_NEEDS_REVIEW: frozenset({Role.APPROVER}),
    Kind.AGENT_SUSPENDED: frozenset({Role.OPERATOR, Role.APPROVER}),
    Kind.AGENT_RESUMED: frozenset({Role.OPERATOR, Role.APPROVER}),
    Kind.THRESHOLD_BREACHED: frozenset({Role.OPERATOR}),
    Kind.REPORT_DONE: frozenset(),
    Kind.REPORT_FAILED: frozenset(),
    Kind.REASSESSMENT_DUE: frozenset({Role.ASSESSOR, Role.ADMIN}),
    Kind.PERMISSIONS_TO_REVIEW: frozenset({Role.APPROVER, Role.ADMIN}),
    Kind.DRILL_OVERDUE: frozenset({Role.OPERATOR}),
    Kind.BUDGET_ALERT: frozenset({Role.OPERATOR, Role.ADMIN}),
}
# The agent's owner is told these whatever their roles.
OWNER_TOLD: frozenset[Kind] = frozenset(
    {Kind.GATE_NEEDS_REVIEW, Kind.AGENT_SUSPENDED, Kind.AGENT_RESUMED, Kind.THRESHOLD_BREACHED}
)


@dataclass(frozen=True)
class Member:
    """An active member as the recipient rule needs it."""

    id: int
    user_id: int
    roles: frozenset[Role]


def recipients(
    kinds: Sequence[Kind],
    members: Iterable[Member],
    *,
    owner_id: int | None = None,
    actor_id: int | None = None,
    barred_user_ids: Iterable[int] = (),
) -> dict[int, Kind]:
    """Membership id → the kind each member is told, for one event. With several kinds (an
    automatic suspension is a breach for the operators and the owner, a suspension for the
    approvers) a member is told once, with the first kind that reaches them. Whoever caused
    the event is not told of it, nor is a member the rules bar (`barred_user_ids`: an approver
    who may not decide on the agent is not told a gate waits for them)."""
    barred = set(barred_user_ids)
    told: dict[int, Kind] = {}
    for member in members:
        if member.user_id == actor_id or member.user_id in barred:
            continue
        for kind in kinds:
            if member.roles & AUDIENCE[kind] or (kind in OWNER_TOLD and member.user_id == owner_id):
                told[member.id] = kind
                break
    return told


def email_wanted(kind: Kind | str, chosen: Mapping[str, bool]) -> bool:
    """Whether a notification of this kind also comes by email: the member's choice for the
    kind, else the default."""
    if kind in chosen:
        return bool(chosen[kind])
    return kind in EMAIL_BY_DEFAULT


def digest_due(oldest_pending: datetime, now: datetime, wait: timedelta) -> bool:
    """A member's pending emails go out together once the oldest has waited `wait`, so that
    several notifications within that time make one digest."""
    return now - oldest_pending >= wait


def digest_subject(count: int, organization: str) -> str:
    if count == 1:
        return f"[Readiness] 1 notification in {organization}"
    return f"[Readiness] {count} notifications in {organization}"
