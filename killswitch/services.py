"""Writes of the kill switch: suspending and resuming an agent (by hand or automatically),
drills, and runtime tokens (docs/rules.md §4).

Each service takes the acting membership (none for an automatic suspension), asks
core.permissions (Forbidden by role, Conflict by the owner rule), locks the agent, applies the
rules (Conflict with every reason) and writes the audit entry.
"""

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership
from agents.models import Agent
from agents.selectors import separation_reason
from audit.actions import Action, suspended
from audit.services import audit_record
from core import permissions
from core.errors import Conflict, ConflictReason
from core.inputs import parse
from core.mail import email_send_on_commit

from .inputs import ReasonInput
from .models import AgentToken, Suspension


def _reason_text(reason: object) -> str:
    """The reason checked by its one definition (killswitch.inputs.ReasonInput); the API's
    body is that model, so it arrives checked and passes through unchanged."""
    if isinstance(reason, ReasonInput):
        return reason.reason
    return parse(ReasonInput, {"reason": reason}, what="a reason").reason


def _suspend(
    agent: Agent, *, kind: str, reason: str, actor: User | None, details: dict | None = None
) -> Suspension:
    """Stop the agent now (the caller holds the agent row lock)."""
    suspension = Suspension.objects.create(
        agent=agent, kind=kind, reason=reason, details=details, started_by=actor
    )
    Agent.objects.filter(pk=agent.pk).update(state=Agent.State.SUSPENDED, updated_at=timezone.now())
    audit_record(
        organization=agent.organization,
        actor=actor,
        action=suspended(kind),
        target=agent,
        before={"state": "active"},
        after={"state": "suspended", "kind": kind, "reason": reason, "details": details},
    )
    return suspension


def _already_suspended(agent: Agent) -> Conflict:
    return Conflict(
        "The agent is already suspended.",
        [
            ConflictReason(
                "already_suspended", f"{agent.name} is already suspended; nothing changed."
            )
        ],
    )


@transaction.atomic
def agent_suspend(*, agent: Agent, membership: Membership, reason: object) -> Suspension:
    permissions.may_suspend_agent(membership, agent).require()
    reason = _reason_text(reason)
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    if locked.is_suspended:
        raise _already_suspended(locked)
    return _suspend(locked, kind=Suspension.Kind.MANUAL, reason=reason, actor=membership.user)


@transaction.atomic
def agent_suspend_automatic(*, agent: Agent, reason: str, details: dict) -> Suspension | None:
    """An alert threshold fired: suspend unless already suspended (then nothing changes)."""
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    if locked.is_suspended:
        open_ = Suspension.objects.filter(agent=locked, ended_at__isnull=True).first()
        if open_ is None or open_.kind != Suspension.Kind.DRILL:
            return None
        # A real breach during a drill takes over: the drill ends, the agent stays stopped
        # for a real reason, and ending the drill can no longer resume it.
        _end_suspension(
            locked,
            open_,
            actor=None,
            reason="Superseded by an automatic suspension",
            action=Action.AGENT_DRILL_SUPERSEDED,
            resume=False,
        )
    return _suspend(
        locked, kind=Suspension.Kind.AUTOMATIC, reason=reason, actor=None, details=details
    )


def _end_suspension(
    agent: Agent,
    suspension: Suspension,
    *,
    actor: User | None,
    reason: str,
    action: Action,
    resume: bool = True,
) -> None:
    now = timezone.now()
    suspension.ended_at = now
    suspension.ended_by = actor
    suspension.end_reason = reason
    suspension.save(update_fields=["ended_at", "ended_by", "end_reason"])
    if resume:
        Agent.objects.filter(pk=agent.pk).update(state=Agent.State.ACTIVE, updated_at=now)
    audit_record(
        organization=agent.organization,
        actor=actor,
        action=action,
        target=agent,
        before={"state": "suspended", "kind": suspension.kind},
        after={
            "state": "active" if resume else "suspended",
            "reason": reason,
            "time_to_stop_s": suspension.time_to_stop_s,
        },
    )


@transaction.atomic
def agent_resume(*, agent: Agent, membership: Membership, reason: object) -> Agent:
    permissions.may_resume_agent(membership, agent).require()
    reason = _reason_text(reason)
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    barred = separation_reason(agent=locked, user_id=membership.user_id, now=timezone.now())
    permissions.may_resume_agent(membership, locked, barred=barred).require()
    suspension = Suspension.objects.filter(agent=locked, ended_at__isnull=True).first()
    if not locked.is_suspended or suspension is None:
        raise Conflict(
            "The agent is not suspended.",
            [ConflictReason("not_suspended", f"{locked.name} is active; nothing to resume.")],
        )
    _end_suspension(
        locked, suspension, actor=membership.user, reason=reason, action=Action.AGENT_RESUMED
    )
    locked.refresh_from_db()
    return locked


