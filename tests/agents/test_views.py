"""The agent pages: register, the agent page, editing records, gates, the kill switch, drills,
runtime tokens, and tenancy (another organization's agent is a 404 on every URL)."""

import pytest
from django.urls import reverse

from agents import services
from agents.checklists import phase_definition
from agents.models import Agent, AgentToken, Gate, GateDecision, Suspension, ToolPermission
from audit.models import AuditEntry


def make_agent(membership, name="Invoice triage", owner=None, **data):
    return services.agent_create(
        membership=membership,
        data={
            "name": name,
            "purpose": "Sorts incoming invoices",
            "business_unit": "Finance",
            "owner": owner or membership.user.username,
            **data,
        },
    )


def complete_checklist(agent, phase, assessor):
    services.checklist_update(
        agent=agent,
        phase=phase,
        membership=assessor,
        changes={k: {"met": True, "evidence": "runbook"} for k in phase_definition(phase).keys},
    )


def go(agent, phase, assessor, approver):
    complete_checklist(agent, phase, assessor)
    services.gate_decide(
        agent=agent, phase=phase, membership=approver, decision="go", rationale="All in place."
    )


def state_of(agent, phase):
    return Gate.objects.get(agent=agent, phase=phase).state


@pytest.fixture
def agent(assessor):
    """Owned by the assessor "sam" (so the approver "april" may decide)."""
    return make_agent(assessor)


# --------------------------------------------------------------------------- register


def test_assessor_registers_an_agent_and_lands_on_its_page(assessor, approver, client_for):
    client = client_for(assessor)

    page = client.get("/agents/new/")
    assert page.status_code == 200
    assert 'name="owner"' in page.content.decode()

    response = client.post(
        "/agents/new/",
        {"name": "Refund bot", "purpose": "Refunds", "business_unit": "Support", "owner": "april"},
    )

    agent = Agent.objects.get(name="Refund bot")
    assert response.status_code == 302
    assert response["Location"] == reverse("agents:detail", args=[agent.pk])
    assert agent.owner == approver.user
    assert agent.gates.count() == 4
    html = client.get(response["Location"]).content.decode()
    assert "Refund bot" in html
    assert "Registered" in html  # the timeline reads the audit log


def test_viewer_may_not_register_an_agent(viewer, client_for):
    client = client_for(viewer)

    assert client.get("/agents/new/").status_code == 403
    response = client.post("/agents/new/", {"name": "Sneaky", "owner": "vic"})

    assert response.status_code == 403
    assert not Agent.objects.exists()


def test_an_owner_who_is_not_a_member_is_refused_beside_the_field(
    assessor, other_assessor, client_for
):
    # given gus, a member of another organization
    response = client_for(assessor).post("/agents/new/", {"name": "Refund bot", "owner": "gus"})

    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert "is not one of them" in response.context["form"].errors["owner"][0]
    assert not Agent.objects.exists()


def test_a_duplicate_name_is_refused_beside_the_name(assessor, agent, client_for):
    response = client_for(assessor).post("/agents/new/", {"name": agent.name, "owner": "sam"})

    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["name"][0]
    assert Agent.objects.count() == 1


# --------------------------------------------------------------------------- agent page


