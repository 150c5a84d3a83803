"""A real OpenID Connect provider for the tests: tests/sso/provider/provider.mjs
(oidc-provider on Node) started on a free loopback port, and a sign-in through its real
endpoints over HTTP, as a browser would, with Django's test client on our side."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parent / "provider"
CLIENT_ID = "readiness-tests"
CLIENT_SECRET = "a-test-only-client-secret"
TEST_CALLBACK = "http://testserver/sso/callback/"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str):
    if in_ci():
        pytest.fail(f"{reason} (CI installs it: make test runs npm ci in {PROVIDER_DIR})")
    pytest.skip(f"{reason}: run `npm ci --prefix tests/sso/provider` (make test does)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Provider:
    def __init__(self, issuer: str, users_file: Path):
        self.issuer = issuer
        self.users_file = users_file

    def set_users(self, users: dict) -> None:
        """The provider's directory: login → sub, email, preferred_username, groups. Read
        again at every sign-in."""
        self.users_file.write_text(json.dumps(users), encoding="utf-8")

    def set_groups(self, login: str, groups: list[str]) -> None:
        users = json.loads(self.users_file.read_text(encoding="utf-8"))
        users[login]["groups"] = groups
        self.set_users(users)


@contextmanager
def provider_running(folder: Path, redirect_uris: list[str]):
    """Start provider.mjs on a free port; yield a Provider once discovery answers."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        _unavailable(f"{PROVIDER_DIR}/node_modules is missing")
    port = _free_port()
    users_file = folder / "users.json"
    users_file.write_text("{}", encoding="utf-8")
    config = folder / "provider.json"
    config.write_text(
        json.dumps(
            {
                "clients": [
                    {
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "redirect_uris": redirect_uris,
                    }
                ],
                "users": str(users_file),
            }
        ),
        encoding="utf-8",
    )
    log = (folder / "provider.log").open("w")
    process = subprocess.Popen(
        [node, str(PROVIDER_DIR / "provider.mjs"), str(port), str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=PROVIDER_DIR,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (folder / "provider.log").read_text()
                pytest.fail(f"the OpenID Connect provider did not start:\n{output}")
            time.sleep(0.1)
        yield Provider(issuer, users_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.IGNORECASE)


def browser_walk(start_url: str, login: str, stop_prefix: str) -> str:
    """Follow the provider's redirects from the authorization URL, fill its login form with
    `login`, and return the URL it sends the browser back to (starting with stop_prefix)."""
    browser = requests.Session()
    url, method, data = start_url, "get", None
    for _ in range(20):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            method, data = "get", None
            if url.startswith(stop_prefix):
                return url
            continue
        form = FORM.search(response.text)
        assert response.status_code == 200, f"the provider answered: {response.text[:500]}"
        assert form, f"no form on the provider's page: {response.text[:500]}"
        url = urljoin(url, unescape(form.group(1)))
        method = "post"
        data = {"prompt": "login", "login": login, "password": "any"}
    raise AssertionError("the provider never sent the browser back")


def sign_in(client, login: str, *, next_url: str = "", before_callback=None):
    """An SSO sign-in through the real provider; returns our callback's response.
    `before_callback(client, callback_url)` may change the session first (a test's tamper)."""
    start = client.get("/sso/login/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.content[:500]
    callback_url = browser_walk(start["Location"], login, TEST_CALLBACK)
    if before_callback is not None:
        callback_url = before_callback(client, callback_url) or callback_url
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")
