"""The board pack's words for the product's codes: verdicts, gate states, phases, horizons,
anomaly kinds, thresholds and risks. Pure: codes and plain values in, sentences out, nothing
from Django (the `board` template filters call these; core.formatting writes the numbers).

A code that has no words here is printed as words still ("some_state" -> "some state"), so a
new state never reaches a board as a raw code.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.formatting import compare, duration, money, percent

VERDICTS = {"ready": "Ready", "not_ready": "Not ready", "blocked": "Blocked"}
GATE_STATES = {
    "pending": "Pending",
    "go": "Go",
    "no_go": "No-go",
    "needs_review": "Needs review",
}
AGENT_STATES = {"active": "Active", "suspended": "Suspended"}
HORIZONS = {
    "stabilization": "Stabilization",
    "scaling": "Scaling",
    "optimization": "Optimization",
}
DRILLS = {"ok": "Drilled", "overdue": "Drill overdue", "never": "Never drilled"}
EVENTS = {
    "threshold_breach": "Alert threshold crossed",
    "suspension_manual": "Suspended by an operator",
    "suspension_automatic": "Suspended automatically",
    "suspension_drill": "Kill-switch drill started",
    "resume": "Resumed",
    "drill_ended": "Kill-switch drill ended",
    "no_go": "No-go decision",
}
CHANGES = {"better": "Better", "worse": "Worse", "same": "Unchanged"}

# Threshold names (outcomes.metrics) -> (words, how the value reads).
FIGURES = {
    "task_completion_rate": ("task completion rate", "fraction"),
    "escalation_frequency": ("escalation frequency", "fraction"),
    "error_rate": ("error rate", "fraction"),
    "failed_tool_calls": ("failed tool calls per task", "fraction"),
    "quality_score": ("quality score", "fraction"),
    "policy_violations": ("policy violations", "count"),
    "calls_per_hour": ("calls per hour", "count"),
    "cost_per_resolved_case": ("cost per case", "money"),
    "avg_cycle_time_s": ("cycle time", "duration"),
}


def words(code: object) -> str:
    """A code nobody gave words yet, said as words: "some_state" -> "some state"."""
    if code is None or code == "":
        return "–"
    return str(code).replace("_", " ")


def _label(table: Mapping[str, str], code: object) -> str:
    return table.get(str(code), words(code).capitalize())


def verdict_label(code: object) -> str:
    return "No verdict" if code in (None, "") else _label(VERDICTS, code)


def gate_state_label(code: object) -> str:
    return _label(GATE_STATES, code)


def agent_state_label(code: object) -> str:
    return _label(AGENT_STATES, code)


def horizon_label(code: object) -> str:
    return "–" if code in (None, "") else _label(HORIZONS, code)


def drill_label(code: object) -> str:
    return _label(DRILLS, code)


def event_label(code: object) -> str:
    return _label(EVENTS, code)


def change_label(code: object) -> str:
    return _label(CHANGES, code)


def phase_label(phase: object) -> str:
    """1 -> "Phase 1"; "production" -> "In production"."""
    if phase == "production":
        return "In production"
    return f"Phase {phase}"


def figure_value(
    name: str, value: object, currency: str | None = None, *, limit: bool = False
) -> str:
    """A figure in its own unit: a fraction as a percentage, a count as a number, a cost in
    the currency, a time as minutes or hours. A `limit` (a threshold) is written as the pages
    write it, without trailing zeros ("10 %")."""
    kind = FIGURES.get(name, ("", "number"))[1]
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    if kind == "fraction":
        return percent(value, 1, trim=limit)
    if kind == "money":
        return money(value, currency)
    if kind == "duration":
        return duration(value)
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def figure_name(name: str) -> str:
    return FIGURES.get(name, (words(name), ""))[0]


def breach_text(breach: Mapping) -> str:
    """A crossed alert threshold in the pages' words: "Error rate 14.0 % above its alert
    limit of 10.0 %"."""
    name = str(breach.get("threshold", ""))
    value, limit = breach.get("value"), breach.get("limit")
    low = name in ("task_completion_rate", "quality_score")
    side = "below" if low else "above"
    return (
        f"{figure_name(name).capitalize()} {figure_value(name, value)} {side} its alert limit "
        f"of {figure_value(name, limit, limit=True)}"
    )


def risk_text(risk: Mapping, currency: str | None = None) -> str:
    """One risk of reports.rules.outcome_risks as a sentence a board acts on."""
    name = str(risk["figure"])
    value, limit, against = risk["value"], risk["limit"], risk["against"]
    shown = figure_value(name, value, currency)
    bound = figure_value(name, limit, currency, limit=against != "baseline")
    noun = figure_name(name)
    if against == "baseline":
        measure = {
            "error_rate": "error_rate",
            "cost_per_resolved_case": "cost",
            "avg_cycle_time_s": "cycle_time",
        }[name]
        said = compare(value, limit, measure).text
        return f"{noun.capitalize()} {shown} against people's {bound}: {said}"
    low = name in ("task_completion_rate", "quality_score")
    side = "below" if low else "above"
    if against == "alert":
        return (
            f"{noun.capitalize()} {shown} is {side} its alert limit of {bound}, which suspends it"
        )
    return f"{noun.capitalize()} {shown} is {side} its advance threshold of {bound}"


def verdict_change_text(change: Mapping | None) -> str:
    """How the verdict moved since the previous pack, in one sentence."""
    if not change:
        return "First board pack: nothing to compare with yet."
    before = change.get("before") or {}
    after = change.get("after") or {}

    def said(side: Mapping) -> str:
        if not side.get("verdict"):
            return "no verdict"
        return f"{verdict_label(side['verdict']).lower()} at {side.get('total')}/20"

    direction = change_label(change.get("direction"))
    return f"{direction} since the previous pack: {said(before)} then, {said(after)} now."
