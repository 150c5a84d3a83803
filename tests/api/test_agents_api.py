"""The agents API against docs/api.md and docs/rules.md §2 and §4: registry, gates, prompt versions,
kill switch, drills and the runtime's status read."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from agents.models import Agent
from assessments import services as assessment_services
from audit.models import AuditEntry
from audit.services import audit_verify
from gates.checklists import phase_definition
from gates.models import GateDecision, PromptVersion
from killswitch.models import AgentToken, Suspension
from tests.conftest import ApiClient, scores_of
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def api(assessor, api_for, framework):
    return api_for(assessor)


@pytest.fixture
def as_approver(approver, api_for):
    return api_for(approver)


@pytest.fixture
def as_operator(operator, api_for):
    return api_for(operator)


@pytest.fixture
def as_viewer(viewer, api_for):
    return api_for(viewer)


@pytest.fixture
def agent(api, approver):
    return register(api)


def register(api, name="Claims triage", owner="sam", **extra):
    response = api.post(
        "/api/v1/agents",
        {
            "name": name,
            "purpose": "Sorts claims",
            "business_unit": "Claims",
            "owner": owner,
            **extra,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def url(agent, suffix=""):
    return f"/api/v1/agents/{agent['id']}{suffix}"


def meet_all(api, agent, phase):
    """Give the phase's computed items their evidence; answers the gate as the API shows it."""
    provide_evidence(Agent.objects.get(pk=agent["id"]), phase)
    return gate(api, agent, phase)


def decide(api, agent, phase, decision="go", rationale="Checked every item.", **extra):
    return api.post(
        url(agent, f"/gates/{phase}/decisions"),
        {"decision": decision, "rationale": rationale, **extra},
    )


def go(api, as_approver, agent, *phases):
    for phase in phases:
        meet_all(api, agent, phase)
        response = decide(as_approver, agent, phase)
        assert response.status_code == 201, response.content


def gate(api, agent, phase):
    return api.get(url(agent, "/gates")).json()[phase - 1]


def submit_assessment(assessor, *values):
    assessment = assessment_services.assessment_create(membership=assessor, title="Readiness")
    assessment_services.assessment_set_scores(
        assessment=assessment, membership=assessor, scores=scores_of(*values)
    )
    return assessment_services.assessment_submit(assessment=assessment, membership=assessor)


def prompt(api, agent, tag="v1", **overrides):
    body = {
        "tag": tag,
        "regression_passed": True,
        "adversarial_passed": True,
        "delta": 0.02,
        "tolerance": 0.05,
        "rollback_target": "v0",
        **overrides,
    }
    return api.post(url(agent, "/prompt-versions"), body)


def runtime_token(agent, org_slug="acme") -> str:
    out = io.StringIO()
    call_command("create_agent_token", org_slug, agent["id"], stdout=out)
    return out.getvalue().strip().splitlines()[-1]


# --- registry ----------------------------------------------------------------------------------


def test_register_answers_201_with_four_pending_gates_at_phase_1(api):
    created = register(api)
    assert isinstance(created["id"], str)
    assert created["owner"] == "sam"
    assert created["state"] == "active"
    assert created["phase"] == 1
    assert created["horizon"] is None
    assert created["version"] == 1
    assert created["current_prompt"] is None
    assert created["drill_flag"] == "never"
    assert [(g["phase"], g["state"]) for g in created["gates"]] == [
        (1, "pending"),
        (2, "pending"),
        (3, "pending"),
        (4, "pending"),
    ]
    assert api.get(url(created)).json() == created


