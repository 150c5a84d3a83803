"""Checklist items computed from evidence, wired (docs/rules.md §2): every item is met by its
inputs and unmet without them; a change of those inputs through a service sends a gate at go
to needs_review naming the item, in one audited step; time alone is caught by the scheduled
recheck; only tracing and the quality threshold may be attested, with evidence and not by the
owner. The pure rules are tested in test_evidence.py."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts import services as accounts_services
from agents.models import Agent, DecisionBoundary, ToolPermission
from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_verify
from core.errors import Conflict, InvalidInput
from gates import services as gates_services
from gates import tasks as gates_tasks
from gates.checklists import PHASES, phase_definition
from gates.evidence_sources import registered
from gates.models import ChecklistItem, Gate
from gates.selectors import agent_evidence, evidence_of_many
from outcomes import services as outcome_services
from overview import services as overview_services
from telemetry.models import TelemetryHour
from tests.factories import (
    AgentFactory,
    AgentTokenFactory,
    MetricSnapshotFactory,
    PromptPayloadFactory,
    PromptVersionFactory,
    SnapshotPayloadFactory,
)
from tests.factories_telemetry import TelemetryToolHourFactory
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db

ALL_KEYS = [key for phase in PHASES for key in phase_definition(phase).keys]


@pytest.fixture(autouse=True)
def chain_verifies(db):
    yield
    assert audit_verify() == []


@pytest.fixture
def live(refund_bot, to_production, operator):
    """The Refund bot in production: every gate at go on its evidence."""
    return to_production(refund_bot)


def states(agent):
    return Gate.objects.filter(agent=agent).order_by("phase").values_list("state", flat=True)


def review_entries(agent):
    entries = AuditEntry.objects.filter(action=Action.GATE_NEEDS_REVIEW, object_id=str(agent.pk))
    return list(entries.order_by("id"))


def assert_sent(agent, phase, key):
    """The gate went to needs_review in one audited step that names the item."""
    gate = Gate.objects.get(agent=agent, phase=phase)
    assert gate.state == Gate.State.NEEDS_REVIEW
    label = phase_definition(phase).label(key)
    assert label in gate.review_reason
    entries = [e for e in review_entries(agent) if e.after["phase"] == phase]
    assert len(entries) == 1
    assert key in entries[0].after["items"]


def test_both_higher_rooms_register_their_evidence():
    assert registered() == ["outcomes", "telemetry"]


def test_an_agent_with_its_evidence_meets_all_eighteen_items(live):
    items = agent_evidence(agent=live)
    assert sorted(items) == sorted(ALL_KEYS)
    assert {k: s.met for k, s in items.items() if not s.met} == {}
    assert items["tracing"].source == "observed"
    assert items["owner_assigned"].source == "derived"
    assert list(states(live)) == ["go"] * 4


def test_a_new_agent_meets_only_what_defaults_give(refund_bot):
    items = agent_evidence(agent=refund_bot)
    met = sorted(k for k, s in items.items() if s.met)
    # The owner is a member; thresholds and automatic suspension are on by default.
    assert met == ["alert_thresholds", "auto_suspend", "owner_assigned"]


def test_items_of_many_agents_are_read_in_a_constant_number_of_queries(
    assessor, django_assert_max_num_queries
):
    agents = [provide_evidence(AgentFactory(owned_by=assessor)) for _ in range(3)]
    with django_assert_max_num_queries(14) as small:
        evidence_of_many(list(Agent.objects.select_related("owner")))
    for _ in range(7):
        provide_evidence(AgentFactory(owned_by=assessor))
    with django_assert_max_num_queries(len(small.captured_queries)):
        result = evidence_of_many(list(Agent.objects.select_related("owner")))
    assert len(result) == 10
    assert all(s.met for s in result[agents[0].pk].values())


# --- each item: met by its inputs, unmet without them, a change sends a gate at go to review --


def test_owner_assigned_unmet_when_the_owner_is_deactivated(live, owner, admin):
    accounts_services.member_set_active(membership=owner, active=False, by=admin.user)
    assert not agent_evidence(agent=live)["owner_assigned"].met
    assert_sent(live, 1, "owner_assigned")


def test_boundaries_documented_needs_one_of_each_kind(live, assessor):
    overview_services.agent_update(
        agent=live,
        membership=assessor,
        data={"decision_boundaries": [{"decision": "Refund under 50 EUR", "mode": "alone"}]},
    )
    state = agent_evidence(agent=live)["boundaries_documented"]
    assert not state.met
    assert "0 decisions that escalate" in state.evidence
    assert_sent(live, 1, "boundaries_documented")


def test_escalation_owners_mapped_unmet_without_a_path(live, assessor):
    overview_services.agent_update(agent=live, membership=assessor, data={"escalation_paths": []})
    assert not agent_evidence(agent=live)["escalation_owners_mapped"].met
    assert_sent(live, 1, "escalation_owners_mapped")


def test_escalation_owners_mapped_unmet_when_a_path_owner_leaves(live, assessor, admin, viewer):
    overview_services.agent_update(
        agent=live,
        membership=assessor,
        data={"escalation_paths": [{"failure_state": "Timeout", "owner": "vic"}]},
    )
    # The change above sent phase 1 to review; as if an approver decided it again:
    Gate.objects.filter(agent=live, phase=1).update(state=Gate.State.GO)
    accounts_services.member_remove(membership=viewer, by=admin.user)
    state = agent_evidence(agent=live)["escalation_owners_mapped"]
    assert not state.met
    assert "vic" in state.evidence
    assert Gate.objects.get(agent=live, phase=1).state == Gate.State.NEEDS_REVIEW


def test_least_privilege_unmet_for_a_permission_without_justification(live, assessor):
    overview_services.agent_update(
        agent=live,
        membership=assessor,
        data={"tool_permissions": [{"tool": "CRM", "access": "read", "justification": ""}]},
    )
    state = agent_evidence(agent=live)["least_privilege_justified"]
    assert not state.met
    assert "CRM" in state.evidence
    assert_sent(live, 1, "least_privilege_justified")


def test_least_privilege_unmet_for_a_tool_seen_in_telemetry_without_a_permission(live):
    TelemetryToolHourFactory(agent=live, tool="payments", hour=timezone.now())
    state = agent_evidence(agent=live)["least_privilege_justified"]
    assert not state.met
    assert "payments" in state.evidence
    assert state.source == "observed"


def test_least_privilege_unmet_once_a_permission_is_flagged_after_90_days(live):
    ToolPermission.objects.filter(agent=live).update(
        last_used=timezone.now().date() - timedelta(days=91)
    )
    state = agent_evidence(agent=live)["least_privilege_justified"]
    assert not state.met
    assert "flagged for revocation" in state.evidence.lower()


def test_kill_switch_designed_needs_an_operator_and_a_live_runtime_token(live, operator, org):
    accounts_services.member_set_roles(organization=org, username="otto", roles={"viewer"})
    state = agent_evidence(agent=live)["kill_switch_designed"]
    assert not state.met
    assert "operator" in state.evidence
    assert_sent(live, 1, "kill_switch_designed")


def test_kill_switch_designed_unmet_when_every_runtime_token_is_revoked(live):
    live.tokens.update(revoked_at=timezone.now())
    state = agent_evidence(agent=live)["kill_switch_designed"]
    assert not state.met
    assert "runtime token" in state.evidence
    AgentTokenFactory(agent=live)
    assert agent_evidence(agent=live)["kill_switch_designed"].met


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"regression_passed": False}, "regression_passed"),
        ({"adversarial_passed": False}, "adversarial_passed"),
        ({"delta": 0.2}, "delta_within_tolerance"),
    ],
)
def test_prompt_items_read_the_current_version(refund_bot, change, key):
    version = PromptVersionFactory(agent=refund_bot, tag="v3", **change)
    Agent.objects.filter(pk=refund_bot.pk).update(current_prompt=version)
    items = agent_evidence(agent=refund_bot)
    assert items["prompt_version_tagged"].met
    assert not items[key].met
    assert "v3" in items[key].evidence


def test_prompt_items_all_unmet_without_a_current_version(refund_bot):
    items = agent_evidence(agent=refund_bot)
    for key in phase_definition(2).keys:
        assert not items[key].met
        assert items[key].evidence == "The agent has no current prompt version."


def test_suite_counts_from_promptfoo_results_are_the_evidence(refund_bot):
    results = {"passed": 48, "failed": 0, "errors": 0, "outcomes": {}}
    version = PromptVersionFactory(agent=refund_bot, tag="v7", regression_results=results)
    Agent.objects.filter(pk=refund_bot.pk).update(current_prompt=version)
    assert agent_evidence(agent=refund_bot)["regression_passed"].evidence == (
        "v7: regression 48/48 passed."
    )


def test_rollback_plan_to_a_version_never_shipped_sends_phase_2_to_review(live, assessor):
    gates_services.prompt_version_post(
        agent=live,
        membership=assessor,
        data=PromptPayloadFactory(tag="v2", delta=0.01, rollback_target="v-never"),
    )
    assert not agent_evidence(agent=live)["rollback_plan"].met
    assert_sent(live, 2, "rollback_plan")


def test_rollback_plan_met_by_an_earlier_shipped_version(live, assessor):
    gates_services.prompt_version_post(
        agent=live,
        membership=assessor,
        data=PromptPayloadFactory(tag="v2", delta=0.01, rollback_target="baseline"),
    )
    state = agent_evidence(agent=live)["rollback_plan"]
    assert state.met
    assert "baseline" in state.evidence


@pytest.mark.parametrize(
    ("limit", "key"),
    [
        ("api_calls_per_hour", "api_call_limit"),
        ("tokens_per_session", "token_spend_limit"),
        ("sequential_actions_before_confirmation", "sequential_actions_limit"),
        ("monthly_budget", "budget_alerts"),
    ],
)
def test_each_guardrail_unset_sends_phase_3_to_review(live, assessor, limit, key):
    overview_services.agent_update(
        agent=live, membership=assessor, data={"guardrails": {limit: None}}
    )
    assert not agent_evidence(agent=live)[key].met
    assert_sent(live, 3, key)


def test_budget_alerts_unmet_when_the_budget_alert_is_switched_off(live, admin):
    outcome_services.thresholds_update(
        agent=live, membership=admin, data={"budget_alert_percent": None}
    )
    state = agent_evidence(agent=live)["budget_alerts"]
    assert not state.met
    assert "alert is off" in state.evidence
    assert_sent(live, 3, "budget_alerts")


def test_budget_alert_percent_is_editable_per_agent(live, admin):
    outcome_services.thresholds_update(
        agent=live, membership=admin, data={"budget_alert_percent": 90}
    )
    state = agent_evidence(agent=live)["budget_alerts"]
    assert state.met
    assert "90 %" in state.evidence


@pytest.mark.parametrize("value", [0, 101, 12.5, True, "80"])
def test_a_bad_budget_alert_percent_is_400_and_nothing_changes(live, admin, value):
    with pytest.raises(InvalidInput) as error:
        outcome_services.thresholds_update(
            agent=live, membership=admin, data={"budget_alert_percent": value}
        )
    assert "budget_alert_percent" in error.value.errors
    assert list(states(live)) == ["go"] * 4


@pytest.mark.parametrize(
    "switch", ["alert_error_rate_on", "alert_escalation_on", "alert_completion_on"]
)
def test_alert_thresholds_unmet_when_an_admin_switches_one_off(live, admin, switch):
    outcome_services.thresholds_update(agent=live, membership=admin, data={switch: False})
    assert not agent_evidence(agent=live)["alert_thresholds"].met
    assert_sent(live, 4, "alert_thresholds")


def post_a_week_of_errors(agent, member) -> dict:
    """Last week's snapshot with a 30 % error rate (the alert is at 10 %)."""
    end = timezone.now().date() - timedelta(days=1)
    return outcome_services.metric_snapshot_post(
        agent=agent,
        membership=member,
        data=SnapshotPayloadFactory(
            period_start=(end - timedelta(days=6)).isoformat(),
            period_end=end.isoformat(),
            tasks=100,
            tasks_completed=90,
            escalations=5,
            errors=30,
        ),
    )


