"""Writes of an agent's records: registering an agent and changing its records (docs/rules.md
§2), re-exported by agents.services.

What is sent is checked once, by agents/inputs.py (docs/adr/0009-validate-once.md): the API
hands the checked model, any other caller (a form, the demo, a command, a test) a dict that is
checked here with the same model. What needs the database stays a rule of this module: a
username must name an active member of the organization, a name must be free in it, and in
optimization a new tool or decision scope needs a risk assessment. Each service checks the
role (Forbidden), changes the rows in one transaction and writes the audit entry.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Membership, Organization
from accounts.selectors import member_list
from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.errors import Conflict, ConflictReason, InvalidInput, check_version
from core.inputs import parse

from .inputs import AgentCreateInput, AgentUpdateInput
from .models import (
    Agent,
    DecisionBoundary,
    EscalationPath,
    OwnerChange,
    RiskAssessment,
    ToolPermission,
)

WHAT = "an agent's records"


# --- rules that need stored state ------------------------------------------------------------


def member_error(username: str, membership: Membership | None) -> str | None:
    """Why `username` may not own an agent or an escalation path (None if they may): they
    must be an active member of the organization."""
    if membership is None:
        return f"{username!r} is not a member of this organization."
    if not membership.is_active:
        return f"{username!r} is deactivated in this organization: name an active member."
    return None


def name_error(name: str, taken: bool) -> str | None:
    """An agent's name is unique in its organization."""
    return f"An agent named {name!r} already exists." if taken else None


def _usernames(clean: dict) -> dict[str, str]:
    """Each field that names a member (dotted, as errors name it), to the username."""
    named = {"owner": clean["owner"]} if "owner" in clean else {}
    for i, row in enumerate(clean.get("escalation_paths", [])):
        named[f"escalation_paths.{i}.owner"] = row["owner"]
    return named


def _resolve_members(organization: Organization, clean: dict, errors: dict) -> None:
    """Replace each username in `clean` by its user (one query), or name the field in
    `errors` when it is not an active member of the organization."""
    named = _usernames(clean)
    if not named:
        return
    found = {
        m.user.get_username(): m
        for m in member_list(organization=organization).filter(
            user__username__in=set(named.values())
        )
    }
    for field, username in named.items():
        problem = member_error(username, found.get(username))
        if problem:
            errors[field] = [problem]
    users = {username: m.user for username, m in found.items()}
    if "owner" in clean:
        clean["owner"] = users.get(clean["owner"])
    for row in clean.get("escalation_paths", []):
        row["owner"] = users.get(row["owner"])


def _check_name(organization: Organization, clean: dict, errors: dict, agent: Agent | None) -> None:
    if "name" not in clean:
        return
    others = Agent.objects.filter(organization=organization, name=clean["name"])
    if agent is not None:
        others = others.exclude(pk=agent.pk)
    problem = name_error(clean["name"], others.exists())
    if problem:
        errors["name"] = [problem]


def _stored_state_checked(
    organization: Organization, clean: dict, agent: Agent | None = None
) -> dict:
    """`clean` with its members resolved, or InvalidInput naming every field a rule of the
    stored state refuses (a member, a name)."""
    errors: dict[str, list[str]] = {}
    _resolve_members(organization, clean, errors)
    _check_name(organization, clean, errors, agent)
    if errors:
        raise InvalidInput(errors)
    return clean


# --- the services ----------------------------------------------------------------------------


def _records_snapshot(agent: Agent) -> dict:
    """The agent's governance records as plain values (for audit and change detection)."""
    return {
        "name": agent.name,
        "purpose": agent.purpose,
        "business_unit": agent.business_unit,
        "owner": agent.owner.get_username(),
        "decision_boundaries": [
            {"decision": b.decision, "mode": b.mode} for b in agent.decision_boundaries.all()
        ],
        "escalation_paths": [
            {"failure_state": p.failure_state, "owner": p.owner.get_username()}
            for p in agent.escalation_paths.select_related("owner")
        ],
        "tool_permissions": [
            {
                "tool": t.tool,
                "access": t.access,
                "justification": t.justification,
                "last_used": t.last_used.isoformat() if t.last_used else None,
                "last_reviewed": t.last_reviewed.isoformat() if t.last_reviewed else None,
            }
            for t in agent.tool_permissions.all()
        ],
        "guardrails": agent.guardrails(),
    }


