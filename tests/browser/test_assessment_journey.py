"""An assessor's journey through the pages, in headless Chromium."""

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment

pytestmark = [pytest.mark.browser]

PASSWORD = "journey-pass-4417"
# Per step (dimension), the score of each of its three criteria. Data quality ends at
# (2 + 3 + 2) // 3 = 2, below the minimum of 3: blocked, whatever the total (4+4+4+2 = 14).
STEPS = [
    {"ownership": 5, "decision_boundaries": 4, "least_privilege": 4},
    {"prompt_lifecycle": 4, "guardrails": 4, "human_override": 4},
    {"tracing": 5, "alerting": 4, "outcome_metrics": 4},
    {"data_monitoring": 2, "drift_detection": 3, "test_data": 2},
]


def _choose(page, key: str, score: int) -> None:
    page.click(f"label[for='id_{key}_{score - 1}']")


@pytest.fixture
def assessor_with_password(transactional_db, org, make_member):
    membership = make_member(org, "assessor", username="carol")
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership


def test_assessor_scores_submits_and_sees_blocked_verdict(
    live_server, page, assessor_with_password
):
    # Given an assessor who is signed out
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")

    # When they sign in through the form
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Then the home page says nothing is submitted yet
    expect(page.get_by_text("No assessment submitted yet — start one")).to_be_visible()
    page.screenshot(path="/tmp/readiness-home-empty.png", full_page=True)

    # When they start a blank assessment
    page.get_by_role("link", name="New assessment").first.click()
    page.fill("input[name=title]", "Q3 readiness review")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", name="Step 1 of 4: Governance maturity")).to_be_visible()

    # And score every criterion, step by step, watching the live result
    for number, scores in enumerate(STEPS, start=1):
        expect(page.get_by_role("heading", name=f"Step {number} of 4")).to_be_visible()
        for key, score in scores.items():
            _choose(page, key, score)
        expect(page.locator("#live-result")).to_contain_text("includes unsaved choices")
        if number == len(STEPS):
            expect(page.locator("#live-result")).to_contain_text("Blocked")
            page.screenshot(path="/tmp/readiness-step.png", full_page=True)
            page.get_by_role("button", name="Save and review").click()
        else:
            page.get_by_role("button", name="Save and continue").click()

    # Then the review page shows every criterion scored, and they submit
    expect(page.get_by_role("heading", name="Draft: 12 of 12 criteria scored")).to_be_visible()
    page.get_by_role("button", name="Submit assessment").click()
    # And confirm on the page that says the scores are then fixed
    expect(page.get_by_text("nobody can change them afterwards")).to_be_visible()
    page.get_by_role("button", name="Submit and fix the scores").click()

    # Then the result is Blocked, with the reason naming the dimension below 3
    expect(page.get_by_text("Submitted. Verdict: Blocked")).to_be_visible()
    reasons = page.locator("ul.reasons")
    expect(reasons).to_contain_text("Data quality controls scores 2")
    expect(page.locator(".outcome .badge")).to_have_text("Blocked")
    expect(page.get_by_role("button", name="Submit assessment")).to_have_count(0)
    page.screenshot(path="/tmp/readiness-result.png", full_page=True)

    assessment = Assessment.objects.get()
    assert assessment.status == "submitted"
    assert assessment.verdict == "blocked"
    assert assessment.total == 14

    # And the home page now shows that verdict
    page.get_by_role("link", name="Overview").click()
    expect(page.locator(".outcome .badge")).to_have_text("Blocked")
    page.screenshot(path="/tmp/readiness-home.png", full_page=True)
