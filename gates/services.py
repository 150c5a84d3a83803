"""Writes of the phase gates: opening an agent's four gates, checklists, go / no-go decisions,
sending a gate to review, and prompt versions through the deployment gate (docs/rules.md §2).

Each service takes the acting membership, checks the role (Forbidden), validates its input
(InvalidInput), applies the rules of gates/rules.py (Conflict with every reason), changes the
rows in one transaction and writes the audit entry with before and after.
"""

from datetime import datetime
from typing import cast

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from pydantic import ValidationError

from accounts.models import Membership
from agents.models import Agent
from agents.selectors import separation_reason
from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.errors import Conflict, ConflictReason, InvalidInput
from core.inputs import errors_of, parse

from . import evidence, promptfoo, rules
from .checklists import PHASES, phase_definition
from .evidence_selectors import agent_facts_and_items, phase_items
from .inputs import AttestationChange, DecisionInput, PromptVersionInput
from .models import ChecklistItem, Gate, GateDecision, PromptVersion
from .reviews import (  # noqa: F401  (re-exported: callers write gates through services)
    GOVERNANCE_PHASE,
    gate_review,
    gates_recheck,
    gates_recheck_all,
    gates_review_changes,
    recheck_on_evidence_changed,
)
from .selectors import readiness_facts


def _conflict(detail: str, reasons: list[rules.Reason]) -> Conflict:
    return Conflict(detail, [ConflictReason(r.code, r.message, dict(r.extra)) for r in reasons])


def gates_open(*, agent: Agent) -> list[Gate]:
    """Open a new agent's four gates, each pending with its checklist items unmet."""
    gates = []
    for phase in PHASES:
        gate = Gate.objects.create(agent=agent, phase=phase)
        ChecklistItem.objects.bulk_create(
            ChecklistItem(gate=gate, key=key) for key in phase_definition(phase).keys
        )
        gates.append(gate)
    return gates


def _check_phase(phase: object) -> None:
    if phase not in PHASES:
        raise Http404("No such phase: use 1 to 4.")


def _attestation_changes(phase: int, changes: object) -> tuple[dict, dict]:
    """The attestations sent to checklist_update, checked for shape: (clean, errors). Only
    tracing and the quality threshold may be attested; every other item is computed and
    refused by name."""
    definition = phase_definition(phase)
    if not isinstance(changes, dict) or not changes:
        return {}, {"__all__": ["Send an object of item key to {met, evidence}."]}
    errors: dict = {}
    clean = {}
    for key, value in changes.items():
        if key not in definition.keys:
            errors[key] = [f"Unknown item for phase {phase}: use {', '.join(definition.keys)}."]
        elif key not in evidence.ATTESTABLE:
            errors[key] = [
                f"{definition.label(key)} is computed from the agent's records and telemetry: "
                "it cannot be set by hand."
            ]
        elif isinstance(value, AttestationChange):
            clean[key] = value  # checked already (the API's body)
        elif not isinstance(value, dict):
            errors[key] = ["Send an object with met (true or false) and evidence."]
        else:
            try:
                clean[key] = AttestationChange.model_validate(value)
            except ValidationError as error:
                for field, messages in errors_of(error, AttestationChange).items():
                    errors[f"{key}.{field}"] = messages
    return clean, errors


def _attest(item: ChecklistItem, value: AttestationChange, errors: dict) -> dict | None:
    """Apply one attestation change to its row; answers the new {met, evidence}, or None when
    it is refused (with its error)."""
    met = value.met if "met" in value.model_fields_set else item.met
    text = value.evidence if value.evidence is not None else item.evidence
    if not met:
        return {"met": False, "evidence": ""}
    problem = evidence.attestation_error(item.key, text, by_owner=False)
    if problem:
        errors[f"{item.key}.evidence"] = [problem]
        return None
    return {"met": True, "evidence": text}


