"""Notifications in headless Chromium: a member sees the unread count, follows a notification
to its agent (which marks it read) and chooses what comes by email."""

import os

import pytest
from playwright.sync_api import expect

from killswitch import services as killswitch_services
from notifications.models import NotificationPreference
from tests.factories import AgentFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser]

PASSWORD = "notifications-journey-5521"


@pytest.fixture
def otto(transactional_db, org, make_member):
    membership = make_member(org, "operator", username="otto")
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership


def test_follow_a_notification_to_its_agent_and_choose_the_emails(
    live_server, page, otto, org, make_member
):
    # given another operator suspends an agent (committed: the receiver tells otto)
    sam = make_member(org, "assessor", username="sam")
    opal = make_member(org, "operator", username="opal")
    agent = AgentFactory(owned_by=sam, registered_by=sam, name="Refund bot")
    killswitch_services.agent_suspend(agent=agent, membership=opal, reason="Odd refunds")

    # when otto signs in, then the navigation counts one unread notification
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "otto")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#nav-notifications")).to_contain_text("1 unread")

    # when he follows it, then he is on the agent's page and nothing is unread any more
    page.locator("#nav-notifications").click()
    page.get_by_role("link", name="Refund bot was suspended by opal: Odd refunds").click()
    expect(page).to_have_url(f"{live_server.url}/agents/{agent.pk}/")
    expect(page.locator("#nav-notifications")).not_to_contain_text("unread")

    # when he turns suspensions off by email, then it is saved
    page.goto(f"{live_server.url}/notifications/preferences/")
    page.get_by_label("An agent was suspended (by hand, automatically or by a drill)").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: your email choices are changed.")).to_be_visible()
    assert (
        NotificationPreference.objects.get(membership=otto, kind="agent_suspended").email is False
    )
