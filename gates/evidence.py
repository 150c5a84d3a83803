"""Checklist items computed from evidence, as pure functions (docs/rules.md §2).

A go must mean the evidence is there. Every item whose truth the app holds is computed from
the agent's records, the kill switch, the prompt versions, the thresholds and the telemetry,
never ticked by hand; only `tracing` and `quality_threshold` may instead be attested, for
teams whose traces go elsewhere, and an observation takes the attestation's place once
telemetry meets the item.

One selector fetches `EvidenceFacts` once; `items(facts)` says, per item, whether it is met,
from what source, and on what evidence, in words a reviewer reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Source = Literal["derived", "observed", "attested"]

ATTESTABLE = frozenset({"tracing", "quality_threshold"})
TRACING_DAYS = 7
QUALITY_DAYS = 30


@dataclass(frozen=True)
class SuiteFacts:
    passed: bool
    counts: str = ""  # "48 of 48 passed" when results were sent, "" for a plain boolean


@dataclass(frozen=True)
class PromptFacts:
    """The agent's current prompt version, as the phase-2 items read it."""

    tag: str
    regression: SuiteFacts
    adversarial: SuiteFacts
    delta: float
    tolerance: float
    rollback_target: str = ""
    # Tags of the agent's earlier versions that were allowed to ship.
    earlier_shipped: frozenset[str] = frozenset()
    first_version: bool = False


@dataclass(frozen=True)
class Attestation:
    by: str
    evidence: str


@dataclass(frozen=True)
class EvidenceFacts:
    """Everything the computed items of one agent read, fetched once."""

    owner: str = ""
    owner_active: bool = False
    decides_alone: int = 0
    escalates: int = 0
    escalation_paths: int = 0
    inactive_escalation_owners: tuple[str, ...] = ()
    permissions: int = 0
    unjustified_tools: tuple[str, ...] = ()
    flagged_tools: tuple[str, ...] = ()
    unpermitted_tools_seen: tuple[str, ...] = ()
    active_operators: int = 0
    live_runtime_tokens: int = 0
    prompt: PromptFacts | None = None
    api_calls_per_hour: int | None = None
    tokens_per_session: int | None = None
    sequential_actions: int | None = None
    monthly_budget: str | None = None  # formatted for the evidence line, None when unset
    budget_alert_on: bool = False
    budget_alert_percent: int = 80
    alerts_on: Mapping[str, bool] = field(default_factory=dict)  # error_rate, escalation, ...
    auto_suspend_on: bool = False
    model_call_spans: int = 0  # in the last TRACING_DAYS days
    tool_call_spans: int = 0
    quality_threshold_on: bool = False
    quality_snapshot_scores: int = 0  # snapshots with a quality score, period ending in 30 days
    quality_evaluation_scores: int = 0  # evaluation events in telemetry in 30 days
    attestations: Mapping[str, Attestation] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemState:
    key: str
    met: bool
    source: Source
    evidence: str


ALERTS = (
    ("error_rate", "error rate"),
    ("escalation", "escalation rate"),
    ("completion", "completion rate"),
)


