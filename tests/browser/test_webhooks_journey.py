"""Webhooks in headless Chromium: an admin adds an endpoint (a real receiver on the loopback),
copies its secret, shown once, sends a test event and sees it delivered; the receiver verified
it with `standardwebhooks`."""

import os

import pytest
from playwright.sync_api import expect

from tests.webhooks.conftest import Receiver
from webhooks import services, tasks

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser]

PASSWORD = "webhooks-journey-4417"
SHOTS = os.environ.get("READINESS_SCREENSHOTS", "/tmp")


@pytest.fixture
def ada(transactional_db, org, make_member):
    membership = make_member(org, "admin", username="ada")
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership


@pytest.fixture
def worker(monkeypatch):
    """Queued attempts run at once, in the server's thread, as a worker would run them."""

    def apply_async(args, countdown=None, **kwargs):
        if countdown is None:
            services.delivery_attempt(delivery_id=args[0])

    monkeypatch.setattr(tasks.deliver, "apply_async", apply_async)


def test_add_a_webhook_copy_its_secret_and_send_a_test_event(live_server, page, ada, worker):
    receiver = Receiver().start()
    try:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Admin").or_(page.get_by_role("link", name="Admin")).click()
        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()

        page.fill("input[name=url]", receiver.url)
        page.get_by_label("agent.suspended: An agent was suspended").check()
        page.get_by_role("button", name="Add webhook").click()

        secret = page.locator("#secret-value").inner_text().strip()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        page.get_by_role("button", name="Copy").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == secret
        page.screenshot(path=f"{SHOTS}/webhooks-list.png", full_page=True)

        page.reload()
        expect(page.locator("#secret-value")).to_have_count(0)

        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_role("heading", name="Deliveries")).to_be_visible()
        page.reload()
        expect(page.get_by_text("Succeeded")).to_be_visible()
        expect(page.get_by_text("HTTP 200")).to_be_visible()
        page.screenshot(path=f"{SHOTS}/webhooks-deliveries.png", full_page=True)
        (payload,) = receiver.verified()
        assert payload["type"] == "webhook.test"
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
