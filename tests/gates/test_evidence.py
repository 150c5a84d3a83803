"""The computed checklist items (gates/evidence.py): for every item, the inputs that make it
met and those that leave it unmet, with the evidence shown."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates import evidence as ev
from gates.checklists import phases
from gates.evidence import Attestation, EvidenceFacts, PromptFacts, SuiteFacts

PROMPT = PromptFacts(
    tag="v7",
    regression=SuiteFacts(True, "48 of 48 passed"),
    adversarial=SuiteFacts(True, "120 of 120 passed"),
    delta=0.02,
    tolerance=0.05,
    rollback_target="v6",
    earlier_shipped=frozenset({"v5", "v6"}),
)

ALL_MET = EvidenceFacts(
    owner="olga",
    owner_active=True,
    decides_alone=2,
    escalates=1,
    escalation_paths=2,
    permissions=3,
    active_operators=1,
    live_runtime_tokens=1,
    prompt=PROMPT,
    api_calls_per_hour=1000,
    tokens_per_session=20000,
    sequential_actions=5,
    monthly_budget="$2,000.00",
    budget_alert_on=True,
    alerts_on={"error_rate": True, "escalation": True, "completion": True},
    auto_suspend_on=True,
    model_call_spans=10,
    tool_call_spans=4,
    quality_threshold_on=True,
    quality_evaluation_scores=3,
)


def state(facts, key):
    return ev.items(facts)[key]


def test_every_item_of_the_four_gates_is_computed():
    keys = {item.key for phase in phases().values() for item in phase.items}
    assert set(ev.items(EvidenceFacts())) == keys
    assert set(ev.items(ALL_MET)) == keys


def test_with_all_the_evidence_every_item_is_met():
    assert {k: s.met for k, s in ev.items(ALL_MET).items()} == dict.fromkeys(
        ev.items(ALL_MET), True
    )


def test_with_no_evidence_no_item_is_met():
    assert not any(s.met for s in ev.items(EvidenceFacts()).values())


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"owner": ""}, "owner_assigned", "No owner"),
        ({"owner_active": False}, "owner_assigned", "no longer an active member"),
        ({"decides_alone": 0}, "boundaries_documented", "0 decisions taken alone"),
        ({"escalates": 0}, "boundaries_documented", "at least one of each"),
        ({"escalation_paths": 0}, "escalation_owners_mapped", "No escalation path"),
        ({"inactive_escalation_owners": ("bob",)}, "escalation_owners_mapped", "(bob)"),
        ({"permissions": 0}, "least_privilege_justified", "No tool permission"),
        ({"unjustified_tools": ("crm",)}, "least_privilege_justified", "justification for crm"),
        ({"flagged_tools": ("crm",)}, "least_privilege_justified", "revocation: crm"),
        ({"unpermitted_tools_seen": ("shell",)}, "least_privilege_justified", "shell"),
        ({"active_operators": 0}, "kill_switch_designed", "operator role"),
        ({"live_runtime_tokens": 0}, "kill_switch_designed", "runtime token"),
        ({"prompt": None}, "prompt_version_tagged", "no current prompt version"),
        ({"api_calls_per_hour": None}, "api_call_limit", "No limit on API calls"),
        ({"tokens_per_session": None}, "token_spend_limit", "tokens per session"),
        ({"sequential_actions": None}, "sequential_actions_limit", "sequential actions"),
        ({"monthly_budget": None}, "budget_alerts", "No monthly budget"),
        ({"budget_alert_on": False}, "budget_alerts", "usage alert is off"),
        ({"alerts_on": {"error_rate": True, "completion": True}}, "alert_thresholds", "escal"),
        ({"alerts_on": {}}, "alert_thresholds", "error rate, escalation rate, completion rate"),
        ({"auto_suspend_on": False}, "auto_suspend", "switched off"),
        ({"model_call_spans": 0}, "tracing", "No spans of model calls"),
        ({"tool_call_spans": 0}, "tracing", "tool calls"),
        ({"quality_threshold_on": False}, "quality_threshold", "switched off"),
        ({"quality_evaluation_scores": 0}, "quality_threshold", "No quality score"),
    ],
)
def test_each_input_taken_away_unmeets_its_item_and_says_why(change, key, words):
    item = state(replace(ALL_MET, **change), key)
    assert item.met is False
    assert words in item.evidence
    others = {k: s.met for k, s in ev.items(replace(ALL_MET, **change)).items() if k != key}
    if key != "prompt_version_tagged":  # without a version, every phase-2 item is unmet
        assert all(others.values()), [k for k, m in others.items() if not m]


def test_the_phase_2_evidence_reads_as_a_reviewer_wants_it():
    items = ev.items(ALL_MET)
    assert items["regression_passed"].evidence == "v7: regression 48 of 48 passed."
    assert items["adversarial_passed"].evidence == "v7: adversarial 120 of 120 passed."
    assert items["delta_within_tolerance"].evidence == "v7: delta 0.02 ≤ tolerance 0.05."
    assert "Rolls back to v6" in items["rollback_plan"].evidence


@pytest.mark.parametrize(
    ("delta", "met"), [(0.0, True), (0.05, True), (0.0500001, False), (-0.01, False)]
)
def test_the_delta_is_within_tolerance_from_zero_to_the_tolerance_inclusive(delta, met):
    facts = replace(ALL_MET, prompt=replace(PROMPT, delta=delta))
    assert state(facts, "delta_within_tolerance").met is met


@pytest.mark.parametrize("suite", ["regression", "adversarial"])
def test_a_failed_suite_unmeets_its_item(suite):
    facts = replace(ALL_MET, prompt=replace(PROMPT, **{suite: SuiteFacts(False, "47 of 48")}))
    assert state(facts, f"{suite}_passed").met is False
    assert "47 of 48" in state(facts, f"{suite}_passed").evidence


def test_a_suite_sent_as_a_boolean_says_passed_or_failed():
    facts = replace(ALL_MET, prompt=replace(PROMPT, regression=SuiteFacts(True)))
    assert state(facts, "regression_passed").evidence == "v7: regression passed."


@pytest.mark.parametrize(
    ("target", "shipped", "first", "met"),
    [
        ("v6", {"v6"}, False, True),
        ("v6", set(), False, False),  # v6 never shipped
        ("v9", {"v6"}, False, False),  # not an earlier version
        ("", {"v6"}, False, False),
        ("manual fallback to the human queue", set(), True, True),  # a first version's fallback
        ("  ", set(), True, False),
    ],
)
def test_the_rollback_target_must_be_an_earlier_shipped_version(target, shipped, first, met):
    prompt = replace(
        PROMPT, rollback_target=target, earlier_shipped=frozenset(shipped), first_version=first
    )
    assert state(replace(ALL_MET, prompt=prompt), "rollback_plan").met is met


def test_telemetry_sources_are_observed_and_records_derived():
    items = ev.items(ALL_MET)
    assert items["tracing"].source == "observed"
    assert items["quality_threshold"].source == "observed"
    assert items["owner_assigned"].source == "derived"
    assert items["auto_suspend"].source == "derived"


def test_a_quality_score_from_a_snapshot_meets_the_item_as_derived():
    facts = replace(ALL_MET, quality_evaluation_scores=0, quality_snapshot_scores=1)
    item = state(facts, "quality_threshold")
    assert (item.met, item.source) == (True, "derived")


def test_a_tool_seen_without_a_permission_is_an_observed_fault():
    item = state(replace(ALL_MET, unpermitted_tools_seen=("shell",)), "least_privilege_justified")
    assert (item.met, item.source) == (False, "observed")


ATTESTED = {"tracing": Attestation("sam", "https://grafana.example/d/agent")}


def test_an_attestation_meets_tracing_when_telemetry_does_not():
    facts = replace(ALL_MET, model_call_spans=0, attestations=ATTESTED)
    item = state(facts, "tracing")
    assert (item.met, item.source) == (True, "attested")
    assert item.evidence == "Attested by sam: https://grafana.example/d/agent"


def test_the_observation_takes_the_attestations_place_once_telemetry_meets_it():
    item = state(replace(ALL_MET, attestations=ATTESTED), "tracing")
    assert (item.met, item.source) == (True, "observed")


def test_an_attestation_with_blank_evidence_counts_for_nothing():
    facts = replace(
        ALL_MET, model_call_spans=0, attestations={"tracing": Attestation("sam", "   ")}
    )
    assert state(facts, "tracing").met is False


def test_an_attestation_cannot_switch_the_quality_threshold_on():
    facts = replace(
        ALL_MET,
        quality_threshold_on=False,
        attestations={"quality_threshold": Attestation("sam", "evals in our own tool")},
    )
    assert state(facts, "quality_threshold").met is False


def test_an_attestation_meets_the_quality_item_without_scores():
    facts = replace(
        ALL_MET,
        quality_evaluation_scores=0,
        attestations={"quality_threshold": Attestation("sam", "weekly evals: wiki/evals")},
    )
    assert (state(facts, "quality_threshold").source) == "attested"


@pytest.mark.parametrize(
    ("key", "evidence", "by_owner", "words"),
    [
        ("owner_assigned", "link", False, "computed"),
        ("tracing", "link", True, "owner may not attest"),
        ("tracing", "", False, "Give the evidence"),
        ("quality_threshold", "  \n", False, "Give the evidence"),
    ],
)
def test_attestation_refusals(key, evidence, by_owner, words):
    assert words in ev.attestation_error(key, evidence, by_owner=by_owner)


@pytest.mark.parametrize("key", sorted(ev.ATTESTABLE))
def test_an_assessor_who_is_not_the_owner_may_attest_with_evidence(key):
    assert ev.attestation_error(key, "https://wiki.example/evidence", by_owner=False) is None


def test_went_unmet_names_only_items_that_were_met():
    after = ev.items(replace(ALL_MET, owner_active=False, auto_suspend_on=False))
    before = {"owner_assigned": True, "auto_suspend": False}
    assert ev.went_unmet(before, after) == ["owner_assigned"]


@given(
    st.builds(
        EvidenceFacts,
        owner=st.sampled_from(["", "olga"]),
        owner_active=st.booleans(),
        decides_alone=st.integers(0, 3),
        escalates=st.integers(0, 3),
        escalation_paths=st.integers(0, 3),
        permissions=st.integers(0, 3),
        active_operators=st.integers(0, 2),
        live_runtime_tokens=st.integers(0, 2),
        api_calls_per_hour=st.none() | st.integers(0, 10**6),
        model_call_spans=st.integers(0, 5),
        tool_call_spans=st.integers(0, 5),
        auto_suspend_on=st.booleans(),
    )
)
def test_items_always_answer_every_key_with_a_sentence(facts):
    items = ev.items(facts)
    assert len(items) == 18
    for item in items.values():
        assert item.evidence.strip()
        assert item.evidence.rstrip()[-1] in ".)"
        assert item.source in ("derived", "observed", "attested")
        assert item.source != "attested"  # no attestation given