def test_register_with_an_owner_who_is_not_a_member_is_400_naming_owner(api, other_assessor):
    for owner in ("gus", "nobody", ""):
        response = api.post("/api/v1/agents", {"name": "x", "owner": owner})
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["owner"]
    assert not Agent.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name", "owner"}),
        ({"name": "  ", "owner": "sam"}, {"name"}),
        ({"name": 3, "owner": "sam"}, {"name"}),
        ({"name": "x", "owner": "sam", "business_unit": ["Claims"]}, {"business_unit"}),
    ],
)
def test_register_with_bad_fields_is_400_naming_each(api, body, fields):
    response = api.post("/api/v1/agents", body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields


def test_register_a_name_already_used_is_400(api, agent):
    response = api.post("/api/v1/agents", {"name": "Claims triage", "owner": "sam"})
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_viewer_reads_agents_but_registering_or_editing_is_403_before_the_body(
    api, agent, as_viewer
):
    assert as_viewer.get(url(agent)).status_code == 200
    assert as_viewer.get("/api/v1/agents").json()["count"] == 1
    assert as_viewer.post("/api/v1/agents", {"name": "y", "owner": "sam"}).status_code == 403
    assert as_viewer.post("/api/v1/agents", raw="{bad").status_code == 403
    assert as_viewer.patch(url(agent), {"purpose": "changed"}).status_code == 403
    assert api.get(url(agent)).json()["purpose"] == "Sorts claims"


def test_patch_replaces_each_list_whole_and_counts_the_version(api, agent, approver):
    first = api.patch(
        url(agent),
        {
            "decision_boundaries": [
                {"decision": "Refund under 100", "mode": "alone"},
                {"decision": "Refund over 100", "mode": "escalate"},
            ],
            "escalation_paths": [{"failure_state": "Tool down", "owner": "april"}],
            "tool_permissions": [
                {
                    "tool": "crm",
                    "access": "read",
                    "justification": "Reads the customer",
                    "last_used": "2025-01-02",
                }
            ],
            "guardrails": {"api_calls_per_hour": 100, "monthly_budget": 250.5},
            "version": 1,
        },
    )
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["version"] == 2
    assert [b["mode"] for b in body["decision_boundaries"]] == ["alone", "escalate"]
    assert body["escalation_paths"] == [{"failure_state": "Tool down", "owner": "april"}]
    assert body["tool_permissions"][0]["last_used"] == "2025-01-02"
    assert body["guardrails"] == {
        "api_calls_per_hour": 100,
        "tokens_per_session": None,
        "sequential_actions_before_confirmation": None,
        "monthly_budget": 250.5,
    }
    second = api.patch(
        url(agent),
        {"decision_boundaries": [{"decision": "Anything", "mode": "escalate"}], "version": 2},
    ).json()
    assert second["decision_boundaries"] == [{"decision": "Anything", "mode": "escalate"}]
    assert second["escalation_paths"] == body["escalation_paths"]  # not sent, kept
    assert second["guardrails"]["api_calls_per_hour"] == 100


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"decision_boundaries": [{"decision": "x", "mode": "sometimes"}]},
            "decision_boundaries.0.mode",
        ),
        (
            {"decision_boundaries": [{"decision": "  ", "mode": "alone"}]},
            "decision_boundaries.0.decision",
        ),
        (
            {"escalation_paths": [{"failure_state": "x", "owner": "gus"}]},
            "escalation_paths.0.owner",
        ),
        ({"tool_permissions": [{"tool": "crm", "access": "root"}]}, "tool_permissions.0.access"),
        (
            {"tool_permissions": [{"tool": "crm", "access": "read", "last_used": "yesterday"}]},
            "tool_permissions.0.last_used",
        ),
        ({"guardrails": {"api_calls_per_hour": "100"}}, "guardrails.api_calls_per_hour"),
        ({"guardrails": {"api_calls_per_hour": 1.5}}, "guardrails.api_calls_per_hour"),
        ({"guardrails": {"api_calls_per_hour": -1}}, "guardrails.api_calls_per_hour"),
        ({"guardrails": {"monthly_budget": "100"}}, "guardrails.monthly_budget"),
        ({"guardrails": {"monthly_budget": -5}}, "guardrails.monthly_budget"),
        ({"guardrails": {"calls": 5}}, "guardrails.calls"),
        ({"owner": "nobody"}, "owner"),
        ({"version": "1"}, "version"),
    ],
)
def test_patch_with_a_bad_record_is_400_naming_it_and_nothing_saved(
    api, agent, other_assessor, body, field
):
    response = api.patch(url(agent), body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert api.get(url(agent)).json() == agent


def test_stale_version_is_409_and_nothing_saved(api, agent):
    first = api.patch(url(agent), {"purpose": "First", "version": 1})
    assert first.status_code == 200
    stale = api.patch(
        url(agent),
        {"purpose": "Second", "guardrails": {"api_calls_per_hour": 5}, "version": 1},
    )
    assert stale.status_code == 409
    assert stale.json()["reasons"][0]["code"] == "stale_version"
    now = api.get(url(agent)).json()
    assert now["purpose"] == "First"
    assert now["guardrails"]["api_calls_per_hour"] is None
    assert now["version"] == 2


def test_list_is_newest_first_with_count_and_pages(api):
    for i in range(52):
        register(api, name=f"agent {i:02}")
    first = api.get("/api/v1/agents").json()
    assert first["count"] == 52
    assert len(first["items"]) == 50
    assert first["items"][0]["name"] == "agent 51"
    second = api.get("/api/v1/agents?page=2").json()
    assert [a["name"] for a in second["items"]] == ["agent 01", "agent 00"]
    assert api.get("/api/v1/agents?page=0").status_code == 400


def test_list_query_count_is_constant(
    api, assessor, approver, operator, django_assert_max_num_queries
):
    from killswitch import services as killswitch_services
    from overview import services as overview_services

    for i in range(60):
        overview_services.agent_create(
            membership=assessor,
            data={
                "name": f"agent {i}",
                "owner": "sam",
                "decision_boundaries": [{"decision": "d", "mode": "alone"}],
                "escalation_paths": [{"failure_state": "f", "owner": "april"}],
                "tool_permissions": [{"tool": "crm", "access": "read"}],
            },
        )
    first = Agent.objects.order_by("-created_at", "-id").first()
    killswitch_services.agent_suspend(agent=first, membership=operator, reason="x")
    with django_assert_max_num_queries(14):
        response = api.get("/api/v1/agents")
    assert response.status_code == 200
    assert response.json()["items"][0]["suspended_reason"] == "x"


# --- gates and checklists ---------------------------------------------------------------------


def test_gates_are_four_in_order_with_labelled_checklists_and_go_blockers(api, as_approver, agent):
    gates = as_approver.get(url(agent, "/gates")).json()
    assert [g["phase"] for g in gates] == [1, 2, 3, 4]
    assert all(g["state"] == "pending" and g["decisions"] == [] for g in gates)
    assert [i["key"] for i in gates[0]["checklist"]] == list(phase_definition(1).keys)
    assert gates[0]["checklist"][0] == {
        "key": "owner_assigned",
        "label": "Named owner assigned",
        "met": True,
        "source": "derived",
        "evidence": "Owned by sam, an active member.",
        "attested_by": None,
        "attested_at": None,
    }
    assert gates[0]["checklist"][1]["evidence"] == (
        "0 decisions taken alone, 0 decisions that escalate: at least one of each is needed."
    )
    assert [r["code"] for r in gates[0]["go_blockers"]] == ["unmet_items"]
    assert [r["code"] for r in gates[1]["go_blockers"]] == ["unmet_items", "previous_phase_not_go"]
    assert [r["code"] for r in gates[3]["go_blockers"]] == [
        "unmet_items",
        "previous_phase_not_go",
        "readiness_missing",
    ]
    assert gates[0]["go_blockers"][0]["items"] == list(phase_definition(1).keys)[1:]
    # The blockers are the caller's: the owner is told they may not decide.
    as_owner = api.get(url(agent, "/gates")).json()
    assert [r["code"] for r in as_owner[0]["go_blockers"]] == ["owner_cannot_decide", "unmet_items"]


@pytest.fixture
def as_attester(org, make_member, api_for):
    """An assessor who does not own the agent (sam does), so may attest."""
    return api_for(make_member(org, "assessor", username="ines"))


def test_checklist_patch_attests_tracing_with_evidence_and_who(as_attester, agent):
    response = as_attester.patch(
        url(agent, "/gates/4/checklist"),
        {"tracing": {"met": True, "evidence": "https://traces.example/claims"}},
    )
    assert response.status_code == 200, response.content
    item = response.json()["checklist"][0]
    assert (item["key"], item["met"], item["source"]) == ("tracing", True, "attested")
    assert item["evidence"] == "Attested by ines: https://traces.example/claims"
    assert item["attested_by"] == "ines"
    assert item["attested_at"]

    response = as_attester.patch(url(agent, "/gates/4/checklist"), {"tracing": {"met": False}})
    item = response.json()["checklist"][0]
    assert (item["met"], item["source"], item["attested_by"]) == (False, "observed", None)


def test_checklist_patch_of_a_computed_item_is_400_naming_it(api, agent):
    response = api.patch(url(agent, "/gates/1/checklist"), {"owner_assigned": {"met": True}})

    assert response.status_code == 400
    assert response.json()["errors"]["owner_assigned"] == [
        "Named owner assigned is computed from the agent's records and telemetry: it cannot be "
        "set by hand."
    ]


def test_the_owner_attesting_is_409_owner_cannot_attest(api, agent):
    response = api.patch(
        url(agent, "/gates/4/checklist"), {"quality_threshold": {"met": True, "evidence": "x"}}
    )

    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["owner_cannot_attest"]
    assert gate(api, agent, 4)["checklist"][3]["source"] != "attested"


@pytest.mark.parametrize("phase", ["0", "5", "x", "1.0", "01"])
def test_an_unknown_phase_is_404_before_the_body(api, as_approver, agent, phase):
    for response in (
        api.patch(url(agent, f"/gates/{phase}/checklist"), {"owner_assigned": {"met": True}}),
        api.patch(url(agent, f"/gates/{phase}/checklist"), raw="{bad"),
        decide(as_approver, agent, phase),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nonsense": {"met": True}}, "nonsense"),
        ({"prompt_version_tagged": {"met": True}}, "prompt_version_tagged"),  # a phase-2 key
        ({"auto_suspend": {"met": True}}, "auto_suspend"),  # computed
        ({"tracing": {"met": "yes"}}, "tracing.met"),
        ({"tracing": {"met": 1}}, "tracing.met"),
        ({"tracing": {"evidence": 5}}, "tracing.evidence"),
        ({"tracing": {"met": True}}, "tracing.evidence"),
        ({"tracing": {"met": True, "evidence": ""}}, "tracing.evidence"),
        ({"tracing": True}, "tracing"),
        ([], "__all__"),
        ({}, "__all__"),
    ],
)
def test_a_bad_checklist_change_is_400_naming_it_and_nothing_saved(as_attester, agent, body, field):
    if field != "__all__":  # a good change beside the bad one is not saved either
        body = {"quality_threshold": {"met": True, "evidence": "Eval report"}, **body}
    response = as_attester.patch(url(agent, "/gates/4/checklist"), body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not any(i["source"] == "attested" for i in gate(as_attester, agent, 4)["checklist"])


def test_assessor_deciding_a_gate_is_403(api, agent):
    meet_all(api, agent, 1)
    assert decide(api, agent, 1).status_code == 403
    assert not GateDecision.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"decision": "go"}, {"rationale"}),
        ({"decision": "go", "rationale": ""}, {"rationale"}),
        ({"decision": "no_go", "rationale": "   "}, {"rationale"}),
        ({"decision": "maybe", "rationale": "why"}, {"decision"}),
        ({"decision": "GO", "rationale": ""}, {"decision", "rationale"}),
        ({"decision": True, "rationale": "why"}, {"decision"}),
        ({"rationale": "why"}, {"decision"}),
        ({"decision": "go", "rationale": "why", "version": "2"}, {"version"}),
    ],
)
def test_a_decision_without_rationale_or_with_an_unknown_value_is_400(
    api, as_approver, agent, body, fields
):
    meet_all(api, agent, 1)
    response = as_approver.post(url(agent, "/gates/1/decisions"), body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert not GateDecision.objects.exists()


def test_go_with_unmet_items_is_409_listing_them_and_nothing_recorded(api, as_approver, agent):
    api.patch(url(agent, "/gates/1/checklist"), {"owner_assigned": {"met": True}})
    response = decide(as_approver, agent, 1)
    assert response.status_code == 409
    reasons = response.json()["reasons"]
    assert [r["code"] for r in reasons] == ["unmet_items"]
    assert reasons[0]["items"] == [k for k in phase_definition(1).keys if k != "owner_assigned"]
    assert gate(api, agent, 1)["state"] == "pending"
    assert not GateDecision.objects.exists()


def test_go_before_the_previous_phase_is_at_go_is_409(api, as_approver, agent):
    meet_all(api, agent, 2)
    response = decide(as_approver, agent, 2)
    assert response.status_code == 409
    reasons = response.json()["reasons"]
    assert [r["code"] for r in reasons] == ["previous_phase_not_go"]
    assert reasons[0]["previous_phase"] == 1
    decide(as_approver, agent, 1, "no_go")
    again = decide(as_approver, agent, 2).json()["reasons"]
    assert again[0]["previous_state"] == "no_go"


def test_the_owner_deciding_on_their_own_agent_is_409_owner_cannot_decide(
    api, as_approver, approver
):
    owned = register(api, name="April's agent", owner="april")
    meet_all(api, owned, 1)
    for decision in ("go", "no_go"):
        response = decide(as_approver, owned, 1, decision)
        assert response.status_code == 409
        assert [r["code"] for r in response.json()["reasons"]] == ["owner_cannot_decide"]
    blockers = gate(as_approver, owned, 1)["go_blockers"]
    assert [r["code"] for r in blockers] == ["owner_cannot_decide"]
    assert not GateDecision.objects.exists()


def test_a_no_go_stores_the_unmet_items_of_that_moment(api, as_approver, agent):
    api.patch(url(agent, "/gates/1/checklist"), {"owner_assigned": {"met": True}})
    response = decide(as_approver, agent, 1, "no_go", "Boundaries missing.")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"] == "no_go"
    assert body["decided_by"] == "april"
    assert [u["key"] for u in body["unmet_items"]] == [
        k for k in phase_definition(1).keys if k != "owner_assigned"
    ]
    assert body["unmet_items"][0]["label"] == "Decision boundaries documented"
    meet_all(api, agent, 1)  # later changes do not rewrite the stored decision
    stored = gate(api, agent, 1)
    assert stored["state"] == "no_go"
    assert stored["decisions"][0]["unmet_items"] == body["unmet_items"]


def test_decisions_are_append_only_and_all_listed_newest_first(api, as_approver, agent):
    decide(as_approver, agent, 1, "no_go", "first")
    meet_all(api, agent, 1)
    decide(as_approver, agent, 1, "go", "second", version=gate(api, agent, 1)["version"])
    api.patch(url(agent, "/gates/1/checklist"), {"owner_assigned": {"evidence": "moved"}})
    decide(as_approver, agent, 1, "go", "third", version=gate(api, agent, 1)["version"])
    stored = gate(api, agent, 1)
    assert [d["rationale"] for d in stored["decisions"]] == ["third", "second", "first"]
    assert stored["state"] == "go"
    assert GateDecision.objects.count() == 3
    decision = GateDecision.objects.order_by("id").first()
    decision.rationale = "rewritten"
    with pytest.raises(RuntimeError):
        decision.save()


def test_a_decision_on_a_gate_that_changed_since_it_was_read_is_409(api, as_approver, agent):
    meet_all(api, agent, 1)
    seen = gate(api, agent, 1)["version"]
    assert decide(as_approver, agent, 1, "no_go", "first", version=seen).status_code == 201
    late = decide(as_approver, agent, 1, "go", "second", version=seen)
    assert late.status_code == 409
    assert [r["code"] for r in late.json()["reasons"]] == ["gate_changed"]
    assert GateDecision.objects.count() == 1


def test_go_on_all_four_phases_puts_the_agent_in_production(api, as_approver, agent, assessor):
    submit_assessment(assessor, 4, 4, 4, 4)
    go(api, as_approver, agent, 1, 2, 3, 4)
    body = api.get(url(agent)).json()
    assert body["phase"] == "production"
    assert body["in_production"] is True
    assert body["horizon"] == "stabilization"
    decision = gate(api, agent, 4)["decisions"][0]
    assert decision["readiness"]["verdict"] == "ready"


@pytest.mark.parametrize(
    ("scores", "age", "codes"),
    [
        (None, timedelta(0), ["readiness_missing"]),
        ((3, 3, 3, 4), timedelta(days=1), ["readiness_not_ready"]),
        ((4, 4, 4, 2), timedelta(days=1), ["readiness_not_ready"]),
        ((4, 4, 4, 4), timedelta(days=90), []),
        ((4, 4, 4, 4), timedelta(days=90, seconds=1), ["readiness_stale"]),
        ((3, 3, 3, 3), timedelta(days=91), ["readiness_not_ready", "readiness_stale"]),
    ],
)
def test_phase_4_go_needs_a_ready_assessment_at_most_90_days_old(
    api, as_approver, agent, assessor, scores, age, codes
):
    with time_machine.travel(T0, tick=False):
        if scores:
            submit_assessment(assessor, *scores)
        go(api, as_approver, agent, 1, 2, 3)
    with time_machine.travel(T0 + age, tick=False):
        meet_all(api, agent, 4)  # spans and scores of the day of the decision
        response = decide(as_approver, agent, 4)
    if codes:
        assert response.status_code == 409
        assert [r["code"] for r in response.json()["reasons"]] == codes
        assert gate(api, agent, 4)["state"] == "pending"
    else:
        assert response.status_code == 201, response.content
        assert response.json()["decided_at"].startswith("2025-05-30T09:00:00")
        assert gate(api, agent, 4)["state"] == "go"


# --- needs_review -------------------------------------------------------------------------------


def test_a_record_change_that_unmeets_an_item_sends_the_gate_to_review_naming_it(
    api, as_approver, agent
):
    go(api, as_approver, agent, 1)
    api.patch(url(agent), {"decision_boundaries": [{"decision": "Refunds", "mode": "alone"}]})
    g = gate(api, agent, 1)
    assert g["state"] == "needs_review"
    assert "No longer met: Decision boundaries documented" in g["review_reason"]
    assert g["checklist"][1]["met"] is False
    assert api.get(url(agent)).json()["phase"] == 1


def test_a_tool_permission_change_sends_phase_1_to_needs_review(api, as_approver, agent):
    go(api, as_approver, agent, 1, 2)
    api.patch(url(agent), {"tool_permissions": [{"tool": "crm", "access": "write"}]})
    gates = api.get(url(agent, "/gates")).json()
    assert [g["state"] for g in gates] == ["needs_review", "go", "pending", "pending"]
    # Without a justification the new permission unmeets the least-privilege item.
    assert "Every tool permission least-privilege" in gates[0]["review_reason"]


def test_an_unchanged_record_leaves_the_gate_at_go(api, as_approver, agent):
    go(api, as_approver, agent, 1)
    api.patch(url(agent), {"owner": "sam", "purpose": "Sorts claims faster"})
    assert gate(api, agent, 1)["state"] == "go"


def test_a_guardrail_change_sends_phase_3_to_needs_review(api, as_approver, agent):
    go(api, as_approver, agent, 1, 2, 3)
    api.patch(url(agent), {"guardrails": {"tokens_per_session": 4000}})
    states = [g["state"] for g in api.get(url(agent, "/gates")).json()]
    assert states == ["go", "go", "needs_review", "pending"]


def test_a_shipping_prompt_version_meets_phase_2_and_sends_it_to_needs_review(
    api, as_approver, agent
):
    go(api, as_approver, agent, 1)
    first = prompt(api, agent, "v1")
    assert first.status_code == 201, first.content
    items = gate(api, agent, 2)["checklist"]
    assert all(i["met"] and i["source"] == "derived" for i in items)
    assert [i["evidence"] for i in items] == [
        "Current version v1.",
        "v1: regression passed.",
        "v1: adversarial passed.",
        "First version; fallback stated: v0.",
        "v1: delta 0.02 ≤ tolerance 0.05.",
    ]
    assert decide(as_approver, agent, 2).status_code == 201
    assert prompt(api, agent, "v2", rollback_target="v1").status_code == 201
    g = gate(api, agent, 2)
    assert g["state"] == "needs_review"
    assert "v2" in g["review_reason"]
    assert all(i["met"] for i in g["checklist"])
    assert g["checklist"][0]["evidence"] == "Current version v2."
    assert api.get(url(agent)).json()["current_prompt"] == "v2"


# --- prompt versions ----------------------------------------------------------------------------


def test_a_shipping_version_becomes_the_current_prompt(api, agent):
    response = prompt(api, agent, "v1")
    assert response.status_code == 201
    body = response.json()
    assert body["tag"] == "v1"
    assert body["ship"] is True
    assert body["reasons"] == []
    assert body["current"] is True
    assert api.get(url(agent)).json()["current_prompt"] == "v1"


@pytest.mark.parametrize(
    ("overrides", "codes"),
    [
        ({"regression_passed": False}, ["regression_failed"]),
        ({"adversarial_passed": False}, ["adversarial_failed"]),
        ({"delta": 0.06}, ["delta_above_tolerance"]),
        (
            {"regression_passed": False, "adversarial_passed": False, "delta": 1},
            ["regression_failed", "adversarial_failed", "delta_above_tolerance"],
        ),
    ],
)
def test_a_version_that_may_not_ship_is_recorded_with_reasons_and_changes_nothing(
    api, agent, overrides, codes
):
    prompt(api, agent, "v1")
    response = prompt(api, agent, "v2", **overrides)
    assert response.status_code == 201
    body = response.json()
    assert body["ship"] is False
    assert body["current"] is False
    assert [r["code"] for r in body["reasons"]] == codes
    assert api.get(url(agent)).json()["current_prompt"] == "v1"
    listed = api.get(url(agent, "/prompt-versions")).json()
    assert listed["count"] == 2
    assert [(v["tag"], v["current"]) for v in listed["items"]] == [("v2", False), ("v1", True)]


def test_delta_equal_to_tolerance_ships_and_zero_is_fine(api, agent):
    assert prompt(api, agent, "v1", delta=0.05, tolerance=0.05).json()["ship"] is True
    assert prompt(api, agent, "v2", delta=0, tolerance=0).json()["ship"] is True


def test_a_tag_the_agent_already_has_is_409(api, agent):
    prompt(api, agent, "v1")
    again = prompt(api, agent, "v1", delta=0.0)
    assert again.status_code == 409
    assert [r["code"] for r in again.json()["reasons"]] == ["duplicate_tag"]
    assert PromptVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"delta": -0.1}, "delta"),
        ({"tolerance": -1}, "tolerance"),
        ({"delta": "0.1"}, "delta"),
        ({"delta": True}, "delta"),
        ({"tolerance": None}, "tolerance"),
        ({"delta": [0.1]}, "delta"),
        ({"regression_passed": "true"}, "regression_passed"),
        ({"adversarial_passed": 1}, "adversarial_passed"),
        ({"tag": ""}, "tag"),
        ({"tag": 7}, "tag"),
    ],
)
def test_a_bad_prompt_version_is_400_naming_the_field_and_nothing_saved(
    api, agent, overrides, field
):
    response = prompt(api, agent, **overrides)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not PromptVersion.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinite_numbers_are_400(api, agent, literal):
    raw = (
        '{"tag": "v1", "regression_passed": true, "adversarial_passed": true, '
        f'"delta": {literal}, "tolerance": 0.1}}'
    )
    response = api.post(url(agent, "/prompt-versions"), raw=raw)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["delta"]
    assert not PromptVersion.objects.exists()


