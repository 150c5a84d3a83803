"""Writes of the agent registry: registering an agent, editing its records, risk assessments and
tool-permission reviews (docs/rules.md §2 and §4).

Each service takes the acting membership, checks the role (Forbidden), validates its input
(InvalidInput, naming every bad field), changes the rows in one transaction and writes the audit
entry with before and after. What a change means for the agent's gates (they are opened with
the agent and reviewed when governance records change) is decided by gates.services, and the
two are joined in one transaction by overview.services.
"""

import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, Organization
from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.errors import Conflict, ConflictReason, InvalidInput
from core.validation import clean_date, clean_text

from . import rules
from .models import (
    Agent,
    DecisionBoundary,
    EscalationPath,
    OwnerChange,
    RiskAssessment,
    ToolPermission,
)

GUARDRAIL_FIELDS = (
    "api_calls_per_hour",
    "tokens_per_session",
    "sequential_actions_before_confirmation",
    "monthly_budget",
)


def _member_user(
    organization: Organization, username: object, field: str, errors: dict
) -> User | None:
    if not isinstance(username, str) or not username.strip():
        errors[field] = ["Name a member of the organization (their username)."]
        return None
    membership = (
        Membership.objects.filter(organization=organization, user__username=username.strip())
        .select_related("user")
        .first()
    )
    if membership is None:
        errors[field] = [f"{username!r} is not a member of this organization."]
        return None
    if not membership.is_active:
        errors[field] = [
            f"{username!r} is deactivated in this organization: name an active member."
        ]
        return None
    return membership.user


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


def _clean_list(data: object, field: str, errors: dict) -> list | None:
    if data is None:
        return None
    if not isinstance(data, list):
        errors[field] = ["Send a list (it replaces the current one)."]
        return None
    return data


def _boundary_row(organization: Organization, row: object, field: str, errors: dict) -> dict | None:
    if not isinstance(row, dict):
        errors[field] = ["Send an object with decision and mode."]
        return None
    decision = clean_text(
        row, "decision", f"{field}.decision", errors, required=True, max_length=300
    )
    mode = row.get("mode")
    if mode not in DecisionBoundary.Mode.values:
        errors[f"{field}.mode"] = ["Choose alone or escalate."]
    return {"decision": decision, "mode": mode}


def _escalation_row(
    organization: Organization, row: object, field: str, errors: dict
) -> dict | None:
    if not isinstance(row, dict):
        errors[field] = ["Send an object with failure_state and owner."]
        return None
    failure = clean_text(
        row, "failure_state", f"{field}.failure_state", errors, required=True, max_length=300
    )
    owner = _member_user(organization, row.get("owner"), f"{field}.owner", errors)
    return {"failure_state": failure, "owner": owner}


def _permission_row(
    organization: Organization, row: object, field: str, errors: dict
) -> dict | None:
    if not isinstance(row, dict):
        errors[field] = ["Send an object with tool, access and justification."]
        return None
    today = timezone.now().date()  # a permission cannot be used or reviewed in the future
    tool = clean_text(row, "tool", f"{field}.tool", errors, required=True, max_length=200)
    access = row.get("access")
    if access not in ToolPermission.Access.values:
        errors[f"{field}.access"] = ["Choose read, write or admin."]
    return {
        "tool": tool,
        "access": access,
        "justification": clean_text(row, "justification", f"{field}.justification", errors),
        "last_used": clean_date(
            row.get("last_used"), f"{field}.last_used", errors, not_after=today
        ),
        "last_reviewed": clean_date(
            row.get("last_reviewed"), f"{field}.last_reviewed", errors, not_after=today
        ),
    }


LIST_ROWS = {
    "decision_boundaries": _boundary_row,
    "escalation_paths": _escalation_row,
    "tool_permissions": _permission_row,
}


