"""The whole single sign-on in headless Chromium: from our sign-in page's button, through the
real provider's login form, back to the overview with the mapped role; and, with no mapping,
to the page that says whom to ask."""

import os

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from core.roles import Role
from sso import discovery
from tests.factories_sso import GroupMappingFactory

from .provider import CLIENT_ID, CLIENT_SECRET, provider_running

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("READINESS_SCREENSHOTS", "/tmp")


@pytest.fixture
def live_provider(live_server, tmp_path, settings, transactional_db):
    with provider_running(tmp_path, [f"{live_server.url}/sso/callback/"]) as provider:
        settings.OIDC_ISSUER = provider.issuer
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_RP_SCOPES = "openid email profile groups"
        settings.OIDC_BUTTON_LABEL = "Sign in with Acme ID"
        discovery.forget()
        provider.set_users(
            {
                "bea": {
                    "email": "bea@acme.example",
                    "preferred_username": "bea",
                    "groups": ["readiness-approvers"],
                }
            }
        )
        yield provider
        discovery.forget()


def sign_in_with_the_button(page, base_url):
    page.goto(f"{base_url}/login/")
    expect(page.locator("input[name=username]")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/sso-sign-in.png")
    page.get_by_role("link", name="Sign in with Acme ID").click()
    # the provider's own login form
    page.fill("input[name=login]", "bea")
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")


def test_sso_from_the_button_to_the_overview_with_the_mapped_role(
    page, live_server, live_provider, org
):
    GroupMappingFactory(claim_value="readiness-approvers", organization=org, roles=["approver"])

    sign_in_with_the_button(page, live_server.url)

    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("nav")).to_contain_text("bea")
    expect(page.locator("nav")).to_contain_text("Acme Robotics")
    membership = Membership.objects.get(user__username="bea", organization=org)
    assert membership.roles == {Role.APPROVER}


def test_sso_with_no_mapping_lands_on_whom_to_ask(page, live_server, live_provider, org):
    sign_in_with_the_button(page, live_server.url)

    page.wait_for_url(f"{live_server.url}/sso/no-role/")
    expect(page.locator("#sso-no-role")).to_contain_text("no role yet")
    page.screenshot(path=f"{SHOTS}/sso-no-role.png")
    assert not Membership.objects.filter(user__username="bea").exists()