def test_agent_page_shows_records_gates_prompt_versions_and_timeline(
    assessor, approver, viewer, client_for
):
    # given an agent with records, a prompt version and a decided gate
    agent = make_agent(
        assessor,
        decision_boundaries=[{"decision": "Refund up to 50 EUR", "mode": "alone"}],
        escalation_paths=[{"failure_state": "Customer disputes", "owner": "april"}],
        tool_permissions=[{"tool": "CRM API", "access": "read", "justification": "lookups"}],
        guardrails={"api_calls_per_hour": 120},
    )
    services.prompt_version_post(
        agent=agent,
        membership=assessor,
        data={
            "tag": "v1.2",
            "regression_passed": True,
            "adversarial_passed": False,
            "delta": 0.01,
            "tolerance": 0.05,
            "rollback_target": "v1.1",
        },
    )
    go(agent, 1, assessor, approver)

    # when a viewer opens it
    response = client_for(viewer).get(f"/agents/{agent.pk}/")

    # then everything is there, in words
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Refund up to 50 EUR",
        "Decides alone",
        "Customer disputes",
        "CRM API",
        "120",
        "v1.2",
        "The adversarial suite did not pass.",
        "Phase 1: Go",
        "Phase 1 checklist changed",
        "Kill switch",
        "Never drilled",
    ):
        assert text in html, text
    # and a viewer gets no buttons that would be refused
    assert "Edit records" not in html
    assert f"/agents/{agent.pk}/suspend/" not in html
    assert "Runtime tokens" not in html


def test_timeline_is_limited_and_offers_show_more(assessor, agent, client_for):
    for i in range(55):
        services.checklist_update(
            agent=agent,
            phase=1,
            membership=assessor,
            changes={"owner_assigned": {"evidence": f"note {i}"}},
        )

    client = client_for(assessor)
    first = client.get(f"/agents/{agent.pk}/")
    more = client.get(f"/agents/{agent.pk}/?timeline=100")

    assert len(first.context["timeline"]) == 50
    assert first.context["timeline_more"] is True
    assert "Show more" in first.content.decode()
    assert len(more.context["timeline"]) == 56
    assert more.context["timeline_more"] is False
    # newest first
    assert "note 54" in " ".join(first.context["timeline"][0]["lines"])


# --------------------------------------------------------------------------- edit records


def _formset(prefix, rows, initial):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def edit_data(agent, *, boundaries=(), escalations=(), tools=(), initial=(0, 0, 0), **fields):
    agent.refresh_from_db()
    data = {
        "version": agent.version,
        "name": agent.name,
        "purpose": agent.purpose,
        "business_unit": agent.business_unit,
        "owner": agent.owner.username,
        "api_calls_per_hour": "",
        "tokens_per_session": "",
        "sequential_actions_before_confirmation": "",
        "monthly_budget": "",
        **fields,
    }
    data.update(_formset("boundaries", list(boundaries), initial[0]))
    data.update(_formset("escalations", list(escalations), initial[1]))
    data.update(_formset("tools", list(tools), initial[2]))
    return data


def test_edit_page_offers_empty_rows_to_add_without_javascript(assessor, agent, client_for):
    response = client_for(assessor).get(f"/agents/{agent.pk}/edit/")

    html = response.content.decode()
    assert response.status_code == 200
    # two empty rows per table, with a visible label for each cell
    assert 'name="tools-1-tool"' in html
    assert 'name="boundaries-1-decision"' in html
    assert 'name="escalations-1-owner"' in html
    assert 'aria-label="Tool, row 1"' in html
    assert f'name="version" value="{agent.version}"' in html


def test_assessor_adds_a_tool_permission_and_guardrails(assessor, agent, client_for):
    data = edit_data(
        agent,
        tools=[
            {
                "tool": "CRM API",
                "access": "write",
                "justification": "updates tickets",
                "last_used": "2026-01-10",
                "last_reviewed": "",
            },
            {"tool": "", "access": "", "justification": "", "last_used": "", "last_reviewed": ""},
        ],
        api_calls_per_hour="200",
        monthly_budget="1500.50",
    )

    response = client_for(assessor).post(f"/agents/{agent.pk}/edit/", data)

    assert response.status_code == 302, response.context and response.context["bundle"].errors
    tool = ToolPermission.objects.get(agent=agent)
    assert (tool.tool, tool.access, tool.justification) == ("CRM API", "write", "updates tickets")
    assert tool.last_used.isoformat() == "2026-01-10"
    agent.refresh_from_db()
    assert agent.api_calls_per_hour == 200
    assert str(agent.monthly_budget) == "1500.50"
    entry = AuditEntry.objects.filter(action="agent.updated").get()
    assert entry.before["tool_permissions"] == []
    assert entry.after["tool_permissions"][0]["tool"] == "CRM API"


