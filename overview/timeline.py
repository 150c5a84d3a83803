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


def timeline_item(entry: AuditEntry) -> dict:
    """One audit entry of the agent, in words."""
    before, after = entry.before or {}, entry.after or {}
    action = entry.action
    phase = after.get("phase")
    item = {"entry": entry, "phase": phase, "lines": [], "kind": "records", "title": action}
    if action == Action.AGENT_CREATED:
        item.update(title="Registered", kind="records")
        item["lines"] = [f"Owner: {after.get('owner', '—')}"]
    elif action == Action.AGENT_UPDATED:
        item.update(title="Records edited", kind="records", lines=_record_changes(before, after))
    elif action == Action.GATE_CHECKLIST_CHANGED:
        item.update(title=f"Phase {phase} checklist changed", kind="checklist")
        new_items, old_items = after.get("items", {}), before.get("items", {})
        for key in sorted(new_items, key=lambda k: ITEM_ORDER.get(k, len(ITEM_ORDER))):
            new, old = new_items[key], old_items.get(key) or {}
            label = ITEM_LABELS.get(key, key)
            parts = []
            if new.get("met") != old.get("met"):
                parts.append("met" if new.get("met") else "not met")
            if new.get("evidence") != old.get("evidence"):
                parts.append(f"evidence “{_shown(new.get('evidence'))}”")
            item["lines"].append(f"{label}: " + ", ".join(parts or ["unchanged"]))
    elif action == Action.GATE_DECIDED:
        word = "Go" if after.get("decision") == "go" else "No-go"
        item.update(title=f"Phase {phase}: {word}", kind=f"decision-{after.get('decision')}")
        item["lines"] = [f"Rationale: {after.get('rationale', '')}"]
        if after.get("unmet_items"):
            item["lines"].append(
                "Unmet: " + "; ".join(ITEM_LABELS.get(k, k) for k in after["unmet_items"])
            )
    elif action == Action.GATE_NEEDS_REVIEW:
        item.update(title=f"Phase {phase} needs review", kind="needs_review")
        item["lines"] = [f"Because {review_reason(after.get('why', ''))}."]
    elif action == Action.PROMPT_VERSION_POSTED:
        ships = after.get("ship")
        item.update(
            title=f"Prompt version {after.get('tag')} "
            + ("posted: may ship" if ships else "posted: may not ship"),
            kind="prompt",
        )
        if not ships and after.get("reasons"):
            item["lines"] = ["Refused: " + ", ".join(r.replace("_", " ") for r in after["reasons"])]
    elif action in SUSPENDED.values():
        kind = after.get("kind", "")
        title = {"drill": "Kill-switch drill started", "automatic": "Suspended automatically"}.get(
            kind, "Suspended"
        )
        item.update(title=title, kind="suspended")
        item["lines"] = [f"Reason: {after.get('reason', '')}"]
    elif action == Action.AGENT_RESUMED:
        item.update(title="Resumed", kind="resumed", lines=[f"Reason: {after.get('reason', '')}"])
    elif action == Action.AGENT_DRILL_ENDED:
        item.update(title="Kill-switch drill ended", kind="resumed")
        ttl = after.get("time_to_stop_s")
        item["lines"] = [
            f"Time to stop: {ttl:.1f} s"
            if ttl is not None
            else "Time to stop: the runtime never read the suspension"
        ]
    elif action == Action.AGENT_HORIZON_STARTED:
        item.update(title="Stabilization started", kind="horizon")
        item["lines"] = ["The go on phase 4 put the agent in production."]
    elif action == Action.AGENT_HORIZON_ADVANCED:
        item.update(
            title=f"Horizon advanced to {after.get('horizon', '')}".rstrip(), kind="horizon"
        )
    elif action == Action.AGENT_TOKEN_CREATED:
        item.update(title="Runtime token created", kind="token")
        item["lines"] = [f"{after.get('name', '')} ({after.get('prefix', '')}…)"]
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
