"""An agent's timeline: its audit entries told in words (record edits, checklist changes,
decisions, prompt versions, suspensions, drills, tokens)."""

from audit.actions import SUSPENDED, Action
from audit.models import AuditEntry
from gates.checklists import phases
from gates.templatetags.gate_tags import review_reason

TIMELINE_STEP = 50
ITEM_LABELS = {item.key: item.label for p in phases().values() for item in p.items}
ITEM_ORDER = {key: position for position, key in enumerate(ITEM_LABELS)}
RECORD_LABELS = {
    "name": "Name",
    "purpose": "Purpose",
    "business_unit": "Business unit",
    "owner": "Owner",
    "decision_boundaries": "Decision boundaries",
    "escalation_paths": "Escalation paths",
    "tool_permissions": "Tool permissions",
    "guardrails": "Guardrail limits",
}


LIST_KEYS = {
    "decision_boundaries": "decision",
    "escalation_paths": "failure_state",
    "tool_permissions": "tool",
}


GUARDRAIL_LABELS = {
    "api_calls_per_hour": "API calls per hour",
    "tokens_per_session": "Tokens per session",
    "sequential_actions_before_confirmation": "Sequential actions before confirmation",
    "monthly_budget": "Monthly budget",
}


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


def _record_changes(before: dict, after: dict) -> list[str]:
    lines = []
    for key, new in after.items():
        old = before.get(key)
        label = RECORD_LABELS.get(key, key)
        if key in LIST_KEYS:
            name = LIST_KEYS[key]
            old_rows = {r.get(name): r for r in old or []}
            new_rows = {r.get(name): r for r in new or []}
            parts = []
            added = [n for n in new_rows if n not in old_rows]
            removed = [n for n in old_rows if n not in new_rows]
            changed = [n for n in new_rows if n in old_rows and new_rows[n] != old_rows[n]]
            if added:
                parts.append("added " + ", ".join(map(str, added)))
            if removed:
                parts.append("removed " + ", ".join(map(str, removed)))
            if changed:
                parts.append("changed " + ", ".join(map(str, changed)))
            lines.append(f"{label}: " + ("; ".join(parts) or "reordered"))
        elif key == "guardrails":
            for limit, value in (new or {}).items():
                was = (old or {}).get(limit)
                if was != value:
                    lines.append(
                        f"{GUARDRAIL_LABELS.get(limit, limit)}: {_shown(was)} → {_shown(value)}"
                    )
        else:
            lines.append(f"{label}: {_shown(old)} → {_shown(new)}")
    return lines


def _records(before, after, phase) -> dict:
    return {"title": "Records edited", "kind": "records", "lines": _record_changes(before, after)}


def _registered(before, after, phase) -> dict:
    return {
        "title": "Registered",
        "kind": "records",
        "lines": [f"Owner: {after.get('owner', '—')}"],
    }


def _checklist(before, after, phase) -> dict:
    lines = []
    new_items, old_items = after.get("items", {}), before.get("items", {})
    for key in sorted(new_items, key=lambda k: ITEM_ORDER.get(k, len(ITEM_ORDER))):
        new, old = new_items[key], old_items.get(key) or {}
        parts = []
        if new.get("met") != old.get("met"):
            parts.append("met" if new.get("met") else "not met")
        if new.get("evidence") != old.get("evidence"):
            parts.append(f"evidence “{_shown(new.get('evidence'))}”")
        lines.append(f"{ITEM_LABELS.get(key, key)}: " + ", ".join(parts or ["unchanged"]))
    return {"title": f"Phase {phase} checklist changed", "kind": "checklist", "lines": lines}


def _decided(before, after, phase) -> dict:
    word = "Go" if after.get("decision") == "go" else "No-go"
    lines = [f"Rationale: {after.get('rationale', '')}"]
    if after.get("unmet_items"):
        lines.append("Unmet: " + "; ".join(ITEM_LABELS.get(k, k) for k in after["unmet_items"]))
    return {
        "title": f"Phase {phase}: {word}",
        "kind": f"decision-{after.get('decision')}",
        "lines": lines,
    }