def test_ticking_remove_deletes_a_row(assessor, client_for):
    agent = make_agent(
        assessor,
        decision_boundaries=[
            {"decision": "Refund small amounts", "mode": "alone"},
            {"decision": "Close accounts", "mode": "escalate"},
        ],
    )
    data = edit_data(
        agent,
        boundaries=[
            {"decision": "Refund small amounts", "mode": "alone"},
            {"decision": "Close accounts", "mode": "escalate", "DELETE": "on"},
        ],
        initial=(2, 0, 0),
    )

    response = client_for(assessor).post(f"/agents/{agent.pk}/edit/", data)

    assert response.status_code == 302
    assert [b.decision for b in agent.decision_boundaries.all()] == ["Refund small amounts"]


def test_an_incomplete_row_is_refused_beside_its_field(assessor, agent, client_for):
    data = edit_data(
        agent,
        escalations=[{"failure_state": "Payment API down", "owner": ""}],
    )

    response = client_for(assessor).post(f"/agents/{agent.pk}/edit/", data)

    assert response.status_code == 400
    form = response.context["bundle"].escalations.forms[0]
    assert "owner" in form.errors
    assert "Nothing was saved" in response.content.decode()
    assert not agent.escalation_paths.exists()


def test_a_stale_version_is_refused_and_nothing_is_saved(assessor, agent, client_for):
    # given the assessor opened the page at this version
    data = edit_data(agent, purpose="My change")
    # and a colleague saved meanwhile
    services.agent_update(
        agent=agent, membership=assessor, data={"purpose": "Their change"}, expected_version=None
    )

    response = client_for(assessor).post(f"/agents/{agent.pk}/edit/", data)

    assert response.status_code == 409
    assert "Nothing of yours was saved" in response.content.decode()
    agent.refresh_from_db()
    assert agent.purpose == "Their change"


def test_editing_a_governance_record_of_a_gate_at_go_shows_needs_review(
    assessor, approver, agent, client_for
):
    # given phase 1 at go
    go(agent, 1, assessor, approver)
    client = client_for(assessor)

    # the edit page warns before saving
    page = client.get(f"/agents/{agent.pk}/edit/").content.decode()
    assert "Phase 1 is at go." in page

    # when the assessor adds a tool permission
    data = edit_data(
        agent,
        tools=[{"tool": "Mailer", "access": "read", "justification": "notify"}],
    )
    response = client.post(f"/agents/{agent.pk}/edit/", data, follow=True)

    # then phase 1 needs review, visibly
    assert state_of(agent, 1) == "needs_review"
    html = response.content.decode()
    assert "Phase 1 was at go and now needs review" in html
    assert "Needs review" in html
    assert "its records changed (tool permissions)" in html


def test_viewer_and_operator_may_not_edit(viewer, operator, agent, client_for):
    for member in (viewer, operator):
        client = client_for(member)
        assert client.get(f"/agents/{agent.pk}/edit/").status_code == 403
        response = client.post(f"/agents/{agent.pk}/edit/", edit_data(agent, purpose="x"))
        assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.purpose == "Sorts incoming invoices"


# --------------------------------------------------------------------------- gates


def test_gate_page_shows_why_a_go_would_be_refused_before_pressing(approver, agent, client_for):
    response = client_for(approver).get(f"/agents/{agent.pk}/gates/2/")

    html = response.content.decode()
    assert response.status_code == 200
    codes = [r.code for r in response.context["go_reasons"]]
    assert codes == ["unmet_items", "previous_phase_not_go"]
    assert "5 checklist item(s) of phase 2 not met" in html
    assert "Phase 1 is pending: it must be at go first." in html
    # the go option is disabled, no-go stays possible
    assert _go_disabled(html)
    assert not _no_go_disabled(html)


