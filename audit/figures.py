"""Values as the audit log's sentences write them (audit/sentences.py): codes as words,
figures in their units as the pages write them (core.formatting), before → after changes.
Pure: no Django; every helper accepts a value of any shape and never raises on it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from core.formatting import count, date_text, decimal, duration, money, percent

# --- small helpers over values that may not be the shape expected ---------------------------


def as_map(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else []


def words(code: Any) -> str:
    """A code said as words: "needs_review" -> "needs review"."""
    return str(code).replace("_", " ").strip() if code is not None else ""


def names(values: Any, empty: str = "none") -> str:
    shown = [words(v) for v in as_list(values) if v not in (None, "")]
    return ", ".join(shown) if shown else empty


def quoted(value: Any) -> str:
    return f"“{value}”" if value not in (None, "") else "–"


LARGEST = 1e15  # beyond this (or not finite) a number is printed as it is, not formatted


def measurable(value: Any) -> bool:
    """A real number the formatting can write (not a boolean, finite, not absurdly large)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) < LARGEST and math.isfinite(value)


def number(value: Any) -> str:
    if not measurable(value):
        return "–" if value in (None, "") else str(value)
    return count(value) if float(value).is_integer() else decimal(value, 2)


def day(value: Any) -> str:
    """An ISO date (or date-time) as the pages write it; anything else as "–"."""
    return date_text(value) if isinstance(value, str) else "–"


def size(n: Any) -> str:
    if not measurable(n):
        return "–"
    if n < 1024:
        return f"{count(n)} bytes"
    if n < 1024 * 1024:
        return f"{decimal(n / 1024, 1)} KB"
    return f"{decimal(n / 1024 / 1024, 1)} MB"


FIGURES = {
    "task_completion_rate": ("completion", "fraction"),
    "escalation_frequency": ("escalation", "fraction"),
    "error_rate": ("error rate", "fraction"),
    "cost_per_resolved_case": ("cost per case", "money"),
    "cycle_time_reduction": ("cycle time reduction", "fraction"),
    "error_rate_vs_baseline": ("error rate against people", "fraction"),
    "cost_reduction": ("cost reduction", "fraction"),
    "failed_tool_calls": ("failed tool calls", "fraction"),
    "quality_score": ("quality", "fraction"),
    "policy_violations": ("policy violations", "count"),
    "calls_per_hour": ("calls per hour", "count"),
    "avg_cycle_time_s": ("cycle time", "duration"),
}


def figure(name: str, value: Any, currency: str | None = None) -> str:
    """A figure in its unit: a fraction as a percentage, money in the currency."""
    kind = FIGURES.get(name, ("", "number"))[1]
    if not measurable(value):
        return "–"
    if kind == "fraction":
        return percent(value, 1)
    if kind == "money":
        return money(value, currency)
    if kind == "duration":
        return duration(value)
    return number(value)


def figures_text(values: Any, currency: str | None, keys: tuple[str, ...] = ()) -> str:
    shown = as_map(values)
    names = [k for k in (keys or tuple(shown)) if k in shown and shown[k] is not None]
    return ", ".join(
        f"{FIGURES.get(n, (words(n), ''))[0]} {figure(n, shown[n], currency)}" for n in names
    )


THRESHOLD_WORDS = {
    "advance_completion_min": "completion to advance",
    "advance_escalation_max": "escalation to advance",
    "advance_error_mode": "error rate to advance measured against",
    "advance_error_max": "error rate to advance",
    "alert_error_rate_max": "error rate alert",
    "alert_escalation_max": "escalation alert",
    "alert_completion_min": "completion alert",
    "alert_failed_tool_calls_max": "failed tool calls alert",
    "alert_policy_violations_max": "policy violations alert",
    "alert_quality_min": "quality alert",
    "alert_unregistered_tool_use": "suspend on unregistered tool use",
    "stabilization_weeks": "stabilization weeks",
}
THRESHOLD_FRACTIONS = {k for k in THRESHOLD_WORDS if k.endswith(("_min", "_max"))} - {
    "alert_policy_violations_max"
}


def threshold_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in THRESHOLD_FRACTIONS and measurable(value):
        return percent(value, 1, trim=True)
    return number(value) if not isinstance(value, str) else words(value)


def changes(before: Any, after: Any, show: Callable[[str, Any], str], labels: Mapping) -> str:
    old, new = as_map(before), as_map(after)
    return "; ".join(
        f"{labels.get(k, words(k))} {show(k, old.get(k))} → {show(k, new.get(k))}" for k in new
    )


RECORD_WORDS = {
    "name": "name",
    "purpose": "purpose",
    "business_unit": "business unit",
    "owner": "owner",
    "decision_boundaries": "decision boundaries",
    "escalation_paths": "escalation paths",
    "tool_permissions": "tool permissions",
    "guardrails": "guardrail limits",
}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet will not run: one that starts like a formula (=, +, -, @, a
    tab or a carriage return) gets a leading apostrophe (OWASP's advice on CSV injection)."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell
