"""Leaving an assessment step with unsaved scores asks first (static/js/unsaved.js); saving,
or leaving a step that changed nothing, asks nothing. In headless Chromium."""

import pytest

from assessments.models import Assessment
from tests.factories import AssessmentFactory

pytestmark = [pytest.mark.browser]

PASSWORD = "unsaved-pass-5521"


@pytest.fixture
def signed_in(transactional_db, live_server, page, org, make_member):
    membership = make_member(org, "assessor", username="una")
    membership.user.set_password(PASSWORD)
    membership.user.save()
    assessment = AssessmentFactory(organization=org, created_by=membership.user)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "una")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    return assessment, dialogs


def open_step(page, live_server, assessment):
    page.goto(f"{live_server.url}/assessments/{assessment.pk}/step/1/")
    page.wait_for_selector("form[data-unsaved-ready]")


def test_leaving_with_unsaved_scores_asks_and_staying_keeps_them(live_server, page, signed_in):
    assessment, dialogs = signed_in
    open_step(page, live_server, assessment)

    page.click("label[for='id_ownership_3']")
    page.locator("a.step-link").nth(1).click()
    page.wait_for_timeout(500)

    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"/assessments/{assessment.pk}/step/1/")  # dismissed: stayed
    assert page.is_checked("#id_ownership_3")


def test_leaving_a_step_that_changed_nothing_asks_nothing(live_server, page, signed_in):
    assessment, dialogs = signed_in
    open_step(page, live_server, assessment)

    page.locator("a.step-link").nth(1).click()
    page.wait_for_url(f"**/assessments/{assessment.pk}/step/2/")

    assert dialogs == []


def test_saving_asks_nothing(live_server, page, signed_in):
    assessment, dialogs = signed_in
    open_step(page, live_server, assessment)

    page.click("label[for='id_ownership_3']")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(f"**/assessments/{assessment.pk}/step/2/")

    assert dialogs == []
    assert Assessment.objects.get().score_map == {"ownership": 4}
