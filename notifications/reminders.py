"""The reminders (docs/notifications.md): which items are due, from plain facts. Pure: no
Django, no database. The scheduler fetches the facts, asks these functions, and announces an
item once, and again only when its fingerprint changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from gates.rules import READINESS_MAX_AGE, ReadinessFacts, readiness_reasons
from killswitch.rules import drill_flag

from .kinds import Kind

# A reassessment is announced this long before the latest assessment turns 90 days old.
REASSESSMENT_NOTICE = timedelta(days=14)
BUDGET_ALERT_FRACTION = 0.8


@dataclass(frozen=True)
class Due:
    """One due item. `link` is a URL name and its arguments; `data` is plain JSON."""

    kind: Kind
    key: str
    fingerprint: str
    text: str
    link: tuple[str, tuple[int, ...]]
    object_type: str
    object_id: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AssessmentFact:
    id: int
    title: str
    verdict: str
    total: int
    submitted_at: datetime


@dataclass(frozen=True)
class PermissionFact:
    id: int
    agent_id: int
    agent_name: str
    tool: str
    codes: tuple[str, ...]
    last_used: date | None
    last_reviewed: date | None


@dataclass(frozen=True)
class AgentFact:
    id: int
    name: str
    created_at: datetime
    last_drill_at: datetime | None
    monthly_budget: float | None
    # The agent's own alert fraction; True: the organization's default; False: switched off.
    budget_alert: float | bool = True


@dataclass(frozen=True)
class CostFact:
    agent_id: int
    period_start: date
    period_end: date
    cost: float


def _day(moment: datetime | date) -> str:
    return f"{moment.day} {moment:%b %Y}"


def reassessment_due(latest: AssessmentFact | None, now: datetime) -> Due | None:
    """Due when the latest submitted assessment is no longer ready, is over 90 days old, or
    turns 90 within 14 days. None without any submitted assessment (nothing to reassess)."""
    if latest is None:
        return None
    facts = ReadinessFacts(latest.verdict, latest.total, latest.submitted_at)
    codes = [r.code for r in readiness_reasons(facts, now)]
    turns_90 = latest.submitted_at + READINESS_MAX_AGE
    age_days = (now - latest.submitted_at).days
    verdict = latest.verdict.replace("_", " ")
    if "readiness_not_ready" in codes:
        state = "not_ready"
        text = (
            f"The latest readiness assessment “{latest.title}” is {verdict} "
            f"({latest.total}/20): a reassessment is due."
        )
    elif "readiness_stale" in codes:
        state = "stale"
        text = (
            f"The latest readiness assessment “{latest.title}” is {age_days} days old, over "
            "90: a reassessment is due before production can be authorised again."
        )
    elif now >= turns_90 - REASSESSMENT_NOTICE:
        state = "due_soon"
        text = (
            f"The latest readiness assessment “{latest.title}” turns 90 days old on "
            f"{_day(turns_90)}: start a reassessment."
        )
    else:
        return None
    return Due(
        kind=Kind.REASSESSMENT_DUE,
        key="organization",
        fingerprint=f"{latest.id}:{state}",
        text=text,
        link=("assessments:detail", (latest.id,)),
        object_type="assessments.Assessment",
        object_id=str(latest.id),
        data={
            "assessment_id": latest.id,
            "state": state,
            "verdict": latest.verdict,
            "submitted_at": latest.submitted_at.isoformat(),
            "turns_90_on": turns_90.date().isoformat(),
        },
    )


def permissions_due(flagged: Sequence[PermissionFact]) -> list[Due]:
    """One item per agent with tool permissions flagged for review (agents.rules decides
    which); it changes when the set of permissions, their reasons or their dates change."""
    by_agent: dict[int, list[PermissionFact]] = {}
    for permission in flagged:
        by_agent.setdefault(permission.agent_id, []).append(permission)
    dues = []
    for agent_id, permissions in sorted(by_agent.items()):
        permissions = sorted(permissions, key=lambda p: p.id)
        name = permissions[0].agent_name
        tools = ", ".join(p.tool for p in permissions)
        count = len(permissions)
        fingerprint = ";".join(
            f"{p.id}:{'+'.join(sorted(p.codes))}:{p.last_used}:{p.last_reviewed}"
            for p in permissions
        )
        dues.append(
            Due(
                kind=Kind.PERMISSIONS_TO_REVIEW,
                key=f"agent:{agent_id}",
                fingerprint=fingerprint,
                text=(
                    f"{count} tool permission{'s' if count != 1 else ''} of {name} to review "
                    f"(unused or unreviewed for 90 days): {tools}."
                ),
                link=("registry:permissions", ()),
                object_type="agents.Agent",
                object_id=str(agent_id),
                data={
                    "agent_id": agent_id,
                    "permissions": [
                        {"id": p.id, "tool": p.tool, "reasons": sorted(p.codes)}
                        for p in permissions
                    ],
                },
            )
        )
    return dues


def drill_overdue(agent: AgentFact, now: datetime) -> Due | None:
    """Due when the agent's last kill-switch drill is over 90 days old, or when it never had
    one and was registered over 90 days ago (killswitch.rules.drill_flag)."""
    flag = drill_flag(agent.last_drill_at, now)
    if flag == "ok" or (flag == "never" and drill_flag(agent.created_at, now) != "overdue"):
        return None
    if agent.last_drill_at is None:
        text = f"{agent.name} has never had a kill-switch drill: run one (every 90 days)."
        fingerprint = "never"
    else:
        days = (now - agent.last_drill_at).days
        text = (
            f"The last kill-switch drill of {agent.name} was {days} days ago "
            f"({_day(agent.last_drill_at)}): run one (every 90 days)."
        )
        fingerprint = agent.last_drill_at.isoformat()
    return Due(
        kind=Kind.DRILL_OVERDUE,
        key=f"agent:{agent.id}",
        fingerprint=fingerprint,
        text=text,
        link=("agents:detail", (agent.id,)),
        object_type="agents.Agent",
        object_id=str(agent.id),
        data={
            "agent_id": agent.id,
            "last_drill_at": agent.last_drill_at.isoformat() if agent.last_drill_at else None,
        },
    )


def month_bounds(day: date) -> tuple[date, date]:
    """The first and last day of the month of `day`."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def month_cost(costs: Sequence[CostFact], month_of: date) -> float:
    """The cost that falls in the month of `month_of`: each snapshot's cost is spread evenly
    over the days of its period (both ends included), so one spanning two months counts in
    each by its days there."""
    first, last = month_bounds(month_of)
    total = 0.0
    for snapshot in costs:
        start, end = max(snapshot.period_start, first), min(snapshot.period_end, last)
        if start > end:
            continue
        days = (snapshot.period_end - snapshot.period_start).days + 1
        total += snapshot.cost * ((end - start).days + 1) / days
    return total