def _radio(html, value):
    start = html.index(f'value="{value}"')
    return html[html.rindex("<input", 0, start) : html.index(">", start)]


def _go_disabled(html):
    return "disabled" in _radio(html, "go")


def _no_go_disabled(html):
    return "disabled" in _radio(html, "no_go")


def test_phase_4_lists_missing_readiness(approver, assessor, agent, client_for):
    response = client_for(approver).get(f"/agents/{agent.pk}/gates/4/")

    codes = [r.code for r in response.context["go_reasons"]]
    assert "readiness_missing" in codes


@pytest.mark.parametrize("phase", ["0", "5", "x"])
def test_unknown_phase_is_404(viewer, agent, client_for, phase):
    assert client_for(viewer).get(f"/agents/{agent.pk}/gates/{phase}/").status_code == 404


def test_assessor_saves_the_checklist(assessor, agent, client_for):
    client = client_for(assessor)
    data = {
        "met_owner_assigned": "on",
        "evidence_owner_assigned": "https://wiki/owners",
        "met_boundaries_documented": "on",
        "evidence_boundaries_documented": "",
    }

    response = client.post(f"/agents/{agent.pk}/gates/1/checklist/", data, follow=True)

    items = {i.key: i for i in Gate.objects.get(agent=agent, phase=1).items.all()}
    assert items["owner_assigned"].met is True
    assert items["owner_assigned"].evidence == "https://wiki/owners"
    assert items["owner_assigned"].updated_by == assessor.user
    assert items["boundaries_documented"].met is True
    assert items["kill_switch_designed"].met is False
    html = response.content.decode()
    assert "Checklist of phase 1 saved: 2 of 5 items met." in html
    assert "Last changed by sam" in html


def test_viewer_and_approver_may_not_fill_the_checklist(viewer, approver, agent, client_for):
    for member in (viewer, approver):
        response = client_for(member).post(
            f"/agents/{agent.pk}/gates/1/checklist/", {"met_owner_assigned": "on"}
        )
        assert response.status_code == 403
    assert not Gate.objects.get(agent=agent, phase=1).items.filter(met=True).exists()


def test_approver_who_is_not_the_owner_decides_go(assessor, approver, agent, client_for):
    complete_checklist(agent, 1, assessor)
    client = client_for(approver)
    page = client.get(f"/agents/{agent.pk}/gates/1/")
    assert page.context["go_reasons"] == []
    assert not _go_disabled(page.content.decode())

    response = client.post(
        f"/agents/{agent.pk}/gates/1/decide/",
        {
            "decision": "go",
            "rationale": "Owners and boundaries reviewed.",
            "version": page.context["gate"].version,
        },
        follow=True,
    )

    assert state_of(agent, 1) == "go"
    decision = GateDecision.objects.get()
    assert (decision.decision, decision.decided_by) == ("go", approver.user)
    html = response.content.decode()
    assert "Go recorded on phase 1" in html
    assert "Owners and boundaries reviewed." in html


def test_a_no_go_lists_the_unmet_items(approver, agent, client_for):
    version = Gate.objects.get(agent=agent, phase=1).version
    response = client_for(approver).post(
        f"/agents/{agent.pk}/gates/1/decide/",
        {"decision": "no_go", "rationale": "Nothing documented yet.", "version": version},
        follow=True,
    )

    decision = GateDecision.objects.get()
    assert decision.decision == "no_go"
    assert len(decision.unmet_items) == 5
    assert state_of(agent, 1) == "no_go"
    html = response.content.decode()
    assert "Unmet items recorded with it" in html
    assert "Kill switch designed, with named operators" in html


def test_rationale_is_required(approver, agent, client_for):
    response = client_for(approver).post(
        f"/agents/{agent.pk}/gates/1/decide/", {"decision": "no_go", "rationale": "", "version": 1}
    )

    assert response.status_code == 400
    assert "rationale" in response.context["decision_form"].errors
    assert not GateDecision.objects.exists()


