"""The gate and prompt-version rules of docs/rules.md §2 as pure functions (no database).

Every reason alone and all together, the 90-day edges with explicit UTC datetimes, and the phase
of an agent for every combination of gate states against an independent definition.
"""

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents import rules as agents_rules
from gates import rules
from gates.checklists import PHASES, phase_definition
from gates.rules import ReadinessFacts

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
NINETY_DAYS = timedelta(days=90)
STATES = ("pending", "go", "no_go", "needs_review")
NOT_GO = ("pending", "no_go", "needs_review")

FRESH_READY = ReadinessFacts("ready", 16, NOW - DAY)


def definition_args(phase: int) -> dict:
    definition = phase_definition(phase)
    return {
        "item_keys": definition.keys,
        "item_labels": {item.key: item.label for item in definition.items},
    }


def go_reasons(phase: int = 1, **overrides) -> list[agents_rules.Reason]:
    """gate_go_reasons with everything in order unless overridden."""
    args = {
        "phase": phase,
        **definition_args(phase),
        "items_met": dict.fromkeys(phase_definition(phase).keys, True),
        "previous_state": "go" if phase > 1 else None,
        "readiness": FRESH_READY,
        "decider_is_owner": False,
        "now": NOW,
    }
    args.update(overrides)
    return rules.gate_go_reasons(**args)


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


def only(reasons, code: str) -> agents_rules.Reason:
    found = [r for r in reasons if r.code == code]
    assert len(found) == 1, codes(reasons)
    return found[0]


# --- gate_go_reasons: nothing in the way ----------------------------------------------------


@pytest.mark.parametrize("phase", PHASES)
def test_go_is_allowed_when_every_item_is_met_and_the_previous_gate_is_at_go(phase):
    assert go_reasons(phase) == []


# --- owner_cannot_decide -----------------------------------------------------------------------


@pytest.mark.parametrize("phase", PHASES)
def test_the_agents_owner_cannot_decide_go_even_when_everything_else_is_in_order(phase):
    reasons = go_reasons(phase, decider_is_owner=True)

    assert codes(reasons) == ["owner_cannot_decide"]
    assert "separation of duties" in reasons[0].message


# --- unmet_items ----------------------------------------------------------------------------


def _subsets(keys):
    return [
        subset for size in range(1, len(keys) + 1) for subset in itertools.combinations(keys, size)
    ]


@pytest.mark.parametrize(
    ("phase", "unmet"),
    [(p, s) for p in PHASES for s in _subsets(phase_definition(p).keys)],
    ids=lambda v: "-".join(v) if isinstance(v, tuple) else str(v),
)
def test_unmet_items_list_exactly_the_unmet_keys_in_checklist_order(phase, unmet):
    # given the unmet items, handed over in reverse order
    keys = phase_definition(phase).keys
    items_met = {key: key not in unmet for key in reversed(keys)}

    # when
    reasons = go_reasons(phase, items_met=items_met)

    # then the only reason lists them in the checklist's order, and the message names their labels
    assert codes(reasons) == ["unmet_items"]
    reason = reasons[0]
    assert reason.extra["items"] == [k for k in keys if k in unmet]
    assert reason.message.startswith(f"{len(unmet)} checklist item(s) of phase {phase} not met")
    definition = phase_definition(phase)
    for key in keys:
        label = definition.label(key)
        assert (label in reason.message) == (key in unmet), label


@pytest.mark.parametrize("phase", PHASES)
def test_an_item_missing_from_the_facts_counts_as_unmet(phase):
    keys = phase_definition(phase).keys

    reasons = go_reasons(phase, items_met={})

    assert only(reasons, "unmet_items").extra["items"] == list(keys)


def test_facts_about_keys_outside_the_checklist_are_ignored():
    keys = phase_definition(1).keys
    items_met = {**dict.fromkeys(keys, True), "not_a_phase_1_item": False}

    assert go_reasons(1, items_met=items_met) == []


def test_unmet_items_helper_keeps_checklist_order_and_treats_missing_as_unmet():
    assert rules.unmet_items({"c": False, "a": True}, ["a", "b", "c"]) == ["b", "c"]
    assert rules.unmet_items({}, []) == []


# --- previous_phase_not_go ----------------------------------------------------------------------


@pytest.mark.parametrize("phase", [2, 3, 4])
@pytest.mark.parametrize("previous", NOT_GO)
def test_go_needs_the_previous_phase_at_go(phase, previous):
    reasons = go_reasons(phase, previous_state=previous)

    assert codes(reasons) == ["previous_phase_not_go"]
    assert reasons[0].extra == {"previous_phase": phase - 1, "previous_state": previous}
    assert f"Phase {phase - 1} is {previous.replace('_', ' ')}" in reasons[0].message


