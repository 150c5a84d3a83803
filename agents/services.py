"""Writes of the agent registry: registering an agent, editing its records, risk assessments and
tool-permission reviews (docs/rules.md §2 and §4).

Each service takes the acting membership, checks the role (Forbidden), validates its input
(InvalidInput, naming every bad field), changes the rows in one transaction and writes the audit
entry with before and after. Registering an agent and changing its records are in
agents/record_services.py (their input is defined once, in agents/inputs.py), re-exported here.
What a change means for the agent's gates (they are opened with the agent and reviewed when
governance records change) is decided by gates.services, and the two are joined in one
transaction by overview.services.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership
from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.errors import InvalidInput
from core.validation import clean_text

from .inputs import GUARDRAIL_FIELDS as GUARDRAIL_FIELDS
from .models import Agent, RiskAssessment, ToolPermission
from .record_services import agent_records_create as agent_records_create
from .record_services import agent_records_update as agent_records_update


@transaction.atomic
def risk_assessment_record(
    *, agent: Agent, membership: Membership, scope: str, subject: str, assessment: str
) -> RiskAssessment:
    permissions.may_record_risk_assessment(membership, agent).require()
    errors = {}
    if scope not in RiskAssessment.Scope.values:
        errors["scope"] = ["Choose tool or decision."]
    if not isinstance(subject, str) or not subject.strip():
        errors["subject"] = ["Name the tool or decision scope it covers."]
    if not isinstance(assessment, str) or not assessment.strip():
        errors["assessment"] = ["Write the assessment."]
    if errors:
        raise InvalidInput(errors)
    record = RiskAssessment.objects.create(
        agent=agent,
        scope=scope,
        subject=subject.strip()[:300],
        assessment=assessment.strip(),
        recorded_by=membership.user,
    )
    audit_record(
        organization=agent.organization,
        actor=membership.user,
        action=Action.AGENT_RISK_ASSESSED,
        target=agent,
        after={"scope": scope, "subject": record.subject},
    )
    return record


@transaction.atomic
def tool_permission_decide(
    *, agent: Agent, membership: Membership, permission_id: int, action: str, note: object = None
) -> tuple[ToolPermission, bool]:
    """Revoke a tool permission or mark it reviewed today (docs/rules.md §4's quarterly audit)
    with a note, kept in the audit entry. Answers the permission and whether it was revoked."""
    permissions.may_review_permissions(membership, agent).require()
    permission = (
        ToolPermission.objects.select_for_update().filter(agent=agent, pk=permission_id).first()
    )
    if permission is None:
        raise Http404("No such tool permission.")
    before = {"tool": permission.tool, "access": permission.access}
    # A review changes the agent's records: an edit form opened before it is now stale.
    Agent.objects.filter(pk=agent.pk).update(version=F("version") + 1, updated_at=timezone.now())
    if action == "revoke":
        permission.delete()
        audit_record(
            organization=agent.organization,
            actor=membership.user,
            action=Action.AGENT_PERMISSION_REVOKED,
            target=agent,
            before=before,
            after=None,
        )
        return permission, True
    if action != "mark_reviewed":
        raise InvalidInput({"action": ["Choose revoke or mark_reviewed."]})
    errors: dict[str, list[str]] = {}
    note = clean_text({"note": note}, "note", "note", errors, max_length=1000)
    if errors or not note:
        raise InvalidInput(errors or {"note": ["Say in a sentence why the agent still needs it."]})
    old = permission.last_reviewed
    permission.last_reviewed = timezone.now().date()
    permission.save(update_fields=["last_reviewed"])
    audit_record(
        organization=agent.organization,
        actor=membership.user,
        action=Action.AGENT_PERMISSION_REVIEWED,
        target=agent,
        before={**before, "last_reviewed": old.isoformat() if old else None},
        after={**before, "last_reviewed": permission.last_reviewed.isoformat(), "note": note},
    )
    return permission, False


def tool_permission_observe_use(
    *, agent: Agent, used: dict, now: datetime | None = None
) -> list[str]:
    """The runtime was seen using tools (OpenTelemetry `execute_tool` spans, telemetry/): each
    permission's `last_used` follows its latest use, `used` mapping a tool name to when. An
    observation, not an edit of the agent's records: no gate review and no audit entry. A time
    in the future counts as now; names match ignoring case. Answers the names of the agent's
    tool permissions (so the caller can tell which tools it holds none for)."""
    today = (now or timezone.now()).date()
    latest: dict = {}
    for tool, when in used.items():
        day = min(when.date(), today)
        key = tool.strip().casefold()
        if key not in latest or day > latest[key]:
            latest[key] = day
    permissions = list(ToolPermission.objects.filter(agent=agent))
    changed = []
    for permission in permissions:
        day = latest.get(permission.tool.strip().casefold())
        if day is not None and (permission.last_used is None or day > permission.last_used):
            permission.last_used = day
            changed.append(permission)
    if changed:
        ToolPermission.objects.bulk_update(changed, ["last_used"])
    return [permission.tool for permission in permissions]