@transaction.atomic
def agent_records_create(*, membership: Membership, data: AgentCreateInput | object) -> Agent:
    """Register an agent with its records. `data` is the API's checked AgentCreateInput, or
    anything else to check with it here."""
    permissions.may_register_agent(membership).require()
    organization = membership.organization
    given = data if isinstance(data, AgentCreateInput) else parse(AgentCreateInput, data, what=WHAT)
    clean = _stored_state_checked(organization, given.records())
    agent = Agent.objects.create(
        organization=organization,
        name=clean["name"],
        purpose=clean.get("purpose", ""),
        business_unit=clean.get("business_unit", ""),
        owner=clean["owner"],
        created_by=membership.user,
    )
    _apply_records(agent, clean)
    audit_record(
        organization=organization,
        actor=membership.user,
        action=Action.AGENT_CREATED,
        target=agent,
        after=_records_snapshot(agent),
    )
    return agent


def _apply_records(agent: Agent, clean: dict) -> None:
    for key in ("name", "purpose", "business_unit", "owner"):
        if key in clean:
            setattr(agent, key, clean[key])
    for key, value in clean.get("guardrails", {}).items():
        setattr(agent, key, value)
    agent.save()
    if "decision_boundaries" in clean:
        agent.decision_boundaries.all().delete()
        DecisionBoundary.objects.bulk_create(
            DecisionBoundary(agent=agent, position=i, **row)
            for i, row in enumerate(clean["decision_boundaries"])
        )
    if "escalation_paths" in clean:
        agent.escalation_paths.all().delete()
        EscalationPath.objects.bulk_create(
            EscalationPath(agent=agent, position=i, **row)
            for i, row in enumerate(clean["escalation_paths"])
        )
    if "tool_permissions" in clean:
        # Keep when each tool was first granted: the 90-day "never used / never reviewed"
        # flags count from it, so re-sending the same list must not reset it.
        granted: dict[str, datetime] = {}
        for permission in agent.tool_permissions.all():
            granted.setdefault(permission.tool, permission.created_at)
        agent.tool_permissions.all().delete()
        now = timezone.now()
        ToolPermission.objects.bulk_create(
            ToolPermission(agent=agent, position=i, created_at=granted.get(row["tool"], now), **row)
            for i, row in enumerate(clean["tool_permissions"])
        )


@transaction.atomic
def agent_records_update(
    *,
    agent: Agent,
    membership: Membership,
    data: AgentUpdateInput | object,
    expected_version: int | None = None,
) -> tuple[Agent, list[str]]:
    """Change any record fields (lists are replaced whole); answer the agent and the record
    keys that changed. `data` is the API's checked AgentUpdateInput, or anything else to check
    with it here. The gates a change governs are reviewed by overview.services."""
    permissions.may_edit_agent(membership, agent).require()
    organization = membership.organization
    given = data if isinstance(data, AgentUpdateInput) else parse(AgentUpdateInput, data, what=WHAT)
    clean = _stored_state_checked(organization, given.records(), agent)
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    _check_version(locked, expected_version)
    before = _records_snapshot(locked)
    previous_owner_id = locked.owner_id
    _require_risk_assessments(locked, before, clean)
    _apply_records(locked, clean)
    Agent.objects.filter(pk=locked.pk).update(version=F("version") + 1, updated_at=timezone.now())
    locked.refresh_from_db()
    after = _records_snapshot(locked)
    changed = [key for key in after if before[key] != after[key]]
    if "owner" in changed:
        OwnerChange.objects.create(
            agent=locked,
            previous_owner_id=previous_owner_id,
            new_owner=locked.owner,
            changed_by=membership.user,
        )
    if changed:
        audit_record(
            organization=organization,
            actor=membership.user,
            action=Action.AGENT_UPDATED,
            target=locked,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return locked, changed


def _require_risk_assessments(agent: Agent, before: dict, clean: dict) -> None:
    """In optimization, a new tool or decision scope needs a recorded risk assessment first."""
    if agent.horizon != Agent.Horizon.OPTIMIZATION:
        return
    assessed = {
        (scope, subject.casefold())
        for scope, subject in RiskAssessment.objects.filter(agent=agent).values_list(
            "scope", "subject"
        )
    }
    missing = []
    old_tools = {t["tool"] for t in before["tool_permissions"]}
    for row in clean.get("tool_permissions", []):
        if row["tool"] not in old_tools and ("tool", row["tool"].casefold()) not in assessed:
            missing.append(("tool", row["tool"]))
    old_decisions = {d["decision"] for d in before["decision_boundaries"]}
    for row in clean.get("decision_boundaries", []):
        if (
            row["decision"] not in old_decisions
            and ("decision", row["decision"].casefold()) not in assessed
        ):
            missing.append(("decision", row["decision"]))
    if missing:
        raise Conflict(
            "In optimization, new tools and decision scopes need a risk assessment first.",
            [
                ConflictReason(
                    "risk_assessment_required",
                    f"Record a risk assessment for the new {scope} {subject!r} before adding it.",
                    {"scope": scope, "subject": subject},
                )
                for scope, subject in missing
            ],
        )


def _check_version(agent: Agent, expected_version: int | None) -> None:
    check_version(expected_version, agent.version, thing="agent", theirs="their changes")