@pytest.mark.parametrize("phase", [2, 3, 4])
def test_an_unknown_previous_state_is_reported_as_pending(phase):
    reasons = go_reasons(phase, previous_state=None)

    assert only(reasons, "previous_phase_not_go").extra["previous_state"] == "pending"


@pytest.mark.parametrize("previous", [None, *STATES])
def test_phase_one_has_no_previous_phase_to_wait_for(previous):
    assert go_reasons(1, previous_state=previous) == []


# --- phase 4: readiness --------------------------------------------------------------------------


def test_phase_4_needs_a_submitted_readiness_assessment():
    reasons = go_reasons(4, readiness=None)

    assert codes(reasons) == ["readiness_missing"]


@pytest.mark.parametrize("verdict", ["not_ready", "blocked"])
def test_phase_4_needs_the_latest_assessment_to_be_ready(verdict):
    reasons = go_reasons(4, readiness=ReadinessFacts(verdict, 12, NOW - DAY))

    assert codes(reasons) == ["readiness_not_ready"]
    assert reasons[0].extra == {"verdict": verdict}
    assert verdict.replace("_", " ") in reasons[0].message
    assert "12/20" in reasons[0].message


def test_phase_4_needs_the_latest_assessment_at_most_90_days_old():
    reasons = go_reasons(4, readiness=ReadinessFacts("ready", 16, NOW - 120 * DAY))

    assert codes(reasons) == ["readiness_stale"]
    assert reasons[0].extra == {"age_days": 120}


def test_a_stale_not_ready_assessment_gives_both_reasons():
    reasons = go_reasons(4, readiness=ReadinessFacts("blocked", 8, NOW - 200 * DAY))

    assert codes(reasons) == ["readiness_not_ready", "readiness_stale"]


@pytest.mark.parametrize(
    ("age", "allowed"),
    [
        (timedelta(0), True),
        (89 * DAY, True),
        (NINETY_DAYS - SECOND, True),
        (NINETY_DAYS, True),  # "90 days included"
        (NINETY_DAYS + timedelta(microseconds=1), False),
        (NINETY_DAYS + SECOND, False),
        (91 * DAY, False),
    ],
)
def test_the_90_day_edge_counts_from_submission_to_the_decision(age, allowed):
    # given a ready assessment submitted `age` before the decision
    readiness = ReadinessFacts("ready", 14, datetime(2026, 3, 3, 9, 30, tzinfo=UTC))
    now = readiness.submitted_at + age

    # when / then
    reasons = go_reasons(4, readiness=readiness, now=now)
    assert codes(reasons) == ([] if allowed else ["readiness_stale"])


def test_submitted_exactly_90_days_before_now_is_allowed_and_one_second_more_is_stale():
    submitted = datetime(2026, 3, 3, 12, 0, 0, tzinfo=UTC)
    ready = ReadinessFacts("ready", 14, submitted)

    assert go_reasons(4, readiness=ready, now=datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)) == []
    assert codes(
        go_reasons(4, readiness=ready, now=datetime(2026, 6, 1, 12, 0, 1, tzinfo=UTC))
    ) == ["readiness_stale"]