def test_the_owner_sees_why_and_a_go_post_is_refused(
    assessor, approver, client_for, make_member, org
):
    # given an agent owned by the approver april, with phase 1 complete
    agent = make_agent(assessor, owner="april")
    complete_checklist(agent, 1, assessor)
    client = client_for(approver)

    page = client.get(f"/agents/{agent.pk}/gates/1/")
    html = page.content.decode()
    assert [r.code for r in page.context["go_reasons"]] == ["owner_cannot_decide"]
    assert "another approver must decide" in html
    assert 'id="owner-blocked"' in html
    assert 'name="decision"' not in html  # no form to press

    # when they post a go anyway
    version = Gate.objects.get(agent=agent, phase=1).version
    response = client.post(
        f"/agents/{agent.pk}/gates/1/decide/",
        {"decision": "go", "rationale": "Mine, fine.", "version": version},
    )

    # then it is refused with the reason, and nothing is recorded
    assert response.status_code == 409
    assert "You own this agent: another approver must decide" in response.content.decode()
    assert not GateDecision.objects.exists()
    assert state_of(agent, 1) == "pending"


def test_a_decision_on_a_gate_that_changed_meanwhile_is_refused(
    assessor, approver, agent, client_for
):
    # given the approver opened the gate at this version
    seen = Gate.objects.get(agent=agent, phase=1).version
    # and a no-go was recorded by someone else meanwhile
    services.gate_decide(
        agent=agent, phase=1, membership=approver, decision="no_go", rationale="First."
    )

    response = client_for(approver).post(
        f"/agents/{agent.pk}/gates/1/decide/",
        {"decision": "no_go", "rationale": "Second.", "version": seen},
    )

    assert response.status_code == 409
    assert "The gate changed while you were deciding" in response.content.decode()
    assert GateDecision.objects.count() == 1


def test_operator_may_not_decide(operator, agent, client_for):
    response = client_for(operator).post(
        f"/agents/{agent.pk}/gates/1/decide/",
        {"decision": "no_go", "rationale": "No.", "version": 1},
    )

    assert response.status_code == 403
    assert not GateDecision.objects.exists()


def test_needs_review_shows_its_reason_on_the_gate_page(assessor, approver, agent, client_for):
    go(agent, 1, assessor, approver)
    services.checklist_update(
        agent=agent,
        phase=1,
        membership=assessor,
        changes={"owner_assigned": {"evidence": "new owner list"}},
    )

    html = client_for(approver).get(f"/agents/{agent.pk}/gates/1/").content.decode()

    assert 'id="needs-review"' in html
    assert "its checklist changed (Named owner assigned)" in html


# --------------------------------------------------------------------------- kill switch


def test_operator_suspends_through_the_confirm_step(operator, agent, client_for):
    client = client_for(operator)

    confirm = client.get(f"/agents/{agent.pk}/suspend/")
    assert confirm.status_code == 200
    assert "Suspend now" in confirm.content.decode()
    agent.refresh_from_db()
    assert not agent.is_suspended  # a GET changes nothing

    missing = client.post(f"/agents/{agent.pk}/suspend/", {"reason": "  "})
    assert missing.status_code == 400
    assert "reason" in missing.context["form"].errors

    response = client.post(
        f"/agents/{agent.pk}/suspend/", {"reason": "Refunds look wrong"}, follow=True
    )

    agent.refresh_from_db()
    assert agent.is_suspended
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("agents:detail", args=[agent.pk])
    assert "SUSPENDED" in html
    assert "Refunds look wrong" in html
    assert "is suspended" in html


@pytest.mark.parametrize("role", ["viewer", "assessor", "approver"])
def test_only_operators_suspend(org, make_member, agent, client_for, role):
    client = client_for(make_member(org, role))

    assert client.get(f"/agents/{agent.pk}/suspend/").status_code == 403
    assert client.post(f"/agents/{agent.pk}/suspend/", {"reason": "x"}).status_code == 403
    agent.refresh_from_db()
    assert not agent.is_suspended
    assert not Suspension.objects.exists()


