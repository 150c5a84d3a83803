"""Writes of agents, gates, prompt versions and the kill switch (shared/SPEC.md §2, §4).

Each service takes the acting membership, checks the role (Forbidden), validates its input
(InvalidInput, naming every bad field), applies the rules of agents/rules.py (Conflict with every
reason), changes the rows in one transaction and writes the audit entry with before and after.
"""

import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import Role
from audit.services import audit_record
from readiness.errors import Conflict, ConflictReason, Forbidden, InvalidInput

from . import rules
from .checklists import PHASES, phase_definition
from .models import (
    Agent,
    AgentToken,
    ChecklistItem,
    DecisionBoundary,
    EscalationPath,
    Gate,
    GateDecision,
    PromptVersion,
    RiskAssessment,
    Suspension,
    ToolPermission,
)
from .selectors import readiness_facts

GOVERNANCE_PHASE = {
    "owner": 1,
    "decision_boundaries": 1,
    "escalation_paths": 1,
    "tool_permissions": 1,
    "guardrails": 3,
}
GUARDRAIL_FIELDS = (
    "api_calls_per_hour",
    "tokens_per_session",
    "sequential_actions_before_confirmation",
    "monthly_budget",
)


def _require(membership, role: Role, what: str) -> None:
    if role not in membership.roles:
        raise Forbidden(f"Only an {role.value} may {what}.")


def _conflict(detail: str, reasons: list[rules.Reason]) -> Conflict:
    return Conflict(detail, [ConflictReason(r.code, r.message, dict(r.extra)) for r in reasons])


def _member_user(organization, username, field: str, errors: dict):
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
    return membership.user


def _text(data: dict, key: str, field: str, errors: dict, *, required=False, max_length=None):
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = ["Must be text."]
        return None
    value = value.strip()
    if required and not value:
        errors[field] = ["This field is required."]
    elif max_length and len(value) > max_length:
        errors[field] = [f"Keep it to {max_length} characters or fewer."]
    return value