def test_the_90_day_edge_holds_across_time_zones():
    # submitted 09:00 in New York summer time (UTC-4) is 13:00 UTC
    from zoneinfo import ZoneInfo

    submitted = datetime(2026, 3, 20, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    ready = ReadinessFacts("ready", 14, submitted)
    edge = submitted.astimezone(UTC) + NINETY_DAYS

    assert go_reasons(4, readiness=ready, now=edge) == []
    assert codes(go_reasons(4, readiness=ready, now=edge + SECOND)) == ["readiness_stale"]


@pytest.mark.parametrize("phase", [1, 2, 3])
@pytest.mark.parametrize(
    "readiness",
    [
        None,
        ReadinessFacts("not_ready", 10, NOW - DAY),
        ReadinessFacts("blocked", 8, NOW - DAY),
        ReadinessFacts("ready", 16, NOW - 365 * DAY),
    ],
)
def test_readiness_is_irrelevant_before_phase_4(phase, readiness):
    assert go_reasons(phase, readiness=readiness) == []


# --- all together ------------------------------------------------------------------------------


def test_every_reason_is_listed_together_in_a_stable_order():
    reasons = go_reasons(
        4,
        decider_is_owner=True,
        items_met={"tracing": True},
        previous_state="needs_review",
        readiness=ReadinessFacts("not_ready", 13, NOW - 100 * DAY),
    )

    assert codes(reasons) == [
        "owner_cannot_decide",
        "unmet_items",
        "previous_phase_not_go",
        "readiness_not_ready",
        "readiness_stale",
    ]
    assert only(reasons, "unmet_items").extra["items"] == [
        "alert_thresholds",
        "auto_suspend",
        "quality_threshold",
    ]


def test_every_reason_with_readiness_missing():
    reasons = go_reasons(
        4, decider_is_owner=True, items_met={}, previous_state="no_go", readiness=None
    )

    assert codes(reasons) == [
        "owner_cannot_decide",
        "unmet_items",
        "previous_phase_not_go",
        "readiness_missing",
    ]


def test_every_reason_has_a_message_people_can_act_on():
    reasons = go_reasons(
        4, decider_is_owner=True, items_met={}, previous_state="pending", readiness=None
    )

    assert all(r.message.strip() for r in reasons)


# --- gate_no_go_reasons ------------------------------------------------------------------------


def test_no_go_is_refused_only_to_the_agents_owner():
    assert rules.gate_no_go_reasons(decider_is_owner=False) == []
    assert codes(rules.gate_no_go_reasons(decider_is_owner=True)) == ["owner_cannot_decide"]


# --- agent_phase / in_production ---------------------------------------------------------------


def reference_phase(states: dict[int, str]):
    """Independent definition: the first of 1..4 whose gate is not at go, else production."""
    not_go = [p for p in (1, 2, 3, 4) if states[p] != "go"]
    return min(not_go) if not_go else "production"


ALL_COMBINATIONS = [
    dict(zip(PHASES, combo, strict=True)) for combo in itertools.product(STATES, repeat=4)
]


def test_there_are_256_combinations_of_gate_states():
    assert len(ALL_COMBINATIONS) == 4**4


@pytest.mark.parametrize("states", ALL_COMBINATIONS, ids=lambda s: "-".join(s.values()))
def test_agent_phase_is_the_lowest_phase_not_at_go(states):
    expected = reference_phase(states)

    assert rules.agent_phase(states) == expected
    assert rules.in_production(states) is (expected == "production")
    # the order the gates are handed over in does not matter
    assert rules.agent_phase(dict(reversed(states.items()))) == expected


def test_only_all_four_gates_at_go_is_production():
    in_production = [s for s in ALL_COMBINATIONS if rules.in_production(s)]

    assert in_production == [dict.fromkeys(PHASES, "go")]
    assert rules.PRODUCTION == "production"


gate_states = st.fixed_dictionaries({p: st.sampled_from(STATES) for p in PHASES})


@given(states=gate_states)
def test_an_agents_phase_is_never_a_phase_whose_gate_is_at_go(states):
    phase = rules.agent_phase(states)

    if phase == "production":
        assert all(s == "go" for s in states.values())
    else:
        assert states[phase] != "go"
        assert all(states[p] == "go" for p in PHASES if p < phase)


@given(states=gate_states, phase=st.sampled_from(PHASES), state=st.sampled_from(NOT_GO))
def test_taking_a_gate_off_go_never_moves_the_agent_forward(states, phase, state):
    def rank(p):
        return 5 if p == "production" else p

    before = rules.agent_phase(states)
    after = rules.agent_phase({**states, phase: state})

    assert rank(after) <= rank(before)
    assert not rules.in_production({**states, phase: state})


# --- hypothesis: go reasons -------------------------------------------------------------------


@st.composite
def gate_facts(draw):
    phase = draw(st.sampled_from(PHASES))
    keys = phase_definition(phase).keys
    submitted = NOW - timedelta(seconds=draw(st.integers(0, 200 * 86400)))
    return {
        "phase": phase,
        "items_met": {k: draw(st.booleans()) for k in keys},
        "previous_state": draw(st.sampled_from(STATES)) if phase > 1 else None,
        "readiness": draw(
            st.none()
            | st.builds(
                ReadinessFacts,
                st.sampled_from(["ready", "not_ready", "blocked"]),
                st.integers(4, 20),
                st.just(submitted),
            )
        ),
        "decider_is_owner": draw(st.booleans()),
    }


@given(facts=gate_facts(), data=st.data())
def test_meeting_one_more_item_never_adds_a_reason(facts, data):
    phase = facts["phase"]
    key = data.draw(st.sampled_from(phase_definition(phase).keys))
    before = go_reasons(**facts)

    after = go_reasons(**{**facts, "items_met": {**facts["items_met"], key: True}})

    assert set(codes(after)) <= set(codes(before))
    before_items = [r.extra["items"] for r in before if r.code == "unmet_items"]
    after_items = [r.extra["items"] for r in after if r.code == "unmet_items"]
    if after_items:
        assert after_items[0] == [k for k in before_items[0] if k != key]


@given(facts=gate_facts())
def test_go_reasons_are_empty_exactly_when_every_rule_holds(facts):
    phase = facts["phase"]
    readiness = facts["readiness"]
    expected_ok = (
        not facts["decider_is_owner"]
        and all(facts["items_met"].values())
        and (phase == 1 or facts["previous_state"] == "go")
        and (
            phase < 4
            or (
                readiness is not None
                and readiness.verdict == "ready"
                and NOW - readiness.submitted_at <= NINETY_DAYS
            )
        )
    )

    assert (go_reasons(**facts) == []) is expected_ok


@given(facts=gate_facts())
def test_the_owner_reason_appears_exactly_when_the_decider_owns_the_agent(facts):
    assert ("owner_cannot_decide" in codes(go_reasons(**facts))) is facts["decider_is_owner"]


# --- readiness_reasons / reassessment_due ----------------------------------------------------


@pytest.mark.parametrize(
    ("readiness", "due"),
    [
        (None, True),
        (ReadinessFacts("ready", 14, NOW - NINETY_DAYS), False),
        (ReadinessFacts("ready", 14, NOW - NINETY_DAYS - SECOND), True),
        (ReadinessFacts("not_ready", 13, NOW - DAY), True),
        (ReadinessFacts("blocked", 17, NOW - DAY), True),
    ],
)
def test_a_reassessment_is_due_when_the_latest_is_missing_not_ready_or_over_90_days(readiness, due):
    assert rules.reassessment_due(readiness, NOW) is due
    assert bool(rules.readiness_reasons(readiness, NOW)) is due


# --- prompt_ship_reasons ---------------------------------------------------------------------


def ship(regression=True, adversarial=True, delta=0.1, tolerance=0.2):
    return codes(
        rules.prompt_ship_reasons(
            regression_passed=regression,
            adversarial_passed=adversarial,
            delta=delta,
            tolerance=tolerance,
        )
    )


@pytest.mark.parametrize(
    ("regression", "adversarial", "expected"),
    [
        (True, True, []),
        (False, True, ["regression_failed"]),
        (True, False, ["adversarial_failed"]),
        (False, False, ["regression_failed", "adversarial_failed"]),
    ],
)
def test_a_prompt_version_ships_only_when_both_suites_passed(regression, adversarial, expected):
    assert ship(regression, adversarial) == expected


@pytest.mark.parametrize(
    ("delta", "tolerance", "ships"),
    [
        (0, 0, True),
        (0.0, 0.0, True),
        (0, 0.5, True),
        (0.05, 0.05, True),  # delta == tolerance ships
        (0.1, 0.1, True),
        (1, 1, True),
        (10**12, 10**12, True),
        (0.05, 0.05 + 1e-12, True),
        (0.05 + 1e-12, 0.05, False),
        (math.nextafter(0.05, 1), 0.05, False),  # the tiniest step above
        (math.nextafter(0.0, 1), 0.0, False),
        (0.3, 0.2, False),
    ],
)
def test_the_delta_must_be_within_the_tolerance(delta, tolerance, ships):
    reasons = ship(delta=delta, tolerance=tolerance)

    assert reasons == ([] if ships else ["delta_above_tolerance"])


def test_a_failing_version_lists_every_reason_with_the_numbers():
    reasons = rules.prompt_ship_reasons(
        regression_passed=False, adversarial_passed=False, delta=0.3, tolerance=0.2
    )

    assert codes(reasons) == ["regression_failed", "adversarial_failed", "delta_above_tolerance"]
    assert reasons[2].extra == {"delta": 0.3, "tolerance": 0.2}
    assert "0.3" in reasons[2].message
    assert "0.2" in reasons[2].message


@given(
    regression=st.booleans(),
    adversarial=st.booleans(),
    delta=st.floats(0, 10**12),
    tolerance=st.floats(0, 10**12),
)
def test_a_version_ships_exactly_when_both_passed_and_delta_within_tolerance(
    regression, adversarial, delta, tolerance
):
    ships = ship(regression, adversarial, delta, tolerance) == []

    assert ships is (regression and adversarial and 0 <= delta <= tolerance)


# --- decision_version_reasons ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_version", "decided_before", "codes"),
    [
        (None, False, []),  # the first decision on a gate needs no version
        (None, True, ["version_required"]),  # a later one must say what it saw
        (3, True, []),  # with a version (a stale one is the service's optimistic update)
        (1, False, []),
    ],
)
def test_a_later_decision_must_carry_the_version_its_author_read(
    sent_version, decided_before, codes
):
    reasons = rules.decision_version_reasons(
        sent_version=sent_version, decided_before=decided_before
    )

    assert [r.code for r in reasons] == codes
