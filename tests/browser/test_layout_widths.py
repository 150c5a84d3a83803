"""The demo's pages at a laptop width (1366 × 768) and a phone width (390 × 844): the navigation
on one line for a member with every role, nothing cut off at 1366, nothing that makes the whole
page scroll sideways at 390, charts that scale to the width, the live result in view while
scoring on a phone. Screenshots go to /tmp (READINESS_SCREENSHOTS), never into the repository.
"""

import os

import pytest
from playwright.sync_api import expect

from .demo_pages import EVERY_ROLE, browser_page, seed, sign_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("READINESS_SCREENSHOTS", "/tmp")
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ONE_LINE = 70  # px: the navbar is about 56 px high on one line, over 80 on two

SIDEWAYS = "document.documentElement.scrollWidth - window.innerWidth"
# Wrappers whose content is wider than they are: at 1366 that content is cut off from view.
CUT_OFF = """() => [...document.querySelectorAll('main .table-responsive, main figure')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => (el.closest('section[aria-labelledby]') || el).getAttribute('aria-labelledby')
             || el.className)"""
NAV_HEIGHT = "document.querySelector('nav.navbar').getBoundingClientRect().height"


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    return seed(settings, tmp_path)


def _shot(page, name):
    page.screenshot(path=os.path.join(SHOTS, f"readiness-layout-{name}.png"), full_page=True)


def test_at_1366_the_navigation_is_one_line_and_nothing_is_cut_off(live_server, chromium, demo):
    for login in (EVERY_ROLE, "operator"):
        with browser_page(chromium, **LAPTOP) as page:
            # Given the member with every role (and the operator, whose board has Suspend)
            sign_in(page, live_server.url, login)
            for name, path in demo.items():
                # When they open each main page at 1366 px
                page.goto(f"{live_server.url}{path}")
                # Then the navigation stays on one line and no wrapper hides part of a table
                assert page.evaluate(NAV_HEIGHT) < ONE_LINE, f"{name}: the navigation wraps"
                assert page.evaluate(SIDEWAYS) <= 0, f"{name} scrolls sideways at 1366"
                assert page.evaluate(CUT_OFF) == [], f"{name} as {login}: cut off at 1366"
                if name in ("gate board", "agent page"):
                    _shot(page, f"{login}-1366-{name.replace(' ', '-')}")
            if login == "operator":
                # And the operator's Suspend buttons are inside the window, not beyond it
                page.goto(f"{live_server.url}{demo['gate board']}")
                for button in page.get_by_role("link", name="Suspend").all():
                    box = button.bounding_box()
                    assert box is not None
                    assert box["x"] + box["width"] <= LAPTOP["width"]


def test_at_390_no_page_scrolls_sideways(live_server, chromium, demo):
    with browser_page(chromium, **PHONE) as page:
        # Given the member with every role on a phone
        sign_in(page, live_server.url, EVERY_ROLE)
        wide = []
        for name, path in demo.items():
            # When they open each main page
            page.goto(f"{live_server.url}{path}")
            # Then the page is no wider than the screen (wide tables scroll inside their box)
            if page.evaluate(SIDEWAYS) > 0:
                wide.append(f"{name} ({page.evaluate('document.documentElement.scrollWidth')}px)")
            if name in ("gate board", "agent page", "outcomes page"):
                _shot(page, f"{EVERY_ROLE}-390-{name.replace(' ', '-')}")
        assert wide == [], f"wider than 390 px: {wide}"

        # And the gate board and the agent page, named in the issue, in particular
        for name in ("gate board", "agent page", "suspended agent page"):
            page.goto(f"{live_server.url}{demo[name]}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= page.evaluate("window.innerWidth"), name


def test_charts_scale_to_the_width_of_a_phone(live_server, chromium, demo):
    with browser_page(chromium, **PHONE) as page:
        sign_in(page, live_server.url, EVERY_ROLE)
        for name in ("overview", "assessment result", "outcomes page"):
            page.goto(f"{live_server.url}{demo[name]}")
            charts = page.locator("main svg[role=img]")
            assert charts.count() > 0, name
            for chart in charts.all():
                # Each chart fits its column: drawn from its viewBox, no wider than its parent
                assert chart.get_attribute("viewBox")
                fits = chart.evaluate(
                    "svg => svg.getBoundingClientRect().width"
                    " <= svg.parentElement.clientWidth + 0.5"
                )
                assert fits, f"a chart on {name} is wider than its column"
                assert chart.bounding_box()["width"] <= PHONE["width"]


def test_the_live_result_stays_in_view_while_scoring_on_a_phone(live_server, chromium, demo):
    with browser_page(chromium, **PHONE) as page:
        # Given an assessor on the first step of the demo's draft, on a phone
        sign_in(page, live_server.url, "assessor")
        page.goto(f"{live_server.url}{demo['assessment step']}")
        result = page.locator("#live-result")

        # When they scroll down the form and choose a score
        page.mouse.wheel(0, 900)
        page.click("label[for='id_ownership_4']")
        expect(result).to_contain_text("includes unsaved choices")

        # Then the live result (now counting the unsaved choice) is on screen with its total
        box = result.bounding_box()
        assert box is not None
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= PHONE["height"]
        assert page.locator("#live-result .fs-5").first.is_visible()
        # And the radio they chose is not hidden under it
        chosen = page.locator("label[for='id_ownership_4']").bounding_box()
        assert chosen["y"] + chosen["height"] <= box["y"]
        page.screenshot(path=os.path.join(SHOTS, "readiness-layout-step-390-scoring.png"))

        # And further down the form it is still there
        page.mouse.wheel(0, 700)
        page.wait_for_timeout(200)
        box = result.bounding_box()
        assert 0 <= box["y"] < PHONE["height"]


def test_one_name_per_page_in_the_navigation(live_server, chromium, demo):
    with browser_page(chromium, **LAPTOP) as page:
        sign_in(page, live_server.url, EVERY_ROLE)
        links = page.locator("#nav > ul.me-auto > li > a.nav-link")
        # "Agents" (/agents/, which redirects) and "Gate board" were two names for one page
        names = [name.strip() for name in links.all_inner_texts()]
        hrefs = [link.get_attribute("href") for link in links.all()]
        assert "Gate board" in names
        assert "Agents" not in names
        assert len(set(hrefs)) == len(hrefs), hrefs
        # And an agent's pages are under the gate board in the navigation
        page.goto(f"{live_server.url}{demo['agent page']}")
        active = page.locator("#nav a.nav-link.active")
        assert active.all_inner_texts() == ["Gate board"]