@transaction.atomic
def checklist_update(*, agent: Agent, phase: int, membership: Membership, changes: object) -> Gate:
    """Attest tracing or the quality threshold (met true, with a required evidence link or
    note) or withdraw an attestation (met false), for teams whose traces go elsewhere. Every
    other item is computed (gates/evidence.py) and refused by name; the agent's owner may not
    attest (409 owner_cannot_attest). All or nothing."""
    permissions.may_fill_checklist(membership, agent).require()
    _check_phase(phase)
    clean, errors = _attestation_changes(phase, changes)
    if errors:
        raise InvalidInput(errors)
    gate = Gate.objects.select_for_update().get(agent=agent, phase=phase)
    items = {item.key: item for item in gate.items.all()}
    new: dict[str, dict | None] = {}
    for key, value in clean.items():
        item = items.get(key) or ChecklistItem(gate=gate, key=key)
        new[key] = _attest(item, value, errors)
    if errors:
        raise InvalidInput(errors)
    if any(values and values["met"] for values in new.values()):
        permissions.may_attest(membership, agent).require()
    before, after = {}, {}
    now = timezone.now()
    for key, values in new.items():
        item = items.get(key) or ChecklistItem(gate=gate, key=key)
        old = {"met": item.met, "evidence": item.evidence}
        if old != values:
            # A refused change (None) left an error, and errors were raised above.
            item.met, item.evidence = values["met"], values["evidence"]  # type: ignore[index]
            item.updated_by, item.updated_at = membership.user, now
            item.save()
            before[key], after[key] = old, values
    if after:
        audit_record(
            organization=agent.organization,
            actor=membership.user,
            action=Action.GATE_CHECKLIST_CHANGED,
            target=agent,
            object_label=f"{agent.name} phase {phase}",
            before={"phase": phase, "items": before},
            after={"phase": phase, "items": after},
        )
        gates_recheck(agents=[agent], actor=membership.user)
    return gate


_READ = object()  # "not given: read it here"


def gate_go_reasons(
    *,
    agent: Agent,
    phase: int,
    membership: Membership,
    now: datetime | None = None,
    states: dict[str, evidence.ItemState] | None = None,
    facts: evidence.EvidenceFacts | None = None,
    previous_state: object = _READ,
    readiness: object = _READ,
) -> list[rules.Reason]:
    """Why a go on this gate would be refused for this member now (for pages and the API).
    The items are computed from the evidence (`facts` and `states`), the previous gate's state
    and the readiness facts are read here unless the caller read them already."""
    now = now or timezone.now()
    if facts is None or states is None:
        facts, states = agent_facts_and_items(agent=agent, now=now)
    if previous_state is _READ:
        previous_state = (
            Gate.objects.filter(agent=agent, phase=phase - 1)
            .values_list("state", flat=True)
            .first()
            if phase > 1
            else None
        )
    if readiness is _READ:
        readiness = readiness_facts(organization=agent.organization) if phase == 4 else None
    barred = separation_reason(agent=agent, user_id=membership.user_id, now=now)
    return _go_reasons(phase, facts, states, previous_state, readiness, barred, now)


def _go_reasons(
    phase: int,
    facts: evidence.EvidenceFacts,
    states: dict[str, evidence.ItemState],
    previous_state: object,
    readiness: object,
    barred: str | None,
    now: datetime,
) -> list[rules.Reason]:
    """The rules' reasons against a go, from facts already read (`barred`: why the decider may
    not decide this agent, or None)."""
    definition = phase_definition(phase)
    # Gate.State's values are exactly rules.GateState's; the stubs type the column as str.
    return rules.gate_go_reasons(
        phase=phase,
        item_keys=definition.keys,
        item_labels={i.key: i.label for i in definition.items},
        items_met={key: states[key].met for key in definition.keys},
        previous_state=cast(rules.GateState | None, previous_state),
        readiness=cast(rules.ReadinessFacts | None, readiness),
        decider_is_owner=barred is not None,
        now=now,
        people=rules.PeopleFacts(
            owner=facts.owner,
            owner_active=facts.owner_active,
            inactive_escalation_owners=facts.inactive_escalation_owners,
        )
        if phase == 1
        else None,
        owner_message=barred,
    )


def _next_phase_waits(
    agent: Agent,
    phase: int,
    facts: evidence.EvidenceFacts,
    states: dict[str, evidence.ItemState],
    now: datetime,
) -> bool:
    """After a go on `phase`: whether nothing but a decision stands before the next phase's go,
    for an approver free to decide the agent. Kept in the decision's audit entry, so the
    approvers' notification (notifications.events) reads it there instead of the evidence
    again after the commit."""
    following = phase + 1
    readiness = readiness_facts(organization=agent.organization) if following == 4 else None
    return not _go_reasons(following, facts, states, Gate.State.GO, readiness, None, now)


