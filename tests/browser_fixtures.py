"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API, for every
browser test of the suite (tests/conftest.py imports these fixtures once, so one browser
serves the whole session whichever room's tests use it).

Playwright's sync API runs an event loop in the test thread, so Django's async-safety check
has to be told that database calls from that thread are fine: only while a browser runs.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install --no-install-recommends chromium)"
        if _in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Anything the content security policy blocked is a bug: the page needed it.
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not blocked, f"the content security policy blocked: {blocked}"