@transaction.atomic
def drill_start(*, agent: Agent, membership: Membership) -> Suspension:
    permissions.may_start_drill(membership, agent).require()
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    if locked.is_suspended:
        raise _already_suspended(locked)
    return _suspend(
        locked,
        kind=Suspension.Kind.DRILL,
        reason="Kill-switch drill",
        actor=membership.user,
    )


@transaction.atomic
def drill_end(*, agent: Agent, drill: Suspension, membership: Membership) -> Suspension:
    """The operator who started the drill, or an approver, ends it and the agent resumes; an
    approver barred by separation of duties (they own the agent, or did lately) may not."""
    if drill.agent_id != agent.pk or drill.kind != Suspension.Kind.DRILL:
        raise Http404("No such drill for this agent.")
    permissions.may_end_drill(membership, drill).require()
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    barred = separation_reason(agent=locked, user_id=membership.user_id, now=timezone.now())
    # Ending a drill resumes the agent: an approver who owns it (or did lately) may not.
    permissions.may_end_drill(membership, drill, barred=barred).require()
    drill = Suspension.objects.get(pk=drill.pk)
    if drill.ended_at is not None:
        raise Conflict(
            "This drill has already ended.",
            [ConflictReason("drill_ended", f"Ended at {drill.ended_at:%Y-%m-%d %H:%M} UTC.")],
        )
    _end_suspension(
        locked, drill, actor=membership.user, reason="Drill ended", action=Action.AGENT_DRILL_ENDED
    )
    return drill


def agent_status_read(*, agent: Agent) -> dict:
    """The run status the agent's runtime reads; the first read that sees a suspension is the
    moment the runtime stopped (a drill's time to stop)."""
    suspension = Suspension.objects.filter(agent=agent, ended_at__isnull=True).first()
    if suspension is None:
        return {"state": "active", "reason": None, "since": None}
    if suspension.runtime_seen_at is None:
        Suspension.objects.filter(pk=suspension.pk, runtime_seen_at__isnull=True).update(
            runtime_seen_at=timezone.now()
        )
    return {"state": "suspended", "reason": suspension.reason, "since": suspension.started_at}


@transaction.atomic
def agent_token_create(
    *, agent: Agent, membership: Membership, name: str = "Runtime token"
) -> tuple[AgentToken, str]:
    permissions.may_manage_agent_tokens(membership, agent).require()
    raw, key_hash, prefix = AgentToken.generate()
    token = AgentToken.objects.create(
        agent=agent,
        name=(name or "Runtime token")[:100],
        key_hash=key_hash,
        prefix=prefix,
        created_by=membership.user,
    )
    audit_record(
        organization=agent.organization,
        actor=membership.user,
        action=Action.AGENT_TOKEN_CREATED,
        target=agent,
        after={"name": token.name, "prefix": prefix},
    )
    return token, raw


def agent_token_touch(*, token: AgentToken, now: datetime) -> None:
    """Record that the runtime token was used, at most once a minute (not audited)."""
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > 60:
        AgentToken.objects.filter(pk=token.pk).update(last_used_at=now)


def automatic_suspension_email(*, agent: Agent, sentences: list[str], source: str = "") -> None:
    """Tell the organization's active operators, by email through the worker, that the agent
    was suspended automatically and why (one sentence per breach). Call after commit."""
    emails = list(
        Membership.objects.filter(organization=agent.organization, is_operator=True, is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not emails:
        return
    lines = "\n".join(f"- {sentence}" for sentence in sentences)
    where = f" ({source})" if source else ""
    # Queued for a worker (core.tasks.send_email), which retries a mail server that is down:
    # nothing is sent inside the request, and no mail failure can undo the suspension.
    email_send_on_commit(
        recipients=emails,
        subject=" ".join(f"[Readiness] {agent.name} was suspended automatically".split()),
        body=(
            f"{agent.name} ({agent.organization.name}) crossed its alert thresholds and was "
            f"suspended{where}:\n{lines}\n\nAn approver resumes it from the agent page once "
            "it is safe."
        ),
    )