def test_suspending_an_agent_already_suspended_changes_nothing(operator, agent, client_for):
    services.agent_suspend(agent=agent, membership=operator, reason="First")
    client = client_for(operator)

    response = client.post(f"/agents/{agent.pk}/suspend/", {"reason": "Second"}, follow=True)

    assert "already suspended: nothing changed" in response.content.decode()
    assert Suspension.objects.count() == 1
    assert Suspension.objects.get().reason == "First"
    # and the confirm page itself says so
    again = client.get(f"/agents/{agent.pk}/suspend/", follow=True)
    assert "already suspended" in again.content.decode()


def test_approver_resumes_with_a_reason(operator, approver, agent, client_for):
    services.agent_suspend(agent=agent, membership=operator, reason="Odd refunds")
    client = client_for(approver)
    page = client.get(f"/agents/{agent.pk}/").content.decode()
    assert "Resume agent" in page

    missing = client.post(f"/agents/{agent.pk}/resume/", {"resume-reason": ""})
    assert missing.status_code == 400
    assert "reason" in missing.context["resume_form"].errors

    response = client.post(
        f"/agents/{agent.pk}/resume/", {"resume-reason": "Fixed the rule"}, follow=True
    )

    agent.refresh_from_db()
    assert not agent.is_suspended
    assert "is active again" in response.content.decode()
    assert Suspension.objects.get().end_reason == "Fixed the rule"


def test_operator_may_not_resume(operator, agent, client_for):
    services.agent_suspend(agent=agent, membership=operator, reason="Odd")

    response = client_for(operator).post(f"/agents/{agent.pk}/resume/", {"resume-reason": "ok"})

    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.is_suspended


def test_operator_runs_a_drill(operator, agent, client_for):
    client = client_for(operator)

    started = client.post(f"/agents/{agent.pk}/drills/start/", follow=True)
    drill = Suspension.objects.get(kind="drill")
    agent.refresh_from_db()
    assert agent.is_suspended
    assert "Drill started" in started.content.decode()
    assert "kill-switch drill" in started.content.decode()

    # the runtime reads its status: that is the time to stop
    services.agent_status_read(agent=agent)
    ended = client.post(f"/agents/{agent.pk}/drills/{drill.pk}/end/", follow=True)

    agent.refresh_from_db()
    drill.refresh_from_db()
    assert not agent.is_suspended
    assert drill.ended_at is not None
    html = ended.content.decode()
    assert "Drill ended" in html
    assert "Time to stop" in html
    assert "Never drilled" not in html


def test_another_operator_may_not_end_someone_elses_drill(
    operator, org, make_member, agent, client_for
):
    drill = services.drill_start(agent=agent, membership=operator)
    other = make_member(org, "operator", username="olga")

    response = client_for(other).post(f"/agents/{agent.pk}/drills/{drill.pk}/end/")

    assert response.status_code == 403
    drill.refresh_from_db()
    assert drill.ended_at is None


def test_viewer_may_not_start_a_drill(viewer, agent, client_for):
    assert client_for(viewer).post(f"/agents/{agent.pk}/drills/start/").status_code == 403
    assert not Suspension.objects.exists()


# --------------------------------------------------------------------------- runtime tokens


def test_admin_creates_a_runtime_token_shown_once(admin, agent, client_for):
    client = client_for(admin)

    response = client.post(f"/agents/{agent.pk}/tokens/", {"token-name": "prod runtime"})

    token = AgentToken.objects.get()
    raw = response.context["raw_token"]
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert raw in response.content.decode()
    assert raw.startswith(token.prefix)
    # the next visit lists the prefix, never the raw token
    again = client.get(f"/agents/{agent.pk}/").content.decode()
    assert raw not in again
    assert token.prefix in again