def test_auto_suspend_off_unmeets_its_item_and_a_breach_no_longer_suspends(live, admin, operator):
    outcome_services.thresholds_update(agent=live, membership=admin, data={"auto_suspend": False})
    assert not agent_evidence(agent=live)["auto_suspend"].met
    assert_sent(live, 4, "auto_suspend")
    result = post_a_week_of_errors(live, operator)
    assert [b.threshold for b in result["breaches"]] == ["error_rate"]
    assert result["suspended"] is False
    assert Agent.objects.get(pk=live.pk).state == Agent.State.ACTIVE


def test_an_alert_switched_off_does_not_fire(live, admin, operator):
    outcome_services.thresholds_update(
        agent=live, membership=admin, data={"alert_error_rate_on": False}
    )
    result = post_a_week_of_errors(live, operator)
    assert result["breaches"] == []


def test_switching_a_threshold_off_is_an_admins_audited_change(live, assessor, admin):
    from core.errors import Forbidden

    with pytest.raises(Forbidden):
        outcome_services.thresholds_update(
            agent=live, membership=assessor, data={"auto_suspend": False}
        )
    outcome_services.thresholds_update(agent=live, membership=admin, data={"auto_suspend": False})
    entry = AuditEntry.objects.filter(action=Action.AGENT_THRESHOLDS_CHANGED).get()
    assert entry.before == {"auto_suspend": True}
    assert entry.after == {"auto_suspend": False}