def test_missing_prompt_fields_are_each_named(api, agent):
    response = api.post(url(agent, "/prompt-versions"), {"tag": "v1"})
    assert response.status_code == 400
    # delta may be left out (it is computed, docs/api.md); the rest is named
    assert set(response.json()["errors"]) == {
        "regression_passed",
        "adversarial_passed",
        "tolerance",
    }


# --- kill switch --------------------------------------------------------------------------------


def test_an_operator_suspends_with_a_reason_and_an_approver_resumes(
    api, as_operator, as_approver, agent
):
    suspended = as_operator.post(url(agent, "/suspend"), {"reason": "Odd refunds"})
    assert suspended.status_code == 200, suspended.content
    assert suspended.json()["state"] == "suspended"
    assert suspended.json()["suspended_reason"] == "Odd refunds"
    assert api.get(url(agent, "/status")).json()["state"] == "suspended"
    resumed = as_approver.post(url(agent, "/resume"), {"reason": "Fixed the refund rule"})
    assert resumed.status_code == 200, resumed.content
    assert resumed.json()["state"] == "active"
    assert resumed.json()["suspended_reason"] is None


def test_suspending_an_agent_already_suspended_is_409_and_changes_nothing(as_operator, agent):
    as_operator.post(url(agent, "/suspend"), {"reason": "first"})
    again = as_operator.post(url(agent, "/suspend"), {"reason": "second"})
    assert again.status_code == 409
    assert [r["code"] for r in again.json()["reasons"]] == ["already_suspended"]
    assert as_operator.get(url(agent)).json()["suspended_reason"] == "first"
    assert Suspension.objects.count() == 1