@pytest.mark.parametrize("role", ["viewer", "assessor", "approver", "operator"])
def test_only_admins_create_runtime_tokens(org, make_member, agent, client_for, role):
    client = client_for(make_member(org, role))

    assert client.post(f"/agents/{agent.pk}/tokens/", {"token-name": "x"}).status_code == 403
    assert not AgentToken.objects.exists()


# --------------------------------------------------------------------------- tenancy

OTHER_ORG_URLS = [
    ("get", "/agents/{pk}/"),
    ("get", "/agents/{pk}/edit/"),
    ("post", "/agents/{pk}/edit/"),
    ("get", "/agents/{pk}/gates/1/"),
    ("get", "/agents/{pk}/gates/4/"),
    ("post", "/agents/{pk}/gates/1/checklist/"),
    ("post", "/agents/{pk}/gates/1/decide/"),
    ("get", "/agents/{pk}/suspend/"),
    ("post", "/agents/{pk}/suspend/"),
    ("post", "/agents/{pk}/resume/"),
    ("post", "/agents/{pk}/drills/start/"),
    ("post", "/agents/{pk}/drills/{drill}/end/"),
    ("post", "/agents/{pk}/tokens/"),
]


@pytest.mark.parametrize(("method", "url"), OTHER_ORG_URLS)
def test_another_organizations_agent_is_404_everywhere(
    operator, agent, other_assessor, client_for, method, url
):
    # given Acme's agent with a drill, and gus of Globex holding every role there
    drill = services.drill_start(agent=agent, membership=operator)
    client = client_for(other_assessor)
    data = {"reason": "x", "resume-reason": "x", "decision": "no_go", "rationale": "x"}

    response = getattr(client, method)(url.format(pk=agent.pk, drill=drill.pk), data)

    assert response.status_code == 404
    drill.refresh_from_db()
    assert drill.ended_at is None
    assert not GateDecision.objects.exists()
    assert not AgentToken.objects.exists()


# --------------------------------------------------------------------------- admin

AGENT_MODELS = [
    "agent",
    "gate",
    "gatedecision",
    "checklistitem",
    "promptversion",
    "suspension",
    "agenttoken",
    "decisionboundary",
    "escalationpath",
    "toolpermission",
    "agentthresholds",
    "metricsnapshot",
    "horizondecision",
    "riskassessment",
]


@pytest.fixture
def superuser_client(db):
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", AGENT_MODELS)
def test_every_agents_model_is_in_the_admin(superuser_client, agent, operator, model):
    services.drill_start(agent=agent, membership=operator)

    response = superuser_client.get(f"/admin/agents/{model}/")

    assert response.status_code == 200


def test_admin_never_changes_or_deletes_a_gate_decision(superuser_client, approver, agent):
    decision = services.gate_decide(
        agent=agent, phase=1, membership=approver, decision="no_go", rationale="Not yet."
    )
    url = f"/admin/agents/gatedecision/{decision.pk}/change/"

    page = superuser_client.get(url)
    superuser_client.post(url, {"rationale": "Rewritten"})
    deleted = superuser_client.post(
        f"/admin/agents/gatedecision/{decision.pk}/delete/", {"post": "yes"}
    )

    assert page.status_code == 200  # viewable
    assert 'name="rationale"' not in page.content.decode()
    assert deleted.status_code == 403
    decision.refresh_from_db()
    assert decision.rationale == "Not yet."
    assert superuser_client.get(f"/admin/agents/agent/{agent.pk}/change/").status_code == 200


def test_a_new_tool_in_optimization_without_risk_assessment_keeps_the_input(
    assessor, agent, client_for
):
    # given an agent in optimization
    Agent.objects.filter(pk=agent.pk).update(horizon="optimization")
    data = edit_data(agent, tools=[{"tool": "Payments API", "access": "write"}])

    response = client_for(assessor).post(f"/agents/{agent.pk}/edit/", data)

    assert response.status_code == 409
    html = response.content.decode()
    assert "need a risk assessment first" in html
    assert 'value="Payments API"' in html  # what they typed is still there
    assert not agent.tool_permissions.exists()
