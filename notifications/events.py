"""From the audit trail to notifications: `on_entry_recorded` hears every committed audit
entry (audit.signals.entry_recorded) and tells the members an event concerns
(docs/notifications.md). It never raises into the change that was recorded: a failure is
logged and the change stands. Each entry costs a bounded number of queries."""

import logging

from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from agents.rules import separation_of_duties
from agents.selectors import owner_changes_recent
from audit.actions import Action
from audit.models import AuditEntry
from audit.signals import entry_recorded
from core.roles import Role
from gates.models import Gate
from gates.services import gate_go_reasons
from reports.models import Report

from . import selectors
from .kinds import Kind, recipients
from .models import Notification
from .services import notifications_create

logger = logging.getLogger(__name__)

SUSPENSIONS = {
    Action.AGENT_SUSPENDED_MANUAL: (Kind.AGENT_SUSPENDED,),
    Action.AGENT_SUSPENDED_DRILL: (Kind.AGENT_SUSPENDED,),
    # A breach: the operators and the owner are told of the breach, the approvers (who resume
    # it) of the suspension.
    Action.AGENT_SUSPENDED_AUTOMATIC: (Kind.THRESHOLD_BREACHED, Kind.AGENT_SUSPENDED),
    Action.AGENT_RESUMED: (Kind.AGENT_RESUMED,),
    Action.AGENT_DRILL_ENDED: (Kind.AGENT_RESUMED,),
}
GATE_ACTIONS = {Action.GATE_NEEDS_REVIEW, Action.GATE_CHECKLIST_CHANGED, Action.GATE_DECIDED}
# Writes that change what a gate's computed items read (docs/rules.md §2): any may leave the
# agent's next gate with every item met.
EVIDENCE_ACTIONS = {
    Action.AGENT_UPDATED,
    Action.PROMPT_VERSION_POSTED,
    Action.AGENT_THRESHOLDS_CHANGED,
    Action.AGENT_TOKEN_CREATED,
}
REPORT_ACTIONS = {Action.REPORT_DONE: Kind.REPORT_DONE, Action.REPORT_FAILED: Kind.REPORT_FAILED}
DECIDABLE_STATES = {Gate.State.PENDING, Gate.State.NO_GO}


@receiver(entry_recorded, sender=AuditEntry, dispatch_uid="notifications.entry_recorded")
def on_entry_recorded(sender, entry, **kwargs) -> None:
    """The receiver (connected when NotificationsConfig.ready imports this module)."""
    if entry.organization_id is None:
        return
    try:
        with transaction.atomic():
            notify_for_entry(entry)
    except Exception:
        logger.exception("Could not notify for audit entry %s (%s)", entry.pk, entry.action)


def notify_for_entry(entry) -> list:
    """The notifications one audit entry makes (none for most actions)."""
    if entry.action in SUSPENSIONS:
        return _agent_event(entry, SUSPENSIONS[entry.action])
    if entry.action in GATE_ACTIONS:
        return _gate_event(entry)
    if entry.action in EVIDENCE_ACTIONS:
        agent = _agent(entry)
        return _gate_waiting(entry, agent, _next_phase(agent)) if agent else []
    if entry.action in REPORT_ACTIONS:
        return _report_event(entry, REPORT_ACTIONS[entry.action])
    return []


def _agent(entry) -> Agent | None:
    if entry.object_type != "agents.Agent":
        return None
    return Agent.objects.filter(
        organization_id=entry.organization_id, pk=_int(entry.object_id)
    ).first()


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _tell(
    entry,
    kinds,
    *,
    owner_id=None,
    barred=(),
    text: str,
    url: str,
    object_type,
    object_id,
    audience=None,
):
    """Create the notifications of `kinds` for the members they are for (`audience`: the
    organization's active members, when the caller has read them already)."""
    if audience is None:
        audience = selectors.audience_of(organization=entry.organization_id)
    told = recipients(
        kinds,
        [member for _, member in audience],
        owner_id=owner_id,
        actor_id=entry.actor_id,
        barred_user_ids=barred,
    )
    return notifications_create(
        organization=entry.organization,
        told=told,
        memberships={m.pk: m for m, _ in audience},
        text=text,
        url=url,
        object_type=object_type,
        object_id=object_id,
    )


def _agent_event(entry, kinds) -> list:
    agent = _agent(entry)
    if agent is None:
        return []
    after = entry.after or {}
    by = entry.actor_label
    reason = str(after.get("reason") or "").strip()
    if entry.action == Action.AGENT_SUSPENDED_MANUAL:
        text = f"{agent.name} was suspended by {by}: {reason}"
    elif entry.action == Action.AGENT_SUSPENDED_DRILL:
        text = f"A kill-switch drill by {by} stopped {agent.name}."
    elif entry.action == Action.AGENT_SUSPENDED_AUTOMATIC:
        text = (
            f"{agent.name} crossed its alert thresholds and was suspended automatically: {reason}"
        )
    elif entry.action == Action.AGENT_DRILL_ENDED:
        text = f"The kill-switch drill of {agent.name} was ended by {by}; it runs again."
    else:
        text = f"{agent.name} was resumed by {by}: {reason}"
    return _tell(
        entry,
        kinds,
        owner_id=agent.owner_id,
        text=text,
        url=reverse("agents:detail", args=[agent.pk]),
        object_type="agents.Agent",
        object_id=agent.pk,
    )