def _needs_review(before, after, phase) -> dict:
    return {
        "title": f"Phase {phase} needs review",
        "kind": "needs_review",
        "lines": [f"Because {review_reason(after.get('why', ''))}."],
    }


def _prompt(before, after, phase) -> dict:
    ships = after.get("ship")
    lines = []
    if not ships and after.get("reasons"):
        lines = ["Refused: " + ", ".join(r.replace("_", " ") for r in after["reasons"])]
    return {
        "title": f"Prompt version {after.get('tag')} "
        + ("posted: may ship" if ships else "posted: may not ship"),
        "kind": "prompt",
        "lines": lines,
    }


def _suspended(before, after, phase) -> dict:
    titles = {"drill": "Kill-switch drill started", "automatic": "Suspended automatically"}
    return {
        "title": titles.get(after.get("kind", ""), "Suspended"),
        "kind": "suspended",
        "lines": [f"Reason: {after.get('reason', '')}"],
    }


def _resumed(before, after, phase) -> dict:
    return {"title": "Resumed", "kind": "resumed", "lines": [f"Reason: {after.get('reason', '')}"]}


def _drill_ended(before, after, phase) -> dict:
    ttl = after.get("time_to_stop_s")
    line = (
        f"Time to stop: {ttl:.1f} s"
        if ttl is not None
        else "Time to stop: the runtime never read the suspension"
    )
    return {"title": "Kill-switch drill ended", "kind": "resumed", "lines": [line]}


def _horizon_started(before, after, phase) -> dict:
    return {
        "title": "Stabilization started",
        "kind": "horizon",
        "lines": ["The go on phase 4 put the agent in production."],
    }


def _horizon_advanced(before, after, phase) -> dict:
    return {"title": f"Horizon advanced to {after.get('horizon', '')}".rstrip(), "kind": "horizon"}


def _token(before, after, phase) -> dict:
    return {
        "title": "Runtime token created",
        "kind": "token",
        "lines": [f"{after.get('name', '')} ({after.get('prefix', '')}…)"],
    }


TOLD = {
    Action.AGENT_CREATED: _registered,
    Action.AGENT_UPDATED: _records,
    Action.GATE_CHECKLIST_CHANGED: _checklist,
    Action.GATE_DECIDED: _decided,
    Action.GATE_NEEDS_REVIEW: _needs_review,
    Action.PROMPT_VERSION_POSTED: _prompt,
    **dict.fromkeys(SUSPENDED.values(), _suspended),
    Action.AGENT_RESUMED: _resumed,
    Action.AGENT_DRILL_ENDED: _drill_ended,
    Action.AGENT_HORIZON_STARTED: _horizon_started,
    Action.AGENT_HORIZON_ADVANCED: _horizon_advanced,
    Action.AGENT_TOKEN_CREATED: _token,
}


def timeline_item(entry: AuditEntry) -> dict:
    """One audit entry of the agent, in words (an action without words shows its label)."""
    before, after = entry.before or {}, entry.after or {}
    phase = after.get("phase")
    item = {"entry": entry, "phase": phase, "lines": [], "kind": "records"}
    item["title"] = Action(entry.action).label if entry.action in Action.values else entry.action
    tell = TOLD.get(entry.action)
    if tell is not None:
        item.update(tell(before, after, phase))
    return item


def agent_timeline(agent, limit: int) -> tuple[list[dict], bool]:
    """The agent's audit entries, newest first (checklist changes, decisions, suspensions,
    resumes, drills, record edits), and whether there are more than `limit`."""
    entries = list(
        AuditEntry.objects.filter(
            organization=agent.organization,
            object_type="agents.Agent",
            object_id=str(agent.pk),
        ).order_by("-created_at", "-id")[: limit + 1]
    )
    return [timeline_item(e) for e in entries[:limit]], len(entries) > limit


def timeline_limit(request) -> int:
    try:
        value = int(request.GET.get("timeline", TIMELINE_STEP))
    except ValueError:
        value = TIMELINE_STEP
    return max(TIMELINE_STEP, min(value, 20 * TIMELINE_STEP))