def _guardrail_value(key: str, value: object, field: str, errors: dict) -> Decimal | int | None:
    """One guardrail limit, cleaned (None clears it); a refused one is named in `errors`."""
    if value is None:
        return None
    if key == "monthly_budget":
        error = rules.non_negative_number_error(value)
        if error:
            errors[field] = [error]
            return None
        try:
            return Decimal(str(value)).quantize(Decimal("0.01"))
        except InvalidOperation:
            errors[field] = ["Must be a number."]
            return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = ["Must be a whole number."]
    elif value < 0 or value > 2**31 - 1:
        errors[field] = ["Must be a whole number from 0 to 2147483647."]
    else:
        return value
    return None


def _guardrails(guardrails: object, errors: dict) -> dict | None:
    if not isinstance(guardrails, dict):
        errors["guardrails"] = ["Send an object of limits."]
        return None
    for key in guardrails:
        if key not in GUARDRAIL_FIELDS:
            errors[f"guardrails.{key}"] = [f"Unknown limit: use {', '.join(GUARDRAIL_FIELDS)}."]
    return {
        key: _guardrail_value(key, guardrails[key], f"guardrails.{key}", errors)
        for key in GUARDRAIL_FIELDS
        if key in guardrails
    }


def _validate_records(organization: Organization, data: dict, errors: dict) -> dict:
    """Validate whichever record fields are present; return clean values (a refused value is
    named in `errors`; the caller saves nothing then)."""
    clean: dict = {}
    for key, required, max_length in (
        ("name", True, 200),
        ("purpose", False, None),
        ("business_unit", False, 120),
    ):
        if key in data:
            clean[key] = clean_text(
                data, key, key, errors, required=required, max_length=max_length
            )
    for key in ("name", "business_unit"):
        if clean.get(key) and any(unicodedata.category(ch) == "Cc" for ch in clean[key]):
            errors[key] = ["Use a single line without control characters."]
    if "owner" in data:
        clean["owner"] = _member_user(organization, data["owner"], "owner", errors)
    for key, clean_row in LIST_ROWS.items():
        rows = _clean_list(data.get(key), key, errors)
        if rows is not None:
            cleaned = [
                clean_row(organization, row, f"{key}.{i}", errors) for i, row in enumerate(rows)
            ]
            clean[key] = [row for row in cleaned if row is not None]
    if data.get("guardrails") is not None:
        guardrails = _guardrails(data["guardrails"], errors)
        if guardrails is not None:
            clean["guardrails"] = guardrails
    return clean


@transaction.atomic
def agent_records_create(*, membership: Membership, data: dict) -> Agent:
    permissions.may_register_agent(membership).require()
    organization = membership.organization
    errors: dict = {}
    if "owner" not in data:
        errors["owner"] = ["Name the agent's owner (a member's username)."]
    if "name" not in data:
        errors["name"] = ["This field is required."]
    clean = _validate_records(organization, data, errors)
    if (
        clean.get("name")
        and Agent.objects.filter(organization=organization, name=clean["name"]).exists()
    ):
        errors["name"] = [f"An agent named {clean['name']!r} already exists."]
    if errors:
        raise InvalidInput(errors)
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
    *, agent: Agent, membership: Membership, data: dict, expected_version: int | None = None
) -> tuple[Agent, list[str]]:
    """Change any record fields (lists are replaced whole); answer the agent and the record
    keys that changed. The gates a change governs are reviewed by overview.services."""
    permissions.may_edit_agent(membership, agent).require()
    organization = membership.organization
    errors: dict = {}
    clean = _validate_records(organization, data, errors)
    if (
        clean.get("name")
        and Agent.objects.filter(organization=organization, name=clean["name"])
        .exclude(pk=agent.pk)
        .exists()
    ):
        errors["name"] = [f"An agent named {clean['name']!r} already exists."]
    if errors:
        raise InvalidInput(errors)
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
    if expected_version is not None and expected_version != agent.version:
        raise Conflict(
            "Someone saved this agent after you opened it.",
            [
                ConflictReason(
                    "stale_version",
                    f"You edited version {expected_version}, but it is now at version "
                    f"{agent.version}. Reload to see their changes; nothing of yours was saved.",
                    {"current_version": agent.version},
                )
            ],
        )


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