@transaction.atomic
def gate_decide(
    *,
    agent: Agent,
    phase: int,
    membership: Membership,
    decision: DecisionInput | str,
    rationale: object = None,
    expected_version: object = None,
) -> GateDecision:
    """Record a go or no-go, only on the gate version the decider saw. The first decision on a
    gate may come without a version (then the version read in this transaction); any later one
    must send it (409 version_required), and a stale one is 409 gate_changed. So of several
    decisions at the same moment, one lands. `decision` is the API's checked DecisionInput, or
    the decision with its `rationale` and `expected_version`, checked here by the same model."""
    permissions.may_decide_gate(membership, agent).require()
    _check_phase(phase)
    given = (
        decision
        if isinstance(decision, DecisionInput)
        else parse(
            DecisionInput,
            {"decision": decision, "rationale": rationale, "version": expected_version},
            what="a decision",
        )
    )
    decision, rationale, expected_version = given.decision, given.rationale, given.version
    # This gate and the one before it, in one read.
    both = {g.phase: g for g in Gate.objects.filter(agent=agent, phase__in=(phase - 1, phase))}
    if phase not in both:
        raise Gate.DoesNotExist(f"{agent} has no gate for phase {phase}.")
    gate = both[phase]
    previous_state = both[phase - 1].state if phase > 1 and phase - 1 in both else None
    reasons = rules.decision_version_reasons(
        sent_version=expected_version, decided_before=gate.decisions.exists()
    )
    if reasons:
        raise _conflict(f"Send the version of phase {phase} you decided on.", reasons)
    seen_version = expected_version if expected_version is not None else gate.version
    now = timezone.now()
    facts, states = agent_facts_and_items(agent=agent, now=now)
    readiness = readiness_facts(organization=agent.organization) if phase == 4 else None
    if decision == "go":
        reasons = gate_go_reasons(
            agent=agent,
            phase=phase,
            membership=membership,
            now=now,
            states=states,
            facts=facts,
            previous_state=previous_state,
            readiness=readiness,
        )
        if reasons:
            raise _conflict(f"Phase {phase} cannot go yet.", reasons)
    else:
        barred = separation_reason(agent=agent, user_id=membership.user_id, now=now)
        reasons = rules.gate_no_go_reasons(
            decider_is_owner=barred is not None, owner_message=barred
        )
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
    seen = phase_items(states, phase)
    waits = (
        {"next_phase_waits": _next_phase_waits(agent, phase, facts, states, now)}
        if decision == "go" and phase < 4
        else {}
    )
    unmet = [state.key for state in seen if not state.met]
    record = GateDecision.objects.create(
        gate=gate,
        decision=decision,
        rationale=rationale.strip(),
        unmet_items=[{"key": k, "label": definition.label(k)} for k in unmet]
        if decision == "no_go"
        else [],
        evidence=[
            {"key": st.key, "met": st.met, "source": st.source, "evidence": st.evidence}
            for st in seen
        ],
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
        action=Action.GATE_DECIDED,
        target=agent,
        object_label=f"{agent.name} phase {phase}",
        before={"phase": phase, "state": gate.state},
        after={
            "phase": phase,
            "state": new_state,
            "decision": decision,
            "rationale": record.rationale,
            "unmet_items": [u["key"] for u in record.unmet_items],
            **waits,
        },
    )
    if decision == "go" and phase == 4:
        # Read the row, not the caller's object: the first go on phase 4 starts stabilization.
        started = Agent.objects.filter(pk=agent.pk, horizon="").update(
            horizon=Agent.Horizon.STABILIZATION
        )
        if started:
            audit_record(
                organization=agent.organization,
                actor=membership.user,
                action=Action.AGENT_HORIZON_STARTED,
                target=agent,
                before={"horizon": None},
                after={"horizon": Agent.Horizon.STABILIZATION.value, "phase": phase},
            )
    return record


