"""Member pages served from the page cache (core/page_cache.py): never after a write, never
to another member, organization or browser, never in place of a message."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.models import Agent
from core.freshness import bump
from tests.helpers import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _version_row(db):
    """A transactional test elsewhere may have flushed the version's row: bring it back."""
    bump()


def _pages_kept() -> int:
    return len(caches["pages"]._cache)


@pytest.fixture
def browser_of(client_for):
    """A signed-in browser as it is after its first page: holding its CSRF cookie (a page
    drawn while it had none made it a new one, and is not kept)."""

    def make(membership) -> Client:
        client = client_for(membership)
        client.get("/notifications/")
        assert client.cookies.get("csrftoken")
        return client

    return make


def test_a_page_that_gave_the_browser_its_csrf_cookie_is_not_kept(admin, agent, client_for):
    client = client_for(admin)
    client.get("/agents/board/")
    assert _pages_kept() == 0
    client.get("/agents/board/")
    assert _pages_kept() == 1


def test_a_second_visit_is_served_from_the_cache(
    admin, agent, browser_of, django_assert_max_num_queries
):
    client = browser_of(admin)
    first = client.get("/agents/board/")
    assert first.status_code == 200
    assert _pages_kept() == 1
    # Session, user and membership (with the data version): nothing the page itself reads.
    with django_assert_max_num_queries(3):
        second = client.get("/agents/board/")
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_a_write_of_any_kind_shows_at_once(admin, agent, browser_of):
    client = browser_of(admin)
    assert "Invoice triage" in client.get(f"/agents/{agent.pk}/").content.decode()
    Agent.objects.filter(pk=agent.pk).update(name="Refund triage")  # a bulk write, no signal
    page = client.get(f"/agents/{agent.pk}/").content.decode()
    assert "Refund triage" in page
    assert "Invoice triage" not in page
    assert "Refund triage" in client.get("/agents/board/").content.decode()


def test_each_member_has_their_own_copy(assessor, viewer, agent, browser_of):
    assert "Register agent" in browser_of(assessor).get("/agents/board/").content.decode()
    assert "Register agent" not in browser_of(viewer).get("/agents/board/").content.decode()
    assert _pages_kept() == 2


def test_another_organizations_agent_stays_a_404(admin, other_assessor, agent, browser_of):
    assert browser_of(admin).get(f"/agents/{agent.pk}/").status_code == 200
    other = browser_of(other_assessor)
    assert other.get(f"/agents/{agent.pk}/").status_code == 404
    assert other.get(f"/agents/{agent.pk}/").status_code == 404


def test_the_query_string_is_part_of_the_key(admin, agent, browser_of):
    client = browser_of(admin)
    assert "Invoice triage" in client.get("/agents/board/").content.decode()
    filtered = client.get("/agents/board/?suspended=yes").content.decode()
    assert "Invoice triage" not in filtered


def test_a_waiting_message_is_shown_though_the_page_was_kept(admin, agent, browser_of):
    client = browser_of(admin)
    client.get(f"/agents/{agent.pk}/")
    # A GET of a button's address adds a message and writes nothing (core/middleware.py).
    redirect = client.get(f"/agents/{agent.pk}/resume/")
    assert redirect.status_code == 302
    page = client.get(redirect["Location"]).content.decode()
    assert "That address belongs to a button" in page
    assert (
        "That address belongs to a button" not in client.get(redirect["Location"]).content.decode()
    )


def _token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_each_browser_gets_forms_for_its_own_csrf_cookie(org, make_member, agent):
    """Two browsers of the same member: the page kept for one carries a token the other's
    cookie would refuse, so each has its own copy, and each one's form posts."""
    everything = make_member(org, "assessor", "admin", "approver", "operator", username="eve")
    browsers = []
    for _ in range(2):  # signing in writes (the last login): both first, then the pages
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(everything.user)
        browser.get("/")  # the first page sets the browser's CSRF cookie
        browsers.append(browser)
    pages = [
        (browser, browser.get(f"/agents/{agent.pk}/").content.decode()) for browser in browsers
    ]
    assert _pages_kept() == 2
    assert _token(pages[0][1]) != _token(pages[1][1])
    for browser, page in pages:
        response = browser.post(
            f"/agents/{agent.pk}/tokens/",
            {"csrfmiddlewaretoken": _token(page), "label": "runtime"},
        )
        assert response.status_code != 403  # a refused CSRF token (the member may post)


def _queries_of(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_what_time_alone_changes_shows_within_the_cache_time(admin, agent, browser_of):
    client = browser_of(admin)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        drawn = _queries_of(client, "/agents/board/")
        clock.shift(timedelta(seconds=59))
        assert _queries_of(client, "/agents/board/") <= 3  # still the kept copy
        clock.shift(timedelta(seconds=2))
        assert _queries_of(client, "/agents/board/") == drawn  # drawn afresh


@override_settings(READINESS_PAGE_CACHE_SECONDS=0)
def test_a_cache_time_of_zero_turns_it_off(admin, agent, browser_of):
    browser_of(admin).get("/agents/board/")
    assert _pages_kept() == 0


def test_pages_that_change_state_are_never_kept(admin, agent, browser_of):
    response = browser_of(admin).post(f"/agents/{agent.pk}/resume/")
    assert response.status_code in (302, 400, 403, 409)
    assert _pages_kept() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/agents/board/",
        "/agents/work/",
        "/assessments/",
        "/agents/{pk}/",
        "/agents/{pk}/metrics/",
    ],
)
def test_the_main_pages_are_kept(path, admin, browser_of, assessor):
    agent = make_agent(assessor, name="Kept agent")
    assert browser_of(admin).get(path.format(pk=agent.pk)).status_code == 200
    assert _pages_kept() == 1


def test_the_scheme_and_host_are_part_of_the_key(admin, agent, browser_of):
    """The agent page prints absolute addresses (the OTLP endpoint): a copy drawn for one
    host is never served for another."""
    client = browser_of(admin)
    client.get(f"/agents/{agent.pk}/", HTTP_HOST="internal.example")
    page = client.get(f"/agents/{agent.pk}/", HTTP_HOST="public.example", secure=True)
    assert "https://public.example/api/v1/otlp" in page.content.decode()
    assert "internal.example" not in page.content.decode()


def test_a_page_that_changed_the_session_is_not_kept(admin, agent, browser_of, monkeypatch):
    from core import page_cache

    client = browser_of(admin)
    real = page_cache._storable

    def after_a_session_change(request, response, csrf_before):
        request.session["shown_once"] = True
        return real(request, response, csrf_before)

    monkeypatch.setattr(page_cache, "_storable", after_a_session_change)
    client.get("/agents/board/")
    assert _pages_kept() == 0


def test_a_version_that_went_back_drops_the_processs_copies(admin, agent, browser_of):
    from core import page_cache

    client = browser_of(admin)
    client.get("/agents/board/")
    assert _pages_kept() == 1
    page_cache._forget_if_went_back(page_cache._highest_seen - 1)  # a database restored
    assert _pages_kept() == 0