def _names(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def _sentence(parts: list[str]) -> str:
    """Parts joined into one sentence, its first letter capitalised (names keep their case)."""
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def owner_assigned(f: EvidenceFacts) -> ItemState:
    if not f.owner:
        return ItemState("owner_assigned", False, "derived", "No owner is named.")
    if not f.owner_active:
        return ItemState(
            "owner_assigned",
            False,
            "derived",
            f"The owner {f.owner} is no longer an active member: assign a new owner.",
        )
    return ItemState("owner_assigned", True, "derived", f"Owned by {f.owner}, an active member.")


def boundaries_documented(f: EvidenceFacts) -> ItemState:
    met = f.decides_alone >= 1 and f.escalates >= 1
    text = (
        f"{_plural(f.decides_alone, 'decision')} taken alone, "
        f"{_plural(f.escalates, 'decision')} that escalate"
        f"{'s' if f.escalates == 1 else ''}"
    )
    if not met:
        text += ": at least one of each is needed."
    else:
        text += "."
    return ItemState("boundaries_documented", met, "derived", text)


def escalation_owners_mapped(f: EvidenceFacts) -> ItemState:
    if f.escalation_paths == 0:
        return ItemState(
            "escalation_owners_mapped", False, "derived", "No escalation path is recorded."
        )
    if f.inactive_escalation_owners:
        return ItemState(
            "escalation_owners_mapped",
            False,
            "derived",
            "Escalation paths are held by people who are no longer active members "
            f"({_names(f.inactive_escalation_owners)}): give them new owners.",
        )
    return ItemState(
        "escalation_owners_mapped",
        True,
        "derived",
        f"{_plural(f.escalation_paths, 'escalation path')}, each owned by an active member.",
    )


def least_privilege_justified(f: EvidenceFacts) -> ItemState:
    key = "least_privilege_justified"
    if f.permissions == 0:
        return ItemState(key, False, "derived", "No tool permission is recorded.")
    problems = []
    if f.unjustified_tools:
        problems.append(f"no justification for {_names(f.unjustified_tools)}")
    if f.flagged_tools:
        problems.append(f"flagged for revocation: {_names(f.flagged_tools)}")
    if f.unpermitted_tools_seen:
        problems.append(
            f"used in telemetry without a permission: {_names(f.unpermitted_tools_seen)}"
        )
    if problems:
        source: Source = "observed" if f.unpermitted_tools_seen else "derived"
        return ItemState(key, False, source, _sentence(problems))
    return ItemState(
        key,
        True,
        "derived",
        f"{_plural(f.permissions, 'tool permission')}, each justified; none flagged for "
        "revocation; no tool used without one.",
    )


def kill_switch_designed(f: EvidenceFacts) -> ItemState:
    key = "kill_switch_designed"
    missing = []
    if f.active_operators == 0:
        missing.append("no active member holds the operator role")
    if f.live_runtime_tokens == 0:
        missing.append("the agent has no unrevoked runtime token")
    if missing:
        return ItemState(key, False, "derived", _sentence(missing))
    return ItemState(
        key,
        True,
        "derived",
        f"{_plural(f.active_operators, 'operator')}; "
        f"{_plural(f.live_runtime_tokens, 'unrevoked runtime token')}.",
    )


def _no_version(key: str) -> ItemState:
    return ItemState(key, False, "derived", "The agent has no current prompt version.")


def prompt_items(f: EvidenceFacts) -> list[ItemState]:
    p = f.prompt
    keys = (
        "prompt_version_tagged",
        "regression_passed",
        "adversarial_passed",
        "rollback_plan",
        "delta_within_tolerance",
    )
    if p is None:
        return [_no_version(key) for key in keys]
    regression = p.regression.counts or ("passed" if p.regression.passed else "failed")
    adversarial = p.adversarial.counts or ("passed" if p.adversarial.passed else "failed")
    delta_ok = 0 <= p.delta <= p.tolerance
    if p.first_version:
        rollback_ok = bool(p.rollback_target.strip())
        rollback = (
            f"First version; fallback stated: {p.rollback_target}."
            if rollback_ok
            else "First version: state a fallback as its rollback target."
        )
    elif not p.rollback_target:
        rollback_ok, rollback = False, "No rollback target is named."
    elif p.rollback_target in p.earlier_shipped:
        rollback_ok = True
        rollback = (
            f"Rolls back to {p.rollback_target}, an earlier version that was allowed to ship."
        )
    else:
        rollback_ok = False
        rollback = (
            f"The rollback target {p.rollback_target} is not an earlier version of this agent "
            "that was allowed to ship."
        )
    sign = "≤" if delta_ok else ">" if p.delta > p.tolerance else "<"
    return [
        ItemState(keys[0], True, "derived", f"Current version {p.tag}."),
        ItemState(keys[1], p.regression.passed, "derived", f"{p.tag}: regression {regression}."),
        ItemState(keys[2], p.adversarial.passed, "derived", f"{p.tag}: adversarial {adversarial}."),
        ItemState(keys[3], rollback_ok, "derived", rollback),
        ItemState(
            keys[4],
            delta_ok,
            "derived",
            f"{p.tag}: delta {p.delta:.2f} {sign} tolerance {p.tolerance:.2f}."
            if p.delta >= 0
            else f"{p.tag}: delta {p.delta:.2f} is negative.",
        ),
    ]


def _limit(key: str, value: int | None, what: str) -> ItemState:
    if value is None:
        return ItemState(key, False, "derived", f"No {what} is set.")
    return ItemState(key, True, "derived", f"{what.capitalize()}: {value:,}.")


def guardrail_items(f: EvidenceFacts) -> list[ItemState]:
    items = [
        _limit("api_call_limit", f.api_calls_per_hour, "limit on API calls per hour"),
        _limit("token_spend_limit", f.tokens_per_session, "limit on tokens per session"),
        _limit(
            "sequential_actions_limit",
            f.sequential_actions,
            "limit on sequential actions before confirmation",
        ),
    ]
    if f.monthly_budget is None:
        items.append(ItemState("budget_alerts", False, "derived", "No monthly budget is set."))
    elif not f.budget_alert_on:
        items.append(
            ItemState(
                "budget_alerts",
                False,
                "derived",
                f"Monthly budget {f.monthly_budget}, but its usage alert is off.",
            )
        )
    else:
        items.append(
            ItemState(
                "budget_alerts",
                True,
                "derived",
                f"Monthly budget {f.monthly_budget}, alert at {f.budget_alert_percent} %.",
            )
        )
    return items


def alert_thresholds(f: EvidenceFacts) -> ItemState:
    off = [label for key, label in ALERTS if not f.alerts_on.get(key, False)]
    if off:
        return ItemState(
            "alert_thresholds",
            False,
            "derived",
            f"Alert thresholds switched off: {', '.join(off)}.",
        )
    return ItemState(
        "alert_thresholds",
        True,
        "derived",
        "Error rate, escalation rate and completion rate alert thresholds are on.",
    )


def auto_suspend(f: EvidenceFacts) -> ItemState:
    if f.auto_suspend_on:
        return ItemState(
            "auto_suspend", True, "derived", "A breached threshold suspends the agent at once."
        )
    return ItemState(
        "auto_suspend", False, "derived", "Automatic suspension is switched off for this agent."
    )


def _attested(key: str, f: EvidenceFacts, unmet: ItemState) -> ItemState:
    attestation = f.attestations.get(key)
    if attestation is None or not attestation.evidence.strip():
        return unmet
    return ItemState(
        key, True, "attested", f"Attested by {attestation.by}: {attestation.evidence.strip()}"
    )


def tracing(f: EvidenceFacts) -> ItemState:
    if f.model_call_spans and f.tool_call_spans:
        return ItemState(
            "tracing",
            True,
            "observed",
            f"In the last {TRACING_DAYS} days the runtime sent "
            f"{_plural(f.model_call_spans, 'model-call span')} and "
            f"{_plural(f.tool_call_spans, 'tool-call span')}.",
        )
    missing = [
        what
        for what, count in (("model calls", f.model_call_spans), ("tool calls", f.tool_call_spans))
        if not count
    ]
    unmet = ItemState(
        "tracing",
        False,
        "observed",
        f"No spans of {' or '.join(missing)} in the last {TRACING_DAYS} days.",
    )
    return _attested("tracing", f, unmet)


def quality_threshold(f: EvidenceFacts) -> ItemState:
    key = "quality_threshold"
    if not f.quality_threshold_on:
        return ItemState(key, False, "derived", "The quality threshold is switched off.")
    if f.quality_evaluation_scores:
        return ItemState(
            key,
            True,
            "observed",
            f"{_plural(f.quality_evaluation_scores, 'evaluation score')} in telemetry in the "
            f"last {QUALITY_DAYS} days.",
        )
    if f.quality_snapshot_scores:
        return ItemState(
            key,
            True,
            "derived",
            f"{_plural(f.quality_snapshot_scores, 'metric snapshot')} with a quality score in "
            f"the last {QUALITY_DAYS} days.",
        )
    unmet = ItemState(
        key, False, "derived", f"No quality score arrived in the last {QUALITY_DAYS} days."
    )
    return _attested(key, f, unmet)


def items(facts: EvidenceFacts) -> dict[str, ItemState]:
    """Every computed item of the four gates, by key."""
    states = [
        owner_assigned(facts),
        boundaries_documented(facts),
        escalation_owners_mapped(facts),
        least_privilege_justified(facts),
        kill_switch_designed(facts),
        *prompt_items(facts),
        *guardrail_items(facts),
        tracing(facts),
        alert_thresholds(facts),
        auto_suspend(facts),
        quality_threshold(facts),
    ]
    return {state.key: state for state in states}


def attestation_error(key: str, evidence: str, *, by_owner: bool) -> str | None:
    """Why an attestation of this item may not be recorded (None when it may)."""
    if key not in ATTESTABLE:
        return "Only tracing and the quality threshold may be attested; this item is computed."
    if by_owner:
        return "The agent's owner may not attest its evidence: ask another assessor."
    if not evidence or not evidence.strip():
        return "Give the evidence: a link or a note saying where it can be checked."
    return None


def went_unmet(before: Mapping[str, bool], after: Mapping[str, ItemState]) -> list[str]:
    """Keys that were met and are not any more (these send a gate at go to review)."""
    return [key for key, state in after.items() if before.get(key) and not state.met]