def test_resuming_an_active_agent_is_409_not_suspended(as_approver, agent):
    response = as_approver.post(url(agent, "/resume"), {"reason": "why not"})
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["not_suspended"]


def test_the_owner_may_not_resume_their_own_agent(api, as_operator, as_approver):
    owned = register(api, name="April's agent", owner="april")
    as_operator.post(url(owned, "/suspend"), {"reason": "stop"})
    response = as_approver.post(url(owned, "/resume"), {"reason": "mine"})
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["owner_cannot_decide"]


def test_viewer_and_assessor_suspending_and_operator_resuming_are_403(
    api, as_viewer, as_operator, agent
):
    assert as_viewer.post(url(agent, "/suspend"), {"reason": "x"}).status_code == 403
    assert api.post(url(agent, "/suspend"), {"reason": "x"}).status_code == 403
    assert api.post(url(agent, "/suspend"), raw="{bad").status_code == 403
    assert as_viewer.post(url(agent, "/drills")).status_code == 403
    assert api.get(url(agent)).json()["state"] == "active"
    as_operator.post(url(agent, "/suspend"), {"reason": "x"})
    assert as_operator.post(url(agent, "/resume"), {"reason": "y"}).status_code == 403
    assert api.get(url(agent)).json()["state"] == "suspended"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_suspend_or_resume_without_a_reason_is_400_naming_reason(
    as_operator, as_approver, agent, body
):
    response = as_operator.post(url(agent, "/suspend"), body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    as_operator.post(url(agent, "/suspend"), {"reason": "really"})
    response = as_approver.post(url(agent, "/resume"), body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert as_operator.get(url(agent)).json()["state"] == "suspended"


# --- drills and the runtime status --------------------------------------------------------------


def test_runtime_reads_its_status_and_a_drill_measures_time_to_stop(as_operator, agent):
    runtime = ApiClient(runtime_token(agent))
    assert runtime.get(url(agent, "/status")).json() == {
        "state": "active",
        "reason": None,
        "since": None,
    }
    with time_machine.travel(T0, tick=False):
        started = as_operator.post(url(agent, "/drills"))
    assert started.status_code == 201, started.content
    drill = started.json()
    assert set(drill) >= {"id", "started_at"}
    with time_machine.travel(T0 + timedelta(seconds=12), tick=False):
        status = runtime.get(url(agent, "/status")).json()
    assert status["state"] == "suspended"
    assert status["reason"] == "Kill-switch drill"
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        runtime.get(url(agent, "/status"))  # a later read does not move the stop time
        ended = as_operator.post(url(agent, f"/drills/{drill['id']}/end"))
    assert ended.status_code == 200, ended.content
    body = ended.json()
    assert body["id"] == drill["id"]
    assert body["time_to_stop_s"] == 12.0
    assert body["ended_at"].startswith("2025-03-01T09:00:30")
    assert runtime.get(url(agent, "/status")).json()["state"] == "active"
    listed = as_operator.get(url(agent, "/drills")).json()
    assert listed["count"] == 1
    assert listed["items"][0]["time_to_stop_s"] == 12.0
    assert as_operator.get(url(agent)).json()["drill_flag"] == "overdue"  # 2025 is long ago


def test_a_drill_the_runtime_never_read_has_no_time_to_stop(as_operator, agent):
    drill = as_operator.post(url(agent, "/drills")).json()
    # A member's read is not the runtime's: it does not stop the clock.
    assert as_operator.get(url(agent, "/status")).json()["state"] == "suspended"
    ended = as_operator.post(url(agent, f"/drills/{drill['id']}/end")).json()
    assert ended["time_to_stop_s"] is None
    assert as_operator.get(url(agent)).json()["drill_flag"] == "ok"


def test_a_drill_is_ended_by_its_operator_or_an_approver_not_another_operator(
    org, make_member, api_for, as_operator, as_approver, agent
):
    other_operator = api_for(make_member(org, "operator", username="olga"))
    drill = as_operator.post(url(agent, "/drills")).json()
    end = url(agent, f"/drills/{drill['id']}/end")
    assert other_operator.post(end).status_code == 403
    assert Suspension.objects.get().ended_at is None
    assert as_approver.post(end).status_code == 200
    again = as_operator.post(end)
    assert again.status_code == 409
    assert [r["code"] for r in again.json()["reasons"]] == ["drill_ended"]


def test_a_drill_on_a_suspended_agent_is_409_and_a_suspension_is_no_drill(as_operator, agent):
    as_operator.post(url(agent, "/suspend"), {"reason": "x"})
    assert as_operator.post(url(agent, "/drills")).status_code == 409
    suspension = Suspension.objects.get()
    assert as_operator.post(url(agent, f"/drills/{suspension.pk}/end")).status_code == 404
    assert as_operator.post(url(agent, "/drills/nope/end")).status_code == 404


def test_a_drill_is_found_only_under_its_own_agent(api, as_operator, agent):
    other = register(api, name="Other agent")
    drill = as_operator.post(url(agent, "/drills")).json()
    response = as_operator.post(url(other, f"/drills/{drill['id']}/end"))
    assert response.status_code == 404
    assert Suspension.objects.get().ended_at is None


def test_a_runtime_token_may_read_its_own_status_and_nothing_else(api, as_operator, agent):
    other = register(api, name="Other agent")
    runtime = ApiClient(runtime_token(agent))
    assert runtime.get(url(agent, "/status")).status_code == 200
    forbidden = runtime.get("/api/v1/agents")
    assert forbidden.status_code == 403
    assert "runtime token" in forbidden.json()["detail"]
    for response in (
        runtime.get(url(agent)),
        runtime.get(url(agent, "/gates")),
        runtime.post(url(agent, "/suspend"), {"reason": "x"}),
        runtime.post(url(agent, "/drills")),
        runtime.get("/api/v1/assessments"),
        runtime.get("/api/v1/framework"),
    ):
        assert response.status_code == 403
    missing = runtime.get(url(other, "/status"))
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}
    assert runtime.get("/api/v1/agents/999999/status").status_code == 404
    assert AgentToken.objects.get(agent_id=agent["id"]).last_used_at is not None


def test_a_revoked_runtime_token_is_401(agent):
    raw = runtime_token(agent)
    AgentToken.objects.update(revoked_at=datetime.now(UTC))
    assert ApiClient(raw).get(url(agent, "/status")).status_code == 401
    assert ApiClient(raw).get("/api/v1/agents").status_code == 401


# --- create_agent_token -------------------------------------------------------------------------


def test_create_agent_token_prints_the_token_last_and_audits_it(agent):
    raw = runtime_token(agent)
    token = AgentToken.objects.get()
    assert raw.startswith("rdy_agent_")
    assert token.key_hash != raw
    assert token.created_by is None
    entry = AuditEntry.objects.get(action="agent_token.created")
    assert entry.actor is None
    assert entry.object_id == agent["id"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nowhere", "AGENT"), "No organization"),
        (("acme", "999999"), "No agent"),
        (("acme", "abc"), "No agent"),
        (("globex", "AGENT"), "No agent"),
        (("", "AGENT"), "empty"),
    ],
)
def test_create_agent_token_refuses_bad_arguments_and_creates_nothing(
    agent, other_org, args, message
):
    args = tuple(agent["id"] if a == "AGENT" else a for a in args)
    with pytest.raises(CommandError, match=message):
        call_command("create_agent_token", *args, stdout=io.StringIO())
    assert not AgentToken.objects.exists()
    assert not AuditEntry.objects.filter(action="agent_token.created").exists()


