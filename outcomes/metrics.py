"""Outcome metrics, alert thresholds and horizon advance (docs/rules.md §3 and §4) as pure
functions: plain values in, plain values out, no Django.

Derived figures are fractions (pages show percentages). A figure whose denominator is zero
is None: it never fires an alert and never satisfies an advance threshold.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from core.rules import Reason  # re-exported: the rooms' rules refuse with it

HORIZONS = ("stabilization", "scaling", "optimization")

COUNT_FIELDS = ("tasks", "tasks_completed", "escalations", "errors")
NUMBER_FIELDS = ("cost", "avg_cycle_time_s", "baseline_cost_per_case", "baseline_cycle_time_s")
FRACTION_FIELDS = ("baseline_error_rate",)
OPTIONAL_COUNT_FIELDS = ("failed_tool_calls", "policy_violations")
OPTIONAL_NUMBER_FIELDS = ("calls_per_hour",)
OPTIONAL_FRACTION_FIELDS = ("quality_score",)
REQUIRED_FIELDS = ("period_start", "period_end", *COUNT_FIELDS, *NUMBER_FIELDS, *FRACTION_FIELDS)
OPTIONAL_FIELDS = (*OPTIONAL_COUNT_FIELDS, *OPTIONAL_NUMBER_FIELDS, *OPTIONAL_FRACTION_FIELDS)
ALL_FIELDS = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)


@dataclass(frozen=True)
class Thresholds:
    """An agent's advance and alert thresholds; the defaults are the rules'."""

    advance_completion_min: float = 0.90
    advance_escalation_max: float = 0.10
    advance_error_mode: Literal["baseline", "fixed"] = "baseline"
    advance_error_max: float | None = None
    alert_error_rate_max: float = 0.10
    alert_escalation_max: float = 0.30
    alert_completion_min: float = 0.50
    alert_failed_tool_calls_max: float = 0.05
    alert_policy_violations_max: int = 0
    alert_quality_min: float = 0.70
    alert_unregistered_tool_use: bool = True
    alert_error_rate_on: bool = True
    alert_escalation_on: bool = True
    alert_completion_on: bool = True
    alert_quality_on: bool = True
    auto_suspend: bool = True
    budget_alert_percent: int | None = 80
    stabilization_weeks: int = 8


@dataclass(frozen=True)
class Breach:
    threshold: str
    value: float
    limit: float
    message: str


# --- the period's rules that need today -------------------------------------------------------
# (The shape of a snapshot, its fields, bounds and the rules across them, is
# outcomes.inputs.SnapshotInput; the overlap with stored periods is period_overlaps below.)


def period_end_error(end: date, today: date) -> str | None:
    """A period may not end after `today`: its figures would be a guess (docs/rules.md §3)."""
    if end > today:
        return (
            f"The period ends after today ({today.isoformat()}): post a period once it has ended."
        )
    return None


Period = tuple[date, date]


def _overlap_message(other: Period, where: str) -> str:
    start, end = other
    return (
        f"The period overlaps {where} ({start.isoformat()} to {end.isoformat()}): choose "
        "dates outside it (both days count, so start the day after it ends)."
    )


def period_overlaps(periods: Sequence[Period | None], existing: Sequence[Period]) -> dict[int, str]:
    """For each of `periods` (by index; None, a row without valid dates, is skipped) that
    shares a day with a stored period of the agent or with another of `periods`, the message
    naming the period it overlaps. Both ends are inclusive: a period ending 31 March and one
    starting 31 March overlap; one starting 1 April does not. Of two new periods that
    overlap, the later one (by index) carries the message, naming the earlier as a row of the
    file (index + 1)."""
    found: dict[int, str] = {}
    # Stored periods by start, with the running greatest end: a period [s, e] overlaps one of
    # them exactly when the greatest end among those starting on or before e is on or after s.
    stored = sorted(existing)
    starts = [start for start, _ in stored]
    reach: list[int] = []  # index of the stored period with the greatest end so far
    for i, (_, end) in enumerate(stored):
        reach.append(i if not reach or end > stored[reach[-1]][1] else reach[-1])
    for index, period in enumerate(periods):
        if period is None:
            continue
        start, end = period
        count = bisect_right(starts, end)
        if count and stored[reach[count - 1]][1] >= start:
            found[index] = _overlap_message(stored[reach[count - 1]], "the existing snapshot")
    # New periods among themselves: sweep by start, keeping the one that reaches furthest.
    dated = {i: p for i, p in enumerate(periods) if p is not None}
    furthest: int | None = None
    for index in sorted(dated, key=lambda i: (dated[i][0], i)):
        start, end = dated[index]
        if furthest is not None and dated[furthest][1] >= start:
            later, earlier = max(index, furthest), min(index, furthest)
            where = f"row {earlier + 1} of the file"
            found.setdefault(later, _overlap_message(dated[earlier], where))
        if furthest is None or end > dated[furthest][1]:
            furthest = index
    return found


# --- derived figures --------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def derived_figures(s: Mapping) -> dict[str, float | None]:
    """The docs/rules.md §3 table, as fractions; None where a denominator is zero."""
    tasks = s["tasks"]
    error_rate = _ratio(s["errors"], tasks)
    cost_per_case = _ratio(s["cost"], s["tasks_completed"])
    baseline_cycle = s["baseline_cycle_time_s"]
    baseline_cost = s["baseline_cost_per_case"]
    return {
        "task_completion_rate": _ratio(s["tasks_completed"], tasks),
        "escalation_frequency": _ratio(s["escalations"], tasks),
        "error_rate": error_rate,
        "cost_per_resolved_case": cost_per_case,
        "cycle_time_reduction": _ratio(baseline_cycle - s["avg_cycle_time_s"], baseline_cycle),
        "error_rate_vs_baseline": (
            None if error_rate is None else error_rate - s["baseline_error_rate"]
        ),
        "cost_reduction": (
            None if cost_per_case is None else _ratio(baseline_cost - cost_per_case, baseline_cost)
        ),
    }


# --- alerts ------------------------------------------------------------------------------------


def alert_breaches(
    s: Mapping, figures: Mapping[str, float | None], t: Thresholds, api_calls_limit: int | None
) -> list[Breach]:
    """Every alert threshold the snapshot crosses (docs/rules.md §4). None never fires, nor does
    an alert an admin switched off."""
    breaches = []

    def above(name, value, limit, label):
        if value is not None and value > limit:
            breaches.append(Breach(name, value, limit, f"{label} {value:.4g} is above {limit:g}."))

    def below(name, value, limit, label):
        if value is not None and value < limit:
            breaches.append(Breach(name, value, limit, f"{label} {value:.4g} is below {limit:g}."))

    if t.alert_error_rate_on:
        above("error_rate", figures["error_rate"], t.alert_error_rate_max, "Error rate")
    if t.alert_escalation_on:
        above(
            "escalation_frequency",
            figures["escalation_frequency"],
            t.alert_escalation_max,
            "Escalation frequency",
        )
    if t.alert_completion_on:
        below(
            "task_completion_rate",
            figures["task_completion_rate"],
            t.alert_completion_min,
            "Task completion rate",
        )
    if s.get("failed_tool_calls") is not None:
        above(
            "failed_tool_calls",
            _ratio(s["failed_tool_calls"], s["tasks"]),
            t.alert_failed_tool_calls_max,
            "Failed tool calls per task",
        )
    if s.get("policy_violations") is not None:
        above(
            "policy_violations",
            s["policy_violations"],
            t.alert_policy_violations_max,
            "Policy violations",
        )
    if s.get("quality_score") is not None and t.alert_quality_on:
        below("quality_score", s["quality_score"], t.alert_quality_min, "Quality score")
    if s.get("calls_per_hour") is not None and api_calls_limit is not None:
        above("calls_per_hour", s["calls_per_hour"], api_calls_limit, "Calls per hour")
    return breaches


# --- horizons ----------------------------------------------------------------------------------


def next_horizon(horizon: str) -> str | None:
    index = HORIZONS.index(horizon)
    return HORIZONS[index + 1] if index + 1 < len(HORIZONS) else None


def advance_reasons(
    *,
    horizon: str | None,
    in_production: bool,
    suspended: bool,
    production_since: datetime | None,
    now: datetime,
    latest: Mapping | None,
    figures: Mapping[str, float | None] | None,
    thresholds: Thresholds,
    decider_is_owner: bool,
    owner_message: str | None = None,
) -> list[Reason]:
    """Every reason a horizon advance is refused now (empty: it may be decided)."""
    reasons = []
    if decider_is_owner:
        reasons.append(
            Reason(
                "owner_cannot_decide",
                owner_message
                or "You own this agent: another approver must decide (separation of duties).",
            )
        )
    if not in_production or horizon is None:
        reasons.append(
            Reason("not_in_production", "The agent is not in production (all four gates at go).")
        )
    elif next_horizon(horizon) is None:
        reasons.append(Reason("final_horizon", "The agent is already in optimization."))
    if suspended:
        reasons.append(Reason("suspended", "The agent is suspended: resume it first."))
    if horizon == "stabilization" and production_since is not None:
        minimum = timedelta(weeks=thresholds.stabilization_weeks)
        if now - production_since < minimum:
            left = minimum - (now - production_since)
            weeks_left = math.ceil(left / timedelta(weeks=1) * 10) / 10
            reasons.append(
                Reason(
                    "stabilization_minimum",
                    f"Stabilization lasts at least {thresholds.stabilization_weeks} weeks from "
                    f"phase 4's go: {weeks_left:g} week(s) left.",
                    {"weeks_left": weeks_left},
                )
            )
    if latest is None or figures is None:
        reasons.append(Reason("no_snapshot", "No metric snapshot yet: post one first."))
        return reasons
    checks = [
        (
            "task_completion_rate",
            figures["task_completion_rate"],
            thresholds.advance_completion_min,
            "min",
        ),
        (
            "escalation_frequency",
            figures["escalation_frequency"],
            thresholds.advance_escalation_max,
            "max",
        ),
    ]
    error_limit = (
        latest["baseline_error_rate"]
        if thresholds.advance_error_mode == "baseline" or thresholds.advance_error_max is None
        else thresholds.advance_error_max
    )
    checks.append(("error_rate", figures["error_rate"], error_limit, "max"))
    for name, value, limit, kind in checks:
        label = name.replace("_", " ")
        if value is None:
            reasons.append(
                Reason(
                    "figure_missing",
                    f"The latest snapshot has no {label} (no tasks).",
                    {"figure": name, "value": None, "threshold": limit},
                )
            )
        elif (kind == "min" and value < limit) or (kind == "max" and value > limit):
            word = "below the minimum" if kind == "min" else "above the maximum"
            reasons.append(
                Reason(
                    "figure_short",
                    f"The {label} {value:.1%} is {word} of {limit:.1%}.",
                    {"figure": name, "value": value, "threshold": limit},
                )
            )
    return reasons
