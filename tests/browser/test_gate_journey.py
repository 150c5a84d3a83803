"""A gate's journey in headless Chromium: an assessor completes phase 1's checklist, an approver
who does not own the agent decides go, an operator suspends the agent from the gate board."""

import os

import pytest
from playwright.sync_api import expect

from agents.models import Agent
from gates.models import Gate, GateDecision
from overview import services as overview_services
from tests.helpers import provide_evidence

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser]

PASSWORD = "gate-journey-5521"
SHOTS = os.environ.get("READINESS_SCREENSHOTS", "/tmp")


@pytest.fixture
def people(transactional_db, org, make_member):
    members = {
        "sam": make_member(org, "assessor", username="sam"),
        "april": make_member(org, "approver", username="april"),
        "otto": make_member(org, "operator", username="otto"),
    }
    for membership in members.values():
        membership.user.set_password(PASSWORD)
        membership.user.save()
    return members


@pytest.fixture
def agent(people):
    return overview_services.agent_create(
        membership=people["sam"],
        data={
            "name": "Invoice triage",
            "purpose": "Sorts incoming invoices and routes disputes.",
            "business_unit": "Finance",
            "owner": "sam",
        },
    )


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_checklist_go_then_suspend_from_the_board(live_server, page, agent):
    base = live_server.url

    # Given the assessor signed in, on phase 1 of the agent
    sign_in(page, base, "sam")
    page.goto(f"{base}/agents/{agent.pk}/gates/1/")
    expect(
        page.get_by_role("heading", name="Phase 1: Governance and model control")
    ).to_be_visible()

    # Then every item is computed, and says what is missing
    expect(page.locator("#checklist-summary")).to_contain_text("1 of 5 items met")
    expect(page.locator("#item-boundaries_documented")).to_contain_text(
        "at least one of each is needed"
    )
    expect(page.get_by_role("checkbox")).to_have_count(0)  # nothing to tick by hand

    # When the agent's records, an operator and a runtime token exist, and the page reloads
    provide_evidence(agent, 1)
    page.reload()

    # Then the checklist is complete, each item with its evidence
    expect(page.locator("#checklist-summary")).to_contain_text("5 of 5 items met")
    expect(page.locator("#item-kill_switch_designed")).to_contain_text("unrevoked runtime token")
    sign_out(page)

    # Given the approver (not the owner) signed in, on the gate board
    sign_in(page, base, "april")
    page.goto(f"{base}/agents/board/")
    page.get_by_role("link", name="Phase 1 of Invoice triage: Pending").click()

    # Then they see, before pressing, that nothing stands in the way of a go
    expect(page.locator("#go-ready")).to_contain_text("Every condition for a go is met")
    page.screenshot(path=f"{SHOTS}/readiness-gate-before-go.png", full_page=True)

    # When they decide go with a rationale
    page.get_by_label("Go", exact=True).check()
    page.get_by_label("Rationale").fill("Owners, boundaries and escalation owners reviewed.")
    page.get_by_role("button", name="Record decision").click()

    # Then the gate is at go and the decision is in the history
    expect(page.get_by_text("Go recorded on phase 1 of “Invoice triage”.")).to_be_visible()
    expect(page.locator("#gate-state")).to_contain_text("Go")
    expect(page.get_by_text("Owners, boundaries and escalation owners reviewed.")).to_be_visible()
    assert Gate.objects.get(agent=agent, phase=1).state == "go"
    assert GateDecision.objects.get().decided_by.username == "april"
    sign_out(page)

    # Given the operator signed in, on the gate board
    sign_in(page, base, "otto")
    page.goto(f"{base}/agents/board/")
    page.screenshot(path=f"{SHOTS}/readiness-board.png", full_page=True)

    # When they press Suspend on the agent's row, and confirm with a reason
    page.get_by_role("link", name="Suspend Invoice triage").click()
    expect(page.get_by_role("heading", name="Suspend Invoice triage?")).to_be_visible()
    page.get_by_role("button", name="Suspend now").click()
    expect(page.get_by_text("Give a reason")).to_be_visible()  # the reason is required
    page.get_by_label("Reason for suspending").fill("Routing disputes to the wrong team.")
    page.get_by_role("button", name="Suspend now").click()

    # Then the agent page shows it SUSPENDED, with the reason
    banner = page.locator("#suspended-banner")
    expect(banner).to_contain_text("SUSPENDED")
    expect(banner).to_contain_text("Routing disputes to the wrong team.")
    expect(banner).to_contain_text("by otto")
    page.screenshot(path=f"{SHOTS}/readiness-agent-suspended.png", full_page=True)
    agent.refresh_from_db()
    assert agent.state == Agent.State.SUSPENDED
