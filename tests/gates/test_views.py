"""The agent pages: register, the agent page, editing records, gates, the kill switch, drills,
runtime tokens, and tenancy (another organization's agent is a 404 on every URL)."""

import pytest

from gates import services as gates_services
from gates.models import Gate, GateDecision
from overview import services as overview_services
from tests.helpers import complete_checklist, go, make_agent, state_of

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


def test_the_checklist_is_computed_and_read_only_with_its_evidence(assessor, agent, client_for):
    html = client_for(assessor).get(f"/agents/{agent.pk}/gates/1/").content.decode()

    assert 'type="checkbox"' not in html
    assert 'id="item-owner_assigned" data-met="true" data-source="derived"' in html
    assert "Owned by sam, an active member." in html
    assert "No escalation path is recorded." in html
    assert "Checklist: 1 of 5 items met." in html


def test_another_assessor_attests_tracing_on_the_page(agent, client_for, make_member, org):
    attester = make_member(org, "assessor", username="ines")
    client = client_for(attester)

    response = client.post(
        f"/agents/{agent.pk}/gates/4/checklist/",
        {"key": "tracing", "action": "attest", "evidence": "https://traces.example/invoices"},
        follow=True,
    )

    item = Gate.objects.get(agent=agent, phase=4).items.get(key="tracing")
    assert (item.met, item.evidence, item.updated_by) == (
        True,
        "https://traces.example/invoices",
        attester.user,
    )
    html = response.content.decode()
    assert "attested: it counts for a go until telemetry shows it" in html
    assert 'id="item-tracing" data-met="true" data-source="attested"' in html
    assert "Withdraw the attestation" in html

    client.post(f"/agents/{agent.pk}/gates/4/checklist/", {"key": "tracing", "action": "withdraw"})
    assert not Gate.objects.get(agent=agent, phase=4).items.get(key="tracing").met


def test_an_attestation_without_evidence_is_refused_on_the_page(
    agent, client_for, make_member, org
):
    attester = make_member(org, "assessor", username="ines")

    response = client_for(attester).post(
        f"/agents/{agent.pk}/gates/4/checklist/",
        {"key": "quality_threshold", "action": "attest", "evidence": "  "},
    )

    assert response.status_code == 400
    assert "Give the evidence" in response.content.decode()
    assert not Gate.objects.get(agent=agent, phase=4).items.filter(met=True).exists()


def test_the_owner_is_not_offered_an_attestation_and_a_post_is_refused(assessor, agent, client_for):
    client = client_for(assessor)  # sam owns the agent
    html = client.get(f"/agents/{agent.pk}/gates/4/").content.decode()
    assert "The agent&#x27;s owner may not attest its evidence" in html

    response = client.post(
        f"/agents/{agent.pk}/gates/4/checklist/",
        {"key": "tracing", "action": "attest", "evidence": "https://traces.example"},
    )

    assert response.status_code == 400
    assert "may not attest" in response.content.decode()
    assert not Gate.objects.get(agent=agent, phase=4).items.filter(met=True).exists()


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
    assert len(decision.unmet_items) == 4  # the owner is named: only that item is met
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
    gates_services.gate_decide(
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
    overview_services.agent_update(agent=agent, membership=assessor, data={"escalation_paths": []})

    html = client_for(approver).get(f"/agents/{agent.pk}/gates/1/").content.decode()

    assert 'id="needs-review"' in html
    assert (
        "what it approved is no longer in place: Every failure state mapped to a named "
        "escalation owner (No escalation path is recorded)"
    ) in html