def budget_alert(
    agent: AgentFact, costs: Sequence[CostFact], today: date, fraction: float
) -> Due | None:
    """Due when the month's cost so far is past the agent's alert fraction of its monthly budget
    (`fraction`, the default, unless the agent has its own; never when its alert is off). It
    changes when the cost goes past the whole budget, or the budget changes."""
    if agent.monthly_budget is None or agent.budget_alert is False:
        return None
    if agent.budget_alert is not True:
        fraction = agent.budget_alert
    cost = month_cost([c for c in costs if c.agent_id == agent.id], today)
    budget = agent.monthly_budget
    if cost <= 0 or cost <= fraction * budget:
        return None
    level = "over" if cost > budget else "alert"
    month = f"{today:%Y-%m}"
    share = f"{cost / budget:.0%} of" if budget > 0 else "over"
    text = (
        f"{agent.name} has spent {cost:,.2f} in {today:%B %Y}, {share} its monthly budget "
        f"of {budget:,.2f}" + ("." if level == "over" else f" (alert at {fraction:.0%}).")
    )
    return Due(
        kind=Kind.BUDGET_ALERT,
        key=f"agent:{agent.id}:{month}",
        fingerprint=f"{level}:{budget:.2f}",
        text=text,
        link=("outcomes:agent", (agent.id,)),
        object_type="agents.Agent",
        object_id=str(agent.id),
        data={
            "agent_id": agent.id,
            "month": month,
            "cost": round(cost, 2),
            "budget": round(budget, 2),
            "fraction": fraction,
            "level": level,
        },
    )


def due_items(
    *,
    latest_assessment: AssessmentFact | None,
    flagged_permissions: Sequence[PermissionFact],
    agents: Sequence[AgentFact],
    costs: Sequence[CostFact],
    now: datetime,
    budget_fraction: float = BUDGET_ALERT_FRACTION,
) -> list[Due]:
    """Every item due in one organization now."""
    dues: list[Due] = []
    reassessment = reassessment_due(latest_assessment, now)
    if reassessment is not None:
        dues.append(reassessment)
    dues.extend(permissions_due(flagged_permissions))
    for agent in agents:
        for due in (
            drill_overdue(agent, now),
            budget_alert(agent, costs, now.date(), budget_fraction),
        ):
            if due is not None:
                dues.append(due)
    return dues