def test_quality_threshold_met_by_a_recent_snapshot_score(refund_bot):
    end = timezone.now().date() - timedelta(days=3)
    MetricSnapshotFactory(
        agent=refund_bot, period_start=end - timedelta(days=6), period_end=end, quality_score=0.9
    )
    state = agent_evidence(agent=refund_bot)["quality_threshold"]
    assert state.met
    assert state.source == "derived"
    assert "metric snapshot" in state.evidence


def test_quality_threshold_unmet_when_switched_off(live, admin):
    outcome_services.thresholds_update(
        agent=live, membership=admin, data={"alert_quality_on": False}
    )
    assert not agent_evidence(agent=live)["quality_threshold"].met
    assert_sent(live, 4, "quality_threshold")


def test_tracing_needs_both_model_and_tool_call_spans(refund_bot):
    TelemetryHour.objects.create(
        agent=refund_bot,
        hour=timezone.now().replace(minute=0, second=0, microsecond=0),
        model_calls=5,
        tool_calls=0,
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    )
    state = agent_evidence(agent=refund_bot)["tracing"]
    assert not state.met
    assert "tool calls" in state.evidence


# --- the scheduled recheck: what time alone changes ------------------------------------------


def test_the_scheduled_recheck_sends_gates_whose_evidence_aged(live):
    assert gates_tasks.recheck() == 0
    assert list(states(live)) == ["go"] * 4
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        # Spans older than 7 days; phase 4's quality scores are still within 30 days.
        assert gates_tasks.recheck() == 1
        assert_sent(live, 4, "tracing")
        assert Gate.objects.get(agent=live, phase=4).review_reason.startswith("No longer met")
    with time_machine.travel(timezone.now() + timedelta(days=92), tick=False):
        # 90 days on, the tool permission is flagged: phase 1 goes too, and only once.
        assert gates_tasks.recheck() == 1
        assert gates_tasks.recheck() == 0
        assert_sent(live, 1, "least_privilege_justified")
    entry = review_entries(live)[0]
    assert entry.actor is None