def _gate_event(entry) -> list:
    agent = _agent(entry)
    after, before = entry.after or {}, entry.before or {}
    phase = after.get("phase")
    if agent is None or phase not in (1, 2, 3, 4):
        return []
    if entry.action == Action.GATE_NEEDS_REVIEW:
        why = str(after.get("why") or "").strip()
        return _tell(
            entry,
            (Kind.GATE_NEEDS_REVIEW,),
            owner_id=agent.owner_id,
            text=f"Phase {phase} of {agent.name} went to review ({why}): an approver decides "
            "it again.",
            url=reverse("gates:gate", args=[agent.pk, phase]),
            object_type="gates.Gate",
            object_id=f"{agent.pk}:{phase}",
        )
    if entry.action == Action.GATE_CHECKLIST_CHANGED:
        newly_met = any(
            (after.get("items") or {}).get(key, {}).get("met") and not old.get("met")
            for key, old in (before.get("items") or {}).items()
            if isinstance(old, dict)
        )  # an attestation given
        return _gate_waiting(entry, agent, phase) if newly_met else []
    # A go on one phase may make the next one decidable.
    if after.get("decision") == "go" and phase < 4:
        # The decision's entry says whether the next phase now waits (gates.services.gate_decide
        # computed it from the evidence it read); an entry from before it said so: ask again.
        waits = after.get("next_phase_waits")
        return [] if waits is False else _gate_waiting(entry, agent, phase + 1, waits=waits)
    return []


def _next_phase(agent: Agent) -> int | None:
    """The first phase of the agent whose gate is not at go (None when all four are)."""
    return (
        Gate.objects.filter(agent=agent)
        .exclude(state=Gate.State.GO)
        .order_by("phase")
        .values_list("phase", flat=True)
        .first()
    )


def _gate_waiting(entry, agent: Agent, phase: int | None, *, waits: bool | None = None) -> list:
    """Tell the approvers who may decide it that a gate has become decidable: nothing but a
    decision stands in the way of its go (gates.services.gate_go_reasons, as the gate page
    asks, unless `waits` already says so). An approver who owns the agent, or is barred by
    separation of duties, is not told. Told once per state of the gate: not again while it
    waits unchanged."""
    gate = Gate.objects.filter(agent=agent, phase=phase).first() if phase else None
    if gate is None or gate.state not in DECIDABLE_STATES:
        return []
    object_id = f"{agent.pk}:{phase}"
    if Notification.objects.filter(
        kind=Kind.GATE_WAITING, object_id=object_id, created_at__gte=gate.updated_at
    ).exists():
        return []
    audience = selectors.audience_of(organization=entry.organization_id)
    approvers = [m for m, member in audience if Role.APPROVER in member.roles]
    if not approvers:
        return []
    now = timezone.now()
    if waits is None:
        waits = not [
            reason
            for reason in gate_go_reasons(
                agent=agent, phase=phase, membership=approvers[0], now=now
            )
            if reason.code != "owner_cannot_decide"
        ]
    if not waits:
        return []
    changes = owner_changes_recent(agent=agent, now=now)
    barred = {
        m.user_id
        for m in approvers
        if separation_of_duties(
            user_id=m.user_id, owner_id=agent.owner_id, changes=changes, now=now
        )
    }
    return _tell(
        entry,
        (Kind.GATE_WAITING,),
        barred=barred,
        text=f"Phase {phase} of {agent.name} waits for your decision: every item is met.",
        url=reverse("gates:gate", args=[agent.pk, phase]),
        object_type="gates.Gate",
        object_id=object_id,
        audience=audience,
    )


def _report_event(entry, kind: Kind) -> list:
    if entry.object_type != "reports.Report":
        return []
    report = Report.objects.filter(
        organization_id=entry.organization_id, pk=_int(entry.object_id)
    ).first()
    if report is None:
        return []
    audience = selectors.audience_of(organization=entry.organization_id)
    requester = [(m, member) for m, member in audience if member.user_id == report.requested_by_id]
    if not requester:
        return []
    if kind == Kind.REPORT_DONE:
        text = f"Your board report “{report.title}” is done: download it."
    else:
        error = str((entry.after or {}).get("error") or report.error or "").strip()
        text = f"Your board report “{report.title}” failed: {error} Retry it from its page."
    membership = requester[0][0]
    return notifications_create(
        organization=entry.organization,
        told={membership.pk: kind},
        memberships={membership.pk: membership},
        text=text,
        url=reverse("reports:detail", args=[report.pk]),
        object_type="reports.Report",
        object_id=report.pk,
    )