def _delta(
    given: PromptVersionInput,
    current: PromptVersion | None,
    regression: promptfoo.SuiteResults | bool,
) -> tuple[float, str, str]:
    """The delta used, how it was obtained (PromptVersion.DeltaSource) and the tag compared:
    a rule of the stored versions (the current one's regression results)."""
    source = PromptVersion.DeltaSource
    if given.delta is not None:
        return given.delta, source.GIVEN, ""
    if current is None:
        return 0.0, source.FIRST_VERSION, ""
    stored = promptfoo.suite_from_json(current.regression_results)
    if stored is None or not stored.outcomes:
        return 0.0, source.NO_PREVIOUS_RESULTS, current.tag
    if not isinstance(regression, promptfoo.SuiteResults):
        raise InvalidInput(
            {
                "delta": [
                    f"The current version {current.tag} stored its regression results: send "
                    "regression as promptfoo's results to compute the delta, or send delta."
                ]
            }
        )
    delta = promptfoo.outcome_delta(stored.outcomes, regression.outcomes)
    return float(delta or 0.0), source.COMPUTED, current.tag


@transaction.atomic
def prompt_version_post(
    *, agent: Agent, membership: Membership, data: PromptVersionInput | object
) -> PromptVersion:
    """The deployment gate a CI pipeline calls: record the version and say whether it ships.
    Each suite comes as a boolean or as promptfoo's results (gates/promptfoo.py); without a
    delta, it is computed against the current version's stored regression results. `data` is
    the API's checked PromptVersionInput, or what a form or the demo sends, checked here by
    the same model."""
    permissions.may_post_prompt_version(membership, agent).require()
    given = (
        data
        if isinstance(data, PromptVersionInput)
        else parse(PromptVersionInput, data, what="the prompt version's fields")
    )
    tag, threshold, suites = given.tag, given.pass_rate_threshold, given.suites()
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    current = locked.current_prompt
    delta, delta_source, delta_against = _delta(given, current, suites["regression"])
    if PromptVersion.objects.filter(agent=locked, tag=tag).exists():
        raise Conflict(
            "That tag is already recorded.",
            [
                ConflictReason(
                    "duplicate_tag", f"{agent.name} already has a prompt version {tag!r}."
                )
            ],
        )
    passed: dict[str, bool] = {}
    stored: dict[str, dict | None] = {}
    counts: dict[str, str | None] = {}
    for suite, value in suites.items():
        if isinstance(value, promptfoo.SuiteResults):
            passed[suite] = promptfoo.suite_passed(value, threshold)
            stored[suite] = value.to_json()
            counts[suite] = promptfoo.summary(value)
        else:
            passed[suite], stored[suite], counts[suite] = bool(value), None, None
    reasons = rules.prompt_ship_reasons(
        regression_passed=passed["regression"],
        adversarial_passed=passed["adversarial"],
        delta=delta,
        tolerance=given.tolerance,
        regression_counts=counts["regression"],
        adversarial_counts=counts["adversarial"],
        pass_rate_threshold=threshold,
    )
    version = PromptVersion.objects.create(
        agent=locked,
        tag=tag,
        regression_passed=passed["regression"],
        adversarial_passed=passed["adversarial"],
        regression_results=stored["regression"],
        adversarial_results=stored["adversarial"],
        pass_rate_threshold=threshold,
        delta=delta,
        delta_source=delta_source,
        delta_against=delta_against,
        tolerance=given.tolerance,
        rollback_target=given.rollback_target,
        ship=not reasons,
        reasons=[{"code": r.code, "message": r.message} for r in reasons],
        created_by=membership.user,
    )
    previous = current.tag if current else None
    if version.ship:
        Agent.objects.filter(pk=locked.pk).update(current_prompt=version, updated_at=timezone.now())
        gates_recheck(agents=[locked], actor=membership.user)
        gate_review(locked, 2, membership.user, f"current prompt version is now {tag}")
    audit_record(
        organization=agent.organization,
        actor=membership.user,
        action=Action.PROMPT_VERSION_POSTED,
        target=locked,
        before={"current_prompt": previous},
        after={
            "id": version.pk,
            "tag": tag,
            "ship": version.ship,
            "reasons": [r.code for r in reasons],
            "current_prompt": tag if version.ship else previous,
            "delta": delta,
            "delta_source": delta_source,
            "counts": {s: c for s, c in counts.items() if c is not None},
        },
    )
    return version