def test_the_recheck_leaves_a_gate_whose_items_are_met(live):
    assert gates_services.gates_recheck(agents=[live]) == []
    assert review_entries(live) == []


# --- attestations ----------------------------------------------------------------------------


def test_tracing_may_be_attested_with_evidence(refund_bot, make_member, org):
    attester = make_member(org, "assessor", username="ines")
    gates_services.checklist_update(
        agent=refund_bot,
        phase=4,
        membership=attester,
        changes={"tracing": {"met": True, "evidence": "https://traces.example/refund-bot"}},
    )
    state = agent_evidence(agent=refund_bot)["tracing"]
    assert state.met
    assert state.source == "attested"
    assert "ines" in state.evidence
    assert "traces.example" in state.evidence
    entry = AuditEntry.objects.filter(action=Action.GATE_CHECKLIST_CHANGED).get()
    assert entry.after["items"]["tracing"]["met"] is True


def test_an_observation_takes_the_attestations_place(refund_bot, make_member, org):
    attester = make_member(org, "assessor", username="ines")
    gates_services.checklist_update(
        agent=refund_bot,
        phase=4,
        membership=attester,
        changes={"tracing": {"met": True, "evidence": "In Datadog"}},
    )
    provide_evidence(refund_bot, 4)
    assert agent_evidence(agent=refund_bot)["tracing"].source == "observed"


@pytest.mark.parametrize("evidence", [None, "", "   "])
def test_an_attestation_without_evidence_is_refused(refund_bot, make_member, org, evidence):
    attester = make_member(org, "assessor", username="ines")
    change = {"met": True} if evidence is None else {"met": True, "evidence": evidence}
    with pytest.raises(InvalidInput) as error:
        gates_services.checklist_update(
            agent=refund_bot, phase=4, membership=attester, changes={"tracing": change}
        )
    assert "tracing.evidence" in error.value.errors
    assert not ChecklistItem.objects.filter(gate__agent=refund_bot, met=True).exists()


def test_the_owner_may_not_attest(refund_bot, org, owner):
    owner.set_roles({"assessor"})
    owner.save()
    with pytest.raises(Conflict) as error:
        gates_services.checklist_update(
            agent=refund_bot,
            phase=4,
            membership=owner,
            changes={"quality_threshold": {"met": True, "evidence": "Eval report"}},
        )
    assert error.value.codes == {"owner_cannot_attest"}


