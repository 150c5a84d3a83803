"""Template helpers of the agent pages: gate state badges, phases, drill flags, durations."""

from functools import lru_cache

from django import template
from django.utils.html import format_html

from gates import rules
from gates.checklists import phases

register = template.Library()

GATE_BADGES = {
    "pending": ("text-bg-secondary", "", "Pending"),
    "go": ("text-bg-success", "✓", "Go"),
    "no_go": ("text-bg-danger", "✕", "No-go"),
    "needs_review": ("text-bg-warning", "⚠", "Needs review"),
}


@register.simple_tag
def gate_badge(state: str, size: str = "") -> str:
    """A coloured badge for a gate state: pending grey, go green, no-go red, needs review amber
    with a warning sign. The sign is decorative; the words carry the meaning."""
    return _gate_badge(str(state), str(size))


@lru_cache(maxsize=64)
def _gate_badge(state: str, size: str) -> str:
    """gate_badge's HTML, built once per (state, size): a page of hundreds of cells used to
    format the same four badges again and again."""
    css, icon, label = GATE_BADGES.get(state, ("text-bg-light", "", state))
    size_css = " fs-6" if size == "large" else ""
    if icon:
        return format_html(
            '<span class="badge gate-badge gate-{} {}{}">'
            '<span aria-hidden="true">{}</span> {}</span>',
            state,
            css,
            size_css,
            icon,
            label,
        )
    return format_html(
        '<span class="badge gate-badge gate-{} {}{}">{}</span>', state, css, size_css, label
    )


@register.filter
def gate_state_label(state: str) -> str:
    return GATE_BADGES.get(state, ("", "", state))[2]


@register.filter
def phase_label(phase) -> str:
    """1 -> "Phase 1"; "production" -> "Production"."""
    if phase == rules.PRODUCTION:
        return "Production"
    return f"Phase {phase}"


@register.simple_tag
def drill_badge(flag: str) -> str:
    if flag == "never":
        return format_html(
            '<span class="badge text-bg-danger" title="{}">'
            '<span class="visually-hidden">Kill switch </span>Never drilled</span>',
            "No kill-switch drill has ever been recorded for this agent.",
        )
    if flag == "overdue":
        return format_html(
            '<span class="badge text-bg-warning" title="{}">'
            '<span class="visually-hidden">Kill switch </span>Drill overdue</span>',
            "The last kill-switch drill is more than 90 days old.",
        )
    return ""


@register.filter
def seconds(value) -> str:
    """A duration in seconds, for people: "0.8 s", "42 s", "3 min 5 s", "2 h 4 min"."""
    if value is None:
        return "—"
    value = float(value)
    if value < 10:
        return f"{value:.1f} s"
    if value < 60:
        return f"{value:.0f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


_ITEM_LABELS = {item.key: item.label for p in phases().values() for item in p.items}
_RECORD_WORDS = {
    "owner": "the owner",
    "decision_boundaries": "decision boundaries",
    "escalation_paths": "escalation paths",
    "tool_permissions": "tool permissions",
    "guardrails": "guardrail limits",
}


@register.filter
def review_reason(reason: str) -> str:
    """Why a gate went to needs review, in words: "checklist changed: owner_assigned" ->
    "its checklist changed (Named owner assigned)"; "changed: owner, guardrails" ->
    "its records changed (the owner, guardrail limits)"."""
    if not reason:
        return "its checklist or governance records changed"
    head, sep, keys = reason.partition(": ")
    if head == "No longer met" and sep:
        return "what it approved is no longer in place: " + keys
    if not sep or head not in ("checklist changed", "changed"):
        return reason
    names = [k.strip() for k in keys.split(",") if k.strip()]
    if head == "checklist changed":
        return "its checklist changed (" + "; ".join(_ITEM_LABELS.get(k, k) for k in names) + ")"
    return "its records changed (" + ", ".join(_RECORD_WORDS.get(k, k) for k in names) + ")"
