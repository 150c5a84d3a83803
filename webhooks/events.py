"""Where webhook events come from: the audit trail's `entry_recorded` and the notifications'
`reminder_due`, both sent after commit (docs/webhooks.md "Events").

Each receiver turns what it heard into an event type and its data, and creates the deliveries
of the endpoints that receive it. A receiver never raises into the change that was recorded: a
failure here is logged and the change stands.
"""

import logging

from django.dispatch import receiver
from django.utils import timezone

from agents.models import Agent
from audit.actions import Action
from audit.models import AuditEntry
from audit.signals import entry_recorded
from notifications.signals import reminder_due

from .selectors import endpoints_active
from .services import deliveries_create

logger = logging.getLogger(__name__)

SUSPENSION_KINDS = {
    Action.AGENT_SUSPENDED_MANUAL: "manual",
    Action.AGENT_SUSPENDED_DRILL: "drill",
    Action.AGENT_SUSPENDED_AUTOMATIC: "automatic",
}
RESUMED = {Action.AGENT_RESUMED, Action.AGENT_DRILL_ENDED}
WATCHED = {
    *SUSPENSION_KINDS,
    *RESUMED,
    Action.GATE_DECIDED,
    Action.GATE_NEEDS_REVIEW,
    Action.REPORT_DONE,
}


def _stamp(entry: AuditEntry) -> str:
    return entry.created_at.isoformat().replace("+00:00", "Z")


def _agent(entry: AuditEntry) -> dict:
    name = entry.object_label
    if entry.action in (Action.GATE_DECIDED, Action.GATE_NEEDS_REVIEW):
        # Their label is "<name> phase <n>": read the name itself.
        found = (
            Agent.objects.filter(pk=entry.object_id, organization_id=entry.organization_id)
            .values_list("name", flat=True)
            .first()
        )
        name = found or name
    return {"agent_id": entry.object_id, "agent_name": name}


def entry_events(entry: AuditEntry) -> list[tuple[str, dict]]:
    """The webhook events an audit entry announces, each with its data."""
    action, before, after = entry.action, entry.before or {}, entry.after or {}
    who = {"by": entry.actor_label, "at": _stamp(entry)}
    if action in SUSPENSION_KINDS:
        agent = _agent(entry)
        suspended = {
            **agent,
            "state": "suspended",
            "kind": SUSPENSION_KINDS[action],
            "reason": after.get("reason", ""),
            **who,
        }
        events = [("agent.suspended", suspended)]
        if action == Action.AGENT_SUSPENDED_AUTOMATIC:
            details = after.get("details") or {}
            breached = {
                **agent,
                "snapshot_id": details.get("snapshot"),
                "breaches": details.get("breaches", []),
                "reason": after.get("reason", ""),
                **who,
            }
            events.append(("threshold.breached", breached))
        return events
    if action in RESUMED:
        resumed = {
            **_agent(entry),
            "state": "active",
            "kind": before.get("kind"),
            "reason": after.get("reason", ""),
            "time_to_stop_s": after.get("time_to_stop_s"),
            **who,
        }
        return [("agent.resumed", resumed)]
    if action == Action.GATE_DECIDED:
        decided = {
            **_agent(entry),
            "phase": after.get("phase"),
            "decision": after.get("decision"),
            "state": after.get("state"),
            "previous_state": before.get("state"),
            "rationale": after.get("rationale", ""),
            "unmet_items": after.get("unmet_items", []),
            **who,
        }
        return [("gate.decided", decided)]
    if action == Action.GATE_NEEDS_REVIEW:
        review = {**_agent(entry), "phase": after.get("phase"), "why": after.get("why"), **who}
        return [("gate.needs_review", review)]
    if action == Action.REPORT_DONE:
        done = {
            "report_id": entry.object_id,
            "title": entry.object_label,
            "sha256": after.get("sha256"),
            "size": after.get("size"),
            "pages": after.get("pages"),
            "pdf_path": f"/api/v1/reports/{entry.object_id}/pdf",
            **who,
        }
        return [("report.done", done)]
    return []


@receiver(entry_recorded, dispatch_uid="webhooks.entry_recorded")
def on_entry_recorded(sender, entry: AuditEntry, **kwargs) -> None:
    if entry.organization_id is None or entry.action not in WATCHED:
        return
    try:
        endpoints = endpoints_active(organization_id=entry.organization_id)
        if not endpoints:
            return  # one query for an organization without webhooks
        for event, data in entry_events(entry):
            deliveries_create(
                endpoints=endpoints, event=event, occurred_at=entry.created_at, data=data
            )
    except Exception:
        logger.exception("Webhooks for audit entry %s (%s) failed", entry.pk, entry.action)


@receiver(reminder_due, dispatch_uid="webhooks.reminder_due")
def on_reminder_due(sender, organization, kind, key, text, url, data=None, **kwargs) -> None:
    try:
        deliveries_create(
            endpoints=endpoints_active(organization_id=organization.pk),
            event="reminder.due",
            occurred_at=timezone.now(),
            data={"kind": kind, "key": key, "text": text, "url": url, "data": data or {}},
        )
    except Exception:
        logger.exception("Webhooks for reminder %s of %s failed", key, organization)