@pytest.mark.parametrize("key", ["owner_assigned", "auto_suspend", "alert_thresholds"])
def test_a_computed_item_cannot_be_set_by_hand(refund_bot, assessor, key):
    phase = next(p for p in PHASES if key in phase_definition(p).keys)
    with pytest.raises(InvalidInput) as error:
        gates_services.checklist_update(
            agent=refund_bot,
            phase=phase,
            membership=assessor,
            changes={key: {"met": True, "evidence": "trust me"}},
        )
    assert "cannot be set by hand" in error.value.errors[key][0]


def test_withdrawing_an_attestation_at_go_sends_phase_4_to_review(
    refund_bot, to_production, make_member, org
):
    live = to_production(refund_bot)
    attester = make_member(org, "assessor", username="ines")
    gates_services.checklist_update(
        agent=live,
        phase=4,
        membership=attester,
        changes={"quality_threshold": {"met": True, "evidence": "Eval report Q3"}},
    )
    with time_machine.travel(timezone.now() + timedelta(days=40), tick=False):
        assert gates_tasks.recheck() == 1  # tracing aged; the attested quality item holds
        assert agent_evidence(agent=live)["quality_threshold"].source == "attested"
        Gate.objects.filter(agent=live, phase=4).update(state=Gate.State.GO)
        gates_services.checklist_update(
            agent=live, phase=4, membership=attester, changes={"quality_threshold": {"met": False}}
        )
    assert Gate.objects.get(agent=live, phase=4).state == Gate.State.NEEDS_REVIEW
    assert "quality_threshold" in review_entries(live)[-1].after["items"]


# --- the decision records what it saw --------------------------------------------------------


def test_a_go_stores_the_evidence_it_was_decided_on(live):
    decision = Gate.objects.get(agent=live, phase=2).decisions.get()
    keys = [item["key"] for item in decision.evidence]
    assert keys == list(phase_definition(2).keys)
    assert all(item["met"] for item in decision.evidence)


def test_a_go_without_the_evidence_is_refused_naming_the_items(refund_bot, approver):
    with pytest.raises(Conflict) as error:
        gates_services.gate_decide(
            agent=refund_bot, phase=1, membership=approver, decision="go", rationale="Looks fine"
        )
    reason = next(r for r in error.value.reasons if r.code == "unmet_items")
    assert "boundaries_documented" in reason.extra["items"]
    assert DecisionBoundary.objects.filter(agent=refund_bot).count() == 0


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"regression_passed": False}, "regression_passed"),
        ({"adversarial_passed": False}, "adversarial_passed"),
        ({"delta": 0.2}, "delta_within_tolerance"),
        ({"rollback_target": ""}, "rollback_plan"),
    ],
)
def test_a_current_version_that_no_longer_holds_sends_phase_2_to_review(live, change, key):
    # A version row the deployment gate never let ship (made current outside the service, as
    # data restored from elsewhere would be): the recheck catches it.
    version = PromptVersionFactory(agent=live, tag="v9", **change)
    Agent.objects.filter(pk=live.pk).update(current_prompt=version)

    gates_services.gates_recheck(agents=[live])

    assert_sent(live, 2, key)


def test_the_upgrade_drops_ticks_keeps_evidenced_attestations_and_reviews_gates_once(
    refund_bot, approver
):
    import importlib

    from django.apps import apps

    upgrade = importlib.import_module("gates.migrations.0004_recheck_gates_at_go")
    # given a gate at go on ticks alone (the old honour system), and phase 4's ticks
    Gate.objects.filter(agent=refund_bot, phase=1).update(state=Gate.State.GO)
    ChecklistItem.objects.filter(gate__agent=refund_bot).update(met=True)
    ChecklistItem.objects.filter(gate__agent=refund_bot, key="tracing").update(
        evidence="https://traces.example/refunds", updated_by=approver.user
    )

    upgrade.forwards(apps, None)

    assert Gate.objects.get(agent=refund_bot, phase=1).state == Gate.State.NEEDS_REVIEW
    met = set(ChecklistItem.objects.filter(met=True).values_list("key", flat=True))
    assert met == {"tracing"}  # the one tick with evidence, now an attestation
    assert agent_evidence(agent=refund_bot)["tracing"].source == "attested"
    assert len(review_entries(refund_bot)) == 1
    upgrade.forwards(apps, None)  # run again (the migration runs once): nothing new
    assert len(review_entries(refund_bot)) == 1