def _date(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[field] = ["Use an ISO date (YYYY-MM-DD)."]
    return None


# --- records ------------------------------------------------------------------------------------


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


def _clean_list(data, field: str, errors: dict) -> list | None:
    if data is None:
        return None
    if not isinstance(data, list):
        errors[field] = ["Send a list (it replaces the current one)."]
        return None
    return data


def _validate_records(organization, data: dict, errors: dict) -> dict:
    """Validate whichever record fields are present; return clean values."""
    clean: dict = {}
    for key, required, max_length in (
        ("name", True, 200),
        ("purpose", False, None),
        ("business_unit", False, 120),
    ):
        if key in data:
            clean[key] = _text(data, key, key, errors, required=required, max_length=max_length)
    for key in ("name", "business_unit"):
        if clean.get(key) and any(unicodedata.category(ch) == "Cc" for ch in clean[key]):
            errors[key] = ["Use a single line without control characters."]
    if "owner" in data:
        clean["owner"] = _member_user(organization, data["owner"], "owner", errors)

    rows = _clean_list(data.get("decision_boundaries"), "decision_boundaries", errors)
    if rows is not None:
        out = []
        for i, row in enumerate(rows):
            field = f"decision_boundaries.{i}"
            if not isinstance(row, dict):
                errors[field] = ["Send an object with decision and mode."]
                continue
            decision = _text(
                row, "decision", f"{field}.decision", errors, required=True, max_length=300
            )
            mode = row.get("mode")
            if mode not in DecisionBoundary.Mode.values:
                errors[f"{field}.mode"] = ["Choose alone or escalate."]
            out.append({"decision": decision, "mode": mode})
        clean["decision_boundaries"] = out

    rows = _clean_list(data.get("escalation_paths"), "escalation_paths", errors)
    if rows is not None:
        out = []
        for i, row in enumerate(rows):
            field = f"escalation_paths.{i}"
            if not isinstance(row, dict):
                errors[field] = ["Send an object with failure_state and owner."]
                continue
            failure = _text(
                row,
                "failure_state",
                f"{field}.failure_state",
                errors,
                required=True,
                max_length=300,
            )
            owner = _member_user(organization, row.get("owner"), f"{field}.owner", errors)
            out.append({"failure_state": failure, "owner": owner})
        clean["escalation_paths"] = out

    rows = _clean_list(data.get("tool_permissions"), "tool_permissions", errors)
    if rows is not None:
        out = []
        for i, row in enumerate(rows):
            field = f"tool_permissions.{i}"
            if not isinstance(row, dict):
                errors[field] = ["Send an object with tool, access and justification."]
                continue
            tool = _text(row, "tool", f"{field}.tool", errors, required=True, max_length=200)
            access = row.get("access")
            if access not in ToolPermission.Access.values:
                errors[f"{field}.access"] = ["Choose read, write or admin."]
            justification = _text(row, "justification", f"{field}.justification", errors)
            out.append(
                {
                    "tool": tool,
                    "access": access,
                    "justification": justification,
                    "last_used": _date(row.get("last_used"), f"{field}.last_used", errors),
                    "last_reviewed": _date(
                        row.get("last_reviewed"), f"{field}.last_reviewed", errors
                    ),
                }
            )
        clean["tool_permissions"] = out

    if "guardrails" in data and data["guardrails"] is not None:
        guardrails = data["guardrails"]
        if not isinstance(guardrails, dict):
            errors["guardrails"] = ["Send an object of limits."]
        else:
            out = {}
            for key in guardrails:
                if key not in GUARDRAIL_FIELDS:
                    errors[f"guardrails.{key}"] = [
                        f"Unknown limit: use {', '.join(GUARDRAIL_FIELDS)}."
                    ]
            for key in GUARDRAIL_FIELDS:
                if key not in guardrails:
                    continue
                value = guardrails[key]
                field = f"guardrails.{key}"
                if value is None:
                    out[key] = None
                elif key == "monthly_budget":
                    error = rules.non_negative_number_error(value)
                    if error:
                        errors[field] = [error]
                    else:
                        try:
                            out[key] = Decimal(str(value)).quantize(Decimal("0.01"))
                        except InvalidOperation:
                            errors[field] = ["Must be a number."]
                elif isinstance(value, bool) or not isinstance(value, int):
                    errors[field] = ["Must be a whole number."]
                elif value < 0 or value > 2**31 - 1:
                    errors[field] = ["Must be a whole number from 0 to 2147483647."]
                else:
                    out[key] = value
            clean["guardrails"] = out
    return clean


@transaction.atomic
def agent_create(*, membership, data: dict) -> Agent:
    _require(membership, Role.ASSESSOR, "register agents")
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
    for phase in PHASES:
        gate = Gate.objects.create(agent=agent, phase=phase)
        ChecklistItem.objects.bulk_create(
            ChecklistItem(gate=gate, key=key) for key in phase_definition(phase).keys
        )
    _apply_records(agent, clean)
    audit_record(
        organization=organization,
        actor=membership.user,
        action="agent.created",
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
        granted = {}
        for permission in agent.tool_permissions.all():
            granted.setdefault(permission.tool, permission.created_at)
        agent.tool_permissions.all().delete()
        now = timezone.now()
        ToolPermission.objects.bulk_create(
            ToolPermission(agent=agent, position=i, created_at=granted.get(row["tool"], now), **row)
            for i, row in enumerate(clean["tool_permissions"])
        )


@transaction.atomic
def agent_update(
    *, agent: Agent, membership, data: dict, expected_version: int | None = None
) -> Agent:
    """Change any record fields (lists are replaced whole). A change to a gate's governance
    fields sends that gate, if at go, to needs_review."""
    _require(membership, Role.ASSESSOR, "edit agent records")
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
    _require_risk_assessments(locked, before, clean)
    _apply_records(locked, clean)
    Agent.objects.filter(pk=locked.pk).update(version=F("version") + 1, updated_at=timezone.now())
    locked.refresh_from_db()
    after = _records_snapshot(locked)
    changed = [key for key in after if before[key] != after[key]]
    if changed:
        audit_record(
            organization=organization,
            actor=membership.user,
            action="agent.updated",
            target=locked,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        phases = sorted({GOVERNANCE_PHASE[k] for k in changed if k in GOVERNANCE_PHASE})
        for phase in phases:
            fields = [k for k in changed if GOVERNANCE_PHASE.get(k) == phase]
            _needs_review(locked, phase, membership.user, "changed: " + ", ".join(fields))
    return locked


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


def _needs_review(agent: Agent, phase: int, actor, why: str) -> None:
    """A gate at go whose checklist or governance fields changed shows needs_review."""
    updated = Gate.objects.filter(agent=agent, phase=phase, state=Gate.State.GO).update(
        state=Gate.State.NEEDS_REVIEW,
        review_reason=why[:300],
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if updated:
        audit_record(
            organization=agent.organization,
            actor=actor,
            action="gate.needs_review",
            target=agent,
            object_label=f"{agent.name} phase {phase}",
            before={"phase": phase, "state": "go"},
            after={"phase": phase, "state": "needs_review", "why": why},
        )


# --- checklists and decisions ----------------------------------------------------------------


def _check_phase(phase) -> None:
    if phase not in PHASES:
        raise Http404("No such phase: use 1 to 4.")


@transaction.atomic
def checklist_update(*, agent: Agent, phase: int, membership, changes) -> Gate:
    """Mark items met or not, with evidence. Unknown keys and bad values are 400, all or
    nothing."""
    _require(membership, Role.ASSESSOR, "fill gate checklists")
    _check_phase(phase)
    definition = phase_definition(phase)
    errors: dict = {}
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput({"__all__": ["Send an object of item key to {met, evidence}."]})
    clean = {}
    for key, value in changes.items():
        if key not in definition.keys:
            errors[key] = [f"Unknown item for phase {phase}: use {', '.join(definition.keys)}."]
            continue
        if not isinstance(value, dict):
            errors[key] = ["Send an object with met (true or false) and evidence."]
            continue
        met = value.get("met")
        if "met" in value and not isinstance(met, bool):
            errors[f"{key}.met"] = ["Must be true or false."]
        evidence = value.get("evidence")
        if evidence is not None and not isinstance(evidence, str):
            errors[f"{key}.evidence"] = ["Must be text (a note or a link)."]
        elif evidence is not None and len(evidence) > 5000:
            errors[f"{key}.evidence"] = ["Keep evidence to 5000 characters or fewer."]
        clean[key] = value
    if errors:
        raise InvalidInput(errors)
    gate = Gate.objects.select_for_update().get(agent=agent, phase=phase)
    items = {item.key: item for item in gate.items.all()}
    before, after = {}, {}
    now = timezone.now()
    for key, value in clean.items():
        item = items.get(key) or ChecklistItem(gate=gate, key=key)
        old = {"met": item.met, "evidence": item.evidence}
        if "met" in value:
            item.met = value["met"]
        if value.get("evidence") is not None:
            item.evidence = value["evidence"].strip()
        new = {"met": item.met, "evidence": item.evidence}
        if old != new:
            item.updated_by = membership.user
            item.updated_at = now
            item.save()
            before[key], after[key] = old, new
    if after:
        audit_record(
            organization=agent.organization,
            actor=membership.user,
            action="gate.checklist_changed",
            target=agent,
            object_label=f"{agent.name} phase {phase}",
            before=before,
            after=after,
        )
        _needs_review(agent, phase, membership.user, "checklist changed: " + ", ".join(after))
    return gate


def gate_go_reasons(*, agent: Agent, phase: int, membership, now=None) -> list[rules.Reason]:
    """Why a go on this gate would be refused for this member now (for pages and the API)."""
    now = now or timezone.now()
    definition = phase_definition(phase)
    gates = {g.phase: g for g in Gate.objects.filter(agent=agent).prefetch_related("items")}
    items_met = {item.key: item.met for item in gates[phase].items.all()}
    return rules.gate_go_reasons(
        phase=phase,
        item_keys=definition.keys,
        item_labels={i.key: i.label for i in definition.items},
        items_met=items_met,
        previous_state=gates[phase - 1].state if phase > 1 else None,
        readiness=readiness_facts(organization=agent.organization) if phase == 4 else None,
        decider_is_owner=membership.user_id == agent.owner_id,
        now=now,
    )


def gate_decide(
    *, agent: Agent, phase: int, membership, decision, rationale, expected_version=None
) -> GateDecision:
    """Record a go or no-go. The decision lands only on the gate version the decider saw: the
    one they send, or else the one read now, before the transaction (which on SQLite waits for
    any other writer), so of two decisions at the same moment one lands and the other is 409."""
    if expected_version is None:
        expected_version = (
            Gate.objects.filter(agent=agent, phase=phase).values_list("version", flat=True).first()
        )
    return _gate_decide(
        agent=agent,
        phase=phase,
        membership=membership,
        decision=decision,
        rationale=rationale,
        expected_version=expected_version,
    )


@transaction.atomic
def _gate_decide(
    *, agent: Agent, phase: int, membership, decision, rationale, expected_version
) -> GateDecision:
    _require(membership, Role.APPROVER, "decide gates")
    _check_phase(phase)
    errors: dict = {}
    if decision not in GateDecision.Decision.values:
        errors["decision"] = ["Choose go or no_go."]
    if not isinstance(rationale, str) or not rationale.strip():
        errors["rationale"] = ["Write the rationale for this decision."]
    if expected_version is not None and (
        isinstance(expected_version, bool) or not isinstance(expected_version, int)
    ):
        errors["version"] = ["Must be a whole number."]
    if errors:
        raise InvalidInput(errors)
    gate = Gate.objects.get(agent=agent, phase=phase)
    seen_version = expected_version if expected_version is not None else gate.version
    now = timezone.now()
    if decision == "go":
        reasons = gate_go_reasons(agent=agent, phase=phase, membership=membership, now=now)
        if reasons:
            raise _conflict(f"Phase {phase} cannot go yet.", reasons)
    else:
        reasons = rules.gate_no_go_reasons(decider_is_owner=membership.user_id == agent.owner_id)
        if reasons:
            raise _conflict(f"You may not decide phase {phase}.", reasons)
    new_state = Gate.State.GO if decision == "go" else Gate.State.NO_GO
    # Optimistic: only the decision made on the version it saw lands; a concurrent one is 409.
    updated = Gate.objects.filter(pk=gate.pk, version=seen_version).update(
        state=new_state, version=F("version") + 1, updated_at=now, review_reason=""
    )
    if not updated:
        raise Conflict(
            "The gate changed while you were deciding.",
            [
                ConflictReason(
                    "gate_changed",
                    "Another decision or change reached this gate first: reload it and decide "
                    "again.",
                )
            ],
        )
    definition = phase_definition(phase)
    items_met = {item.key: item.met for item in gate.items.all()}
    unmet = rules.unmet_items(items_met, definition.keys)
    readiness = readiness_facts(organization=agent.organization) if phase == 4 else None
    record = GateDecision.objects.create(
        gate=gate,
        decision=decision,
        rationale=rationale.strip(),
        unmet_items=[{"key": k, "label": definition.label(k)} for k in unmet]
        if decision == "no_go"
        else [],
        readiness=(
            {
                "verdict": readiness.verdict,
                "total": readiness.total,
                "submitted_at": readiness.submitted_at.isoformat(),
            }
            if readiness
            else None
        ),
        decided_by=membership.user,
        decided_at=now,
    )
    audit_record(
        organization=agent.organization,
        actor=membership.user,
        action="gate.decided",
        target=agent,
        object_label=f"{agent.name} phase {phase}",
        before={"phase": phase, "state": gate.state},
        after={
            "phase": phase,
            "state": new_state,
            "decision": decision,
            "rationale": record.rationale,
            "unmet_items": [u["key"] for u in record.unmet_items],
        },
    )
    if decision == "go" and phase == 4:
        # Read the row, not the caller's object: the first go on phase 4 starts stabilization.
        Agent.objects.filter(pk=agent.pk, horizon="").update(horizon=Agent.Horizon.STABILIZATION)
    return record


# --- prompt versions ---------------------------------------------------------------------------


@transaction.atomic
def prompt_version_post(*, agent: Agent, membership, data: dict) -> PromptVersion:
    """The deployment gate a CI pipeline calls: record the version and say whether it ships."""
    _require(membership, Role.ASSESSOR, "post prompt versions")
    errors: dict = {}
    tag = _text(data, "tag", "tag", errors, required=True, max_length=100)
    for key in ("regression_passed", "adversarial_passed"):
        if not isinstance(data.get(key), bool):
            errors[key] = ["Must be true or false."]
    for key in ("delta", "tolerance"):
        if key not in data:
            errors[key] = ["This field is required."]
            continue
        error = rules.non_negative_number_error(data.get(key))
        if error:
            errors[key] = [error]
    rollback = _text(data, "rollback_target", "rollback_target", errors, max_length=100)
    if errors:
        raise InvalidInput(errors)
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    if PromptVersion.objects.filter(agent=locked, tag=tag).exists():
        raise Conflict(
            "That tag is already recorded.",
            [
                ConflictReason(
                    "duplicate_tag", f"{agent.name} already has a prompt version {tag!r}."
                )
            ],
        )
    reasons = rules.prompt_ship_reasons(
        regression_passed=data["regression_passed"],
        adversarial_passed=data["adversarial_passed"],
        delta=float(data["delta"]),
        tolerance=float(data["tolerance"]),
    )
    version = PromptVersion.objects.create(
        agent=locked,
        tag=tag,
        regression_passed=data["regression_passed"],
        adversarial_passed=data["adversarial_passed"],
        delta=float(data["delta"]),
        tolerance=float(data["tolerance"]),
        rollback_target=rollback or "",
        ship=not reasons,
        reasons=[{"code": r.code, "message": r.message} for r in reasons],
        created_by=membership.user,
    )
    previous = locked.current_prompt.tag if locked.current_prompt else None
    if version.ship:
        Agent.objects.filter(pk=locked.pk).update(current_prompt=version, updated_at=timezone.now())
        evidence = f"Prompt version {tag} (posted {version.created_at:%Y-%m-%d %H:%M} UTC)"
        gate = Gate.objects.get(agent=locked, phase=2)
        now = timezone.now()
        for item in gate.items.all():
            item.met = True
            item.evidence = evidence + (
                f"; rollback to {version.rollback_target}"
                if item.key == "rollback_plan" and version.rollback_target
                else ""
            )
            item.updated_by = membership.user
            item.updated_at = now
            item.save()
        _needs_review(locked, 2, membership.user, f"current prompt version is now {tag}")
    audit_record(
        organization=agent.organization,
        actor=membership.user,
        action="prompt_version.posted",
        target=locked,
        before={"current_prompt": previous},
        after={
            "tag": tag,
            "ship": version.ship,
            "reasons": [r.code for r in reasons],
            "current_prompt": tag if version.ship else previous,
        },
    )
    return version


# --- kill switch -------------------------------------------------------------------------------


def _reason_text(reason, field="reason") -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput({field: ["Give a reason."]})
    if len(reason) > 2000:
        raise InvalidInput({field: ["Keep the reason to 2000 characters or fewer."]})
    return reason.strip()


def _suspend(agent: Agent, *, kind: str, reason: str, actor, details=None) -> Suspension:
    """Stop the agent now (the caller holds the agent row lock)."""
    suspension = Suspension.objects.create(
        agent=agent, kind=kind, reason=reason, details=details, started_by=actor
    )
    Agent.objects.filter(pk=agent.pk).update(state=Agent.State.SUSPENDED, updated_at=timezone.now())
    audit_record(
        organization=agent.organization,
        actor=actor,
        action=f"agent.suspended.{kind}",
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
def agent_suspend(*, agent: Agent, membership, reason) -> Suspension:
    _require(membership, Role.OPERATOR, "suspend an agent")
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
            action="agent.drill_superseded",
            resume=False,
        )
    return _suspend(
        locked, kind=Suspension.Kind.AUTOMATIC, reason=reason, actor=None, details=details
    )


def _end_suspension(
    agent: Agent, suspension: Suspension, *, actor, reason: str, action: str, resume: bool = True
):
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
def agent_resume(*, agent: Agent, membership, reason) -> Agent:
    _require(membership, Role.APPROVER, "resume a suspended agent")
    reason = _reason_text(reason)
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    if membership.user_id == locked.owner_id:
        raise Conflict(
            "You own this agent.",
            [
                ConflictReason(
                    "owner_cannot_decide",
                    "You own this agent: another approver must resume it (separation of duties).",
                )
            ],
        )
    suspension = Suspension.objects.filter(agent=locked, ended_at__isnull=True).first()
    if not locked.is_suspended or suspension is None:
        raise Conflict(
            "The agent is not suspended.",
            [ConflictReason("not_suspended", f"{locked.name} is active; nothing to resume.")],
        )
    _end_suspension(
        locked, suspension, actor=membership.user, reason=reason, action="agent.resumed"
    )
    locked.refresh_from_db()
    return locked


@transaction.atomic
def drill_start(*, agent: Agent, membership) -> Suspension:
    _require(membership, Role.OPERATOR, "start a kill-switch drill")
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
def drill_end(*, agent: Agent, drill: Suspension, membership) -> Suspension:
    """The operator who started the drill, or an approver, ends it and the agent resumes."""
    if drill.agent_id != agent.pk or drill.kind != Suspension.Kind.DRILL:
        raise Http404("No such drill for this agent.")
    if not (membership.user_id == drill.started_by_id or Role.APPROVER in membership.roles):
        raise Forbidden("Only the operator who started this drill, or an approver, may end it.")
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    drill = Suspension.objects.get(pk=drill.pk)
    if drill.ended_at is not None:
        raise Conflict(
            "This drill has already ended.",
            [ConflictReason("drill_ended", f"Ended at {drill.ended_at:%Y-%m-%d %H:%M} UTC.")],
        )
    _end_suspension(
        locked, drill, actor=membership.user, reason="Drill ended", action="agent.drill_ended"
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
def agent_token_create(*, agent: Agent, membership, name: str = "Runtime token"):
    _require(membership, Role.ADMIN, "create agent runtime tokens")
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
        action="agent_token.created",
        target=agent,
        after={"name": token.name, "prefix": prefix},
    )
    return token, raw
