"""The demo organization's main pages, for the browser tests that look at every page as every
demo login (tests/browser/test_accessibility.py, tests/browser/test_layout_widths.py).

`seed_demo` writes the demo through the services; a board report is then requested and rendered
here (no worker runs in the tests), so the reports pages show a finished report.
"""

from contextlib import contextmanager

from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Organization
from accounts.selectors import member_get
from agents.models import Agent
from assessments.models import Assessment
from overview.management.commands.seed_demo import DEMO_SLUG, DEMO_USERS, password_for
from reports import services as report_services

LOGINS = tuple(DEMO_USERS)  # admin, assessor, approver, operator, viewer, cto
EVERY_ROLE = "cto"


def seed(settings, tmp_path) -> dict[str, str]:
    """Seed the demo and answer {page name: path} for every main page."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=_Quiet())
    organization = Organization.objects.get(slug=DEMO_SLUG)
    viewer = member_get(organization=organization, username="viewer")
    report = report_services.report_request(membership=viewer, title="Demo board pack")
    report_services.report_render(report_id=report.pk)
    agents = {a.name: a.pk for a in Agent.objects.filter(organization=organization)}
    in_production = agents["Refund triage"]
    assessments = {a.title: a.pk for a in Assessment.objects.filter(organization=organization)}
    draft = assessments["Quarterly reassessment"]
    submitted = assessments["Pre-production review"]
    return {
        "overview": "/",
        "assessments list": "/assessments/",
        "assessment step": f"/assessments/{draft}/step/1/",
        "assessment result": f"/assessments/{submitted}/",
        "draft assessment": f"/assessments/{draft}/",
        "gate board": "/agents/board/",
        "agent page": f"/agents/{in_production}/",
        "suspended agent page": f"/agents/{agents['Claims intake']}/",
        "gate page": f"/agents/{in_production}/gates/4/",
        "gate page under review": f"/agents/{agents['Sales email drafter']}/gates/1/",
        "suspend page": f"/agents/{in_production}/suspend/",
        "outcomes page": f"/agents/{in_production}/metrics/",
        "permissions": "/agents/permissions/",
        "reports list": "/reports/",
        "report page": f"/reports/{report.pk}/",
        "members": "/members/",
        "audit log": "/audit/",
        "notifications": "/notifications/",
        "webhooks": "/webhooks/",
        "profile": "/profile/",
    }


class _Quiet:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password_for(username))
    page.get_by_role("button", name="Sign in").click()
    # Attached, not visible: below the lg breakpoint the navigation is collapsed.
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()


@contextmanager
def browser_page(chromium, *, width: int, height: int, init_script=None):
    """A page in a fresh context of the given size; fails if the content security policy
    blocked anything the page needed (as tests/browser_fixtures.py's `page`)."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    if init_script is not None:
        # Init scripts go in through the DevTools protocol, not the page: the content security
        # policy (script-src 'self') is left as it is for the page's own scripts.
        context.add_init_script(path=str(init_script))
    page = context.new_page()
    page.set_default_timeout(15_000)
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not blocked, f"the content security policy blocked: {blocked}"
