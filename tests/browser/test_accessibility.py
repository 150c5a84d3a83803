"""axe-core over every main page of the demo, as every demo login, at a desktop and a phone
width: no WCAG 2 A or AA violation of impact serious or critical.

axe-core comes from tests/browser/axe (npm ci, which `make test` runs); without it the test is
skipped on a developer's machine and fails in CI.
"""

import os
from pathlib import Path

import pytest

from .demo_pages import LOGINS, browser_page, seed, sign_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser]

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Every login at the desktop width; at the phone width (the navigation collapsed, the same pages
# stacked) the member with every role and the one with the fewest.
WIDTHS = {"desktop": ((1366, 768), LOGINS), "phone": ((390, 844), ("cto", "viewer"))}

RUN_AXE = """async () => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def axe_script():
    if not AXE.is_file():
        reason = f"{AXE} is missing: run `npm ci --prefix tests/browser/axe` (make test does)"
        if _in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE


def _violations(page) -> list[dict]:
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


def _describe(where: str, violation: dict) -> str:
    nodes = "; ".join(
        f"{node['target']} ({node['summary'].splitlines()[-1].strip()})"
        for node in violation["nodes"][:5]
    )
    more = len(violation["nodes"]) - 5
    extra = f" and {more} more" if more > 0 else ""
    return f"{where}: {violation['id']} [{violation['impact']}] {violation['help']}: {nodes}{extra}"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_serious_or_critical_axe_violation_on_any_demo_page(
    live_server, chromium, axe_script, transactional_db, settings, tmp_path, width
):
    # Given the demo organization, with a finished board report
    pages = seed(settings, tmp_path)
    found: list[str] = []
    checked = 0
    (w, h), logins = WIDTHS[width]
    for login in logins:
        with browser_page(chromium, width=w, height=h, init_script=axe_script) as page:
            # When each demo login opens every main page (the ones its roles may not open
            # answer 403: that page must be accessible too)
            sign_in(page, live_server.url, login)
            for name, path in pages.items():
                page.goto(f"{live_server.url}{path}")  # waits for the load event
                checked += 1
                found.extend(
                    _describe(f"{name} ({path}) as {login} at {w}px", violation)
                    for violation in _violations(page)
                )
    # Then axe finds nothing serious or critical on any of them
    assert checked == len(logins) * len(pages)
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)


def test_axe_reports_a_contrast_failure_it_is_shown(
    live_server, chromium, axe_script, transactional_db
):
    # Given a page of our own stylesheet with pale grey text on white (a known failure)
    with browser_page(chromium, width=800, height=600, init_script=axe_script) as page:
        page.goto(f"{live_server.url}/login/")
        page.evaluate(
            "() => { const p = document.createElement('p'); p.textContent = 'Too pale to read';"
            " p.style.color = '#dddddd'; p.style.background = '#ffffff';"
            " document.querySelector('main').append(p); }"
        )
        # When axe runs, then the check that guards every page reports it
        ids = {violation["id"] for violation in _violations(page)}
    assert "color-contrast" in ids
