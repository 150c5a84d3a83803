"""Gate and prompt-version rules (docs/rules.md §2) as pure functions.

Plain values in, plain values out: no Django, no database. Services fetch the facts, call these,
and act on the answer; pages call the same functions to show the reasons before anyone presses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from agents.rules import Reason, non_negative_number_error

__all__ = ["Reason", "non_negative_number_error"]


GateState = Literal["pending", "go", "no_go", "needs_review"]


READINESS_MAX_AGE = timedelta(days=90)
PRODUCTION = "production"


@dataclass(frozen=True)
class ReadinessFacts:
    """The organization's latest submitted assessment, as the phase-4 rule needs it."""

    verdict: str
    total: int
    submitted_at: datetime


@dataclass(frozen=True)
class PeopleFacts:
    """Whether the people an agent's records name are still active members."""

    owner: str
    owner_active: bool
    inactive_escalation_owners: tuple[str, ...] = ()


def people_gaps(people: PeopleFacts) -> dict[str, str]:
    """The checklist items that a departed owner or escalation owner leaves unmet, with why."""
    gaps = {}
    if not people.owner_active:
        gaps["owner_assigned"] = (
            f"The owner {people.owner} is no longer an active member: assign a new owner."
        )
    if people.inactive_escalation_owners:
        names = ", ".join(people.inactive_escalation_owners)
        gaps["escalation_owners_mapped"] = (
            f"Escalation paths are held by people who are no longer active members ({names}): "
            "give them new owners."
        )
    return gaps


def unmet_items(items_met: Mapping[str, bool], keys: Sequence[str]) -> list[str]:
    return [key for key in keys if not items_met.get(key, False)]


def readiness_reasons(readiness: ReadinessFacts | None, now: datetime) -> list[Reason]:
    """Why production traffic may not be authorised by the readiness assessment (may be none)."""
    if readiness is None:
        return [
            Reason(
                "readiness_missing",
                "The organization has no submitted readiness assessment: submit one that is "
                "ready before authorising production.",
            )
        ]
    reasons = []
    if readiness.verdict != "ready":
        reasons.append(
            Reason(
                "readiness_not_ready",
                f"The latest readiness assessment is {readiness.verdict.replace('_', ' ')} "
                f"(total {readiness.total}/20): production needs a ready verdict.",
                {"verdict": readiness.verdict},
            )
        )
    age = now - readiness.submitted_at
    if age > READINESS_MAX_AGE:
        reasons.append(
            Reason(
                "readiness_stale",
                f"The latest readiness assessment is more than 90 days old (submitted "
                f"{age.days} days ago): production needs one at most 90 days old.",
                {"age_days": age.days},
            )
        )
    return reasons


def gate_go_reasons(
    *,
    phase: int,
    item_keys: Sequence[str],
    item_labels: Mapping[str, str],
    items_met: Mapping[str, bool],
    previous_state: GateState | None,
    readiness: ReadinessFacts | None,
    decider_is_owner: bool,
    now: datetime,
    people: PeopleFacts | None = None,
    owner_message: str | None = None,
) -> list[Reason]:
    """Every reason a `go` on this gate is refused now; empty means go is allowed. Items that
    name a person who is no longer an active member (`people`) count as unmet. The decider is
    barred (`decider_is_owner`) while they own the agent, or for 90 days after owning it or
    changing its owner (`owner_message` says which)."""
    reasons = []
    gaps = people_gaps(people) if people is not None else {}
    gaps = {key: text for key, text in gaps.items() if key in item_keys}
    items_met = {**items_met, **dict.fromkeys(gaps, False)}
    if decider_is_owner:
        reasons.append(
            Reason(
                "owner_cannot_decide",
                owner_message
                or "You own this agent: another approver must decide (separation of duties).",
            )
        )
    missing = unmet_items(items_met, item_keys)
    if missing:
        reasons.append(
            Reason(
                "unmet_items",
                f"{len(missing)} checklist item(s) of phase {phase} not met: "
                + "; ".join(item_labels[k] for k in missing)
                + ".",
                {"items": missing},
            )
        )
    for key, text in gaps.items():
        reasons.append(Reason("needs_new_owner", text, {"item": key}))
    if phase > 1 and previous_state != "go":
        state = (previous_state or "pending").replace("_", " ")
        reasons.append(
            Reason(
                "previous_phase_not_go",
                f"Phase {phase - 1} is {state}: it must be at go first.",
                {"previous_phase": phase - 1, "previous_state": previous_state or "pending"},
            )
        )
    if phase == 4:
        reasons.extend(readiness_reasons(readiness, now))
    return reasons


def decision_version_reasons(*, sent_version: int | None, decided_before: bool) -> list[Reason]:
    """A decision is made only on a gate its author has seen: the first decision on a gate needs
    no version; any later one must carry the version the decider read (a stale one is refused
    by the service's optimistic update)."""
    if sent_version is None and decided_before:
        return [
            Reason(
                "version_required",
                "This gate has been decided before: send the version of the gate you read "
                "(its `version`), so that your decision lands only on what you saw.",
            )
        ]
    return []


def gate_no_go_reasons(*, decider_is_owner: bool, owner_message: str | None = None) -> list[Reason]:
    if decider_is_owner:
        return [
            Reason(
                "owner_cannot_decide",
                owner_message
                or "You own this agent: another approver must decide (separation of duties).",
            )
        ]
    return []


def agent_phase(states: Mapping[int, GateState]) -> int | str:
    """The lowest phase not at go, or "production" when all four are."""
    if not states:
        return 1
    for phase in sorted(states):
        if states[phase] != "go":
            return phase
    return PRODUCTION


def in_production(states: Mapping[int, GateState]) -> bool:
    return agent_phase(states) == PRODUCTION


def reassessment_due(readiness: ReadinessFacts | None, now: datetime) -> bool:
    """An agent in production is flagged when the latest assessment is no longer fit."""
    return bool(readiness_reasons(readiness, now))


def _suite_words(suite: str, counts: str | None, threshold: float | None) -> str:
    if counts is None:
        return f"The {suite} suite did not pass."
    if counts.startswith("0/0 "):
        return f"The {suite} suite ran no tests."
    if threshold is not None:
        return f"The {suite} suite did not reach the pass rate {threshold:g}%: {counts}."
    return f"The {suite} suite did not pass: {counts}."


def prompt_ship_reasons(
    *,
    regression_passed: bool,
    adversarial_passed: bool,
    delta: float,
    tolerance: float,
    regression_counts: str | None = None,
    adversarial_counts: str | None = None,
    pass_rate_threshold: float | None = None,
) -> list[Reason]:
    """Why a prompt version may not ship (empty: it may). Inputs are already validated
    (non-negative finite numbers). A suite sent as promptfoo's results comes with its counts in
    words (`gates.promptfoo.summary`), which the reason repeats."""
    reasons = []
    if not regression_passed:
        reasons.append(
            Reason(
                "regression_failed",
                _suite_words("regression", regression_counts, pass_rate_threshold),
            )
        )
    if not adversarial_passed:
        reasons.append(
            Reason(
                "adversarial_failed",
                _suite_words("adversarial", adversarial_counts, pass_rate_threshold),
            )
        )
    if not 0 <= delta <= tolerance:
        reasons.append(
            Reason(
                "delta_above_tolerance",
                f"The change delta {delta:g} is above the tolerance {tolerance:g}.",
                {"delta": delta, "tolerance": tolerance},
            )
        )
    return reasons