# --- audit ----------------------------------------------------------------------------------------


def test_every_state_change_is_audited_and_the_chain_verifies(
    api, as_approver, as_operator, as_attester, agent, assessor
):
    submit_assessment(assessor, 4, 4, 4, 4)
    read = {"tool": "crm", "access": "read", "justification": "Look-ups"}
    api.patch(url(agent), {"tool_permissions": [read]})
    go(api, as_approver, agent, 1)
    api.patch(url(agent), {"tool_permissions": [{**read, "access": "write"}]})
    as_attester.patch(url(agent, "/gates/4/checklist"), {"tracing": {"met": True, "evidence": "x"}})
    decide(as_approver, agent, 1, "go", "Reviewed the write access.")
    prompt(api, agent, "v1")
    decide(as_approver, agent, 2, "no_go", "Wait.")
    as_operator.post(url(agent, "/suspend"), {"reason": "stop"})
    as_approver.post(url(agent, "/resume"), {"reason": "go on"})
    drill = as_operator.post(url(agent, "/drills")).json()
    as_operator.post(url(agent, f"/drills/{drill['id']}/end"))
    runtime_token(agent)
    actions = set(
        AuditEntry.objects.filter(object_type="agents.Agent").values_list("action", flat=True)
    )
    assert actions == {
        "agent.created",
        "agent.updated",
        "gate.checklist_changed",
        "gate.decided",
        "gate.needs_review",
        "prompt_version.posted",
        "agent.suspended.manual",
        "agent.resumed",
        "agent.suspended.drill",
        "agent.drill_ended",
        "agent_token.created",
    }
    decided = AuditEntry.objects.filter(action="gate.decided").order_by("seq").last()
    assert decided.actor_label == "april"
    assert decided.after["state"] == "no_go"
    assert audit_verify() == []


def test_a_later_decision_without_the_version_it_read_is_409_version_required(
    api, as_approver, agent
):
    # given a gate decided once (a first decision needs no version)
    assert decide(as_approver, agent, 1, "no_go", "first").status_code == 201
    meet_all(api, agent, 1)

    # when a second decision comes without the version its author read
    response = decide(as_approver, agent, 1, "go", "blind")

    # then it is refused, naming the rule, and nothing is recorded
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["version_required"]
    assert GateDecision.objects.count() == 1
    # and with the version read, it lands
    seen = gate(api, agent, 1)["version"]
    assert decide(as_approver, agent, 1, "go", "seen", version=seen).status_code == 201
    # and with that version again, now stale, it is 409 gate_changed
    stale = decide(as_approver, agent, 1, "no_go", "stale", version=seen)
    assert [r["code"] for r in stale.json()["reasons"]] == ["gate_changed"]
