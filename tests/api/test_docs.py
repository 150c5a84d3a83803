"""/api/v1/docs renders under the site's content security policy: Swagger UI's scripts and
stylesheet come from our own static files (django-ninja's bundle, "ninja" in INSTALLED_APPS),
never a CDN, and the page has no inline script."""

import json
import os
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

DOCS = "/api/v1/docs"
SHOTS = os.environ.get("READINESS_SCREENSHOTS", "/tmp")


class Assets(HTMLParser):
    """The URLs a page loads (scripts, stylesheets, icons) and the bodies of its scripts."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._script = {**attrs, "body": ""}
            if attrs.get("src"):
                self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])

    def handle_data(self, data):
        if self._script is not None:
            self._script["body"] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(self._script)
            self._script = None


@pytest.fixture
def docs(db):
    response = Client().get(DOCS)
    assert response.status_code == 200
    assets = Assets()
    assets.feed(response.content.decode())
    return response, assets


def test_every_asset_of_the_docs_is_one_of_our_static_files(docs):
    _, assets = docs

    assert len(assets.urls) >= 3  # Swagger UI's bundle, its initialisation and its stylesheet
    for url in assets.urls:
        parts = urlsplit(url)
        assert not parts.scheme, f"{url} is on another host"
        assert not parts.netloc, f"{url} is on another host"
        assert url.startswith(settings.STATIC_URL), f"{url} is not a static file"
        assert finders.find(url.removeprefix(settings.STATIC_URL)), f"{url} is not collected"


def test_the_docs_have_no_inline_script(docs):
    _, assets = docs

    executable = [s for s in assets.scripts if s.get("type") != "application/json"]
    assert executable, "Swagger UI's scripts are missing"
    for script in executable:
        assert script.get("src"), f"inline script: {script['body'][:80]!r}"
        assert not script["body"].strip()
    # the settings are a JSON data block, which the browser never runs (nor the policy governs)
    (data,) = (s for s in assets.scripts if s.get("type") == "application/json")
    assert '"url": "/api/v1/openapi.json"' in data["body"]


def test_the_docs_keep_the_site_wide_policy(docs, client):
    response, _ = docs

    assert (
        response.headers["Content-Security-Policy"]
        == client.get("/login/").headers["Content-Security-Policy"]
    )
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def _no_key_twice(pairs):
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"a key twice: {keys}"
    return dict(pairs)


def test_the_schema_the_docs_read_names_no_key_twice(db):
    # Swagger UI refuses a whole definition with a key twice ("duplicated mapping key")
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = json.loads(response.content, object_pairs_hook=_no_key_twice)
    assert schema["info"]["title"] == "Readiness API"
    pdf = schema["paths"]["/api/v1/reports/{report_id}/pdf"]["get"]["responses"]
    assert pdf["200"] == {
        "description": "The PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
    assert "409" in pdf


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_in_chromium(live_server, transactional_db, chromium):
    """In the suite's one browser (tests/browser_fixtures.py): a second Playwright started
    inside the first one's event loop refused to run, depending on the tests' order."""
    from playwright.sync_api import expect

    blocked, errors, elsewhere = [], [], []
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "console",
            lambda m: (
                blocked.append(m.text)
                if "Content Security Policy" in m.text or "Refused to" in m.text
                else None
            ),
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith((live_server.url, "data:")) else elsewhere.append(r.url)
            ),
        )

        page.goto(f"{live_server.url}{DOCS}")

        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Readiness API")
        expect(page.locator(".opblock").first).to_be_visible()
        assert page.locator(".opblock").count() > 10
        page.screenshot(path=f"{SHOTS}/readiness-api-docs.png")
        expect(page.locator(".opblock-summary-path", has_text="/metrics").first).to_be_visible()
    finally:
        context.close()

    assert not blocked, f"the content security policy blocked: {blocked}"
    assert not errors, f"script errors: {errors}"
    assert not elsewhere, f"requests to other hosts: {elsewhere}"
