"""The agent pages: register, the agent page, editing records, gates, the kill switch, drills,
runtime tokens, and tenancy (another organization's agent is a 404 on every URL)."""

import pytest
from django.urls import reverse

from agents.models import Agent, ToolPermission
from audit.models import AuditEntry
from gates import services as gates_services
from gates.models import GateDecision
from killswitch import services as killswitch_services
from killswitch.models import AgentToken
from overview import services as overview_services
from tests.helpers import go, make_agent, state_of

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
    gates_services.prompt_version_post(
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
        overview_services.agent_update(
            agent=agent, membership=assessor, data={"purpose": f"Sorts invoices, take {i}"}
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
    assert "take 54" in " ".join(first.context["timeline"][0]["lines"])


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
    overview_services.agent_update(
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

    # when the assessor adds a tool permission, keeping the other records
    data = edit_data(
        agent,
        boundaries=list(agent.decision_boundaries.values("decision", "mode")),
        escalations=[
            {"failure_state": p.failure_state, "owner": p.owner.username}
            for p in agent.escalation_paths.all()
        ],
        tools=[
            *agent.tool_permissions.values("tool", "access", "justification"),
            {"tool": "Mailer", "access": "read", "justification": "notify"},
        ],
        initial=(2, 1, 1),
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
    drill = killswitch_services.drill_start(agent=agent, membership=operator)
    client = client_for(other_assessor)
    data = {"reason": "x", "resume-reason": "x", "decision": "no_go", "rationale": "x"}

    response = getattr(client, method)(url.format(pk=agent.pk, drill=drill.pk), data)

    assert response.status_code == 404
    drill.refresh_from_db()
    assert drill.ended_at is None
    assert not GateDecision.objects.exists()
    assert not AgentToken.objects.exists()


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
