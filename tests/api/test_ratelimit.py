"""Rate limits on the API and on report requests, and none on browsing: each token may make
RATE_LIMIT_API requests a window (1,200 a minute by default), counted after authentication
(401 first); a member may ask for RATE_LIMIT_REPORTS reports (20 an hour), on the page or the
API alike. Past a limit: 429 with Retry-After, {"detail"} on the API."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import caches

from accounts.models import ApiToken
from core import ratelimit
from killswitch.services import agent_token_create
from tests.conftest import ApiClient

# The start of an hour (and so of a minute).
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def ratelimit_cache(settings):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    caches[ratelimit.CACHE_ALIAS].clear()
    yield
    caches[ratelimit.CACHE_ALIAS].clear()


@pytest.fixture
def at_t0():
    with time_machine.travel(T0 + timedelta(seconds=15), tick=False) as traveller:
        yield traveller


def test_the_defaults(settings):
    assert settings.RATE_LIMIT_API == "1200/60"
    assert settings.RATE_LIMIT_REPORTS == "20/3600"
    assert settings.RATE_LIMIT_SIGNIN == "10/60"
    assert settings.CLIENT_IP_HEADER == ""


def test_a_token_past_its_limit_is_answered_429_with_retry_after(
    assessor, api_for, settings, at_t0
):
    settings.RATE_LIMIT_API = "3/60"
    api = api_for(assessor)

    answers = [api.get("/api/v1/framework") for _ in range(3)]
    refused = api.get("/api/v1/framework")

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json() == {"detail": "Too many requests with this token. Retry in 45 seconds."}
    assert not answers[-1].has_header("Retry-After")


def test_the_default_allows_1200_a_minute(assessor, api_for, settings, at_t0):
    # the same counter as the API's, without 1,200 requests: 1,199 hits counted already
    api = api_for(assessor)
    token_hash = ApiToken.objects.get(membership=assessor).key_hash
    for _ in range(1199):
        ratelimit.hit("api", token_hash, settings.RATE_LIMIT_API)

    assert api.get("/api/v1/framework").status_code == 200
    assert api.get("/api/v1/framework").status_code == 429


def test_the_limit_lifts_in_the_next_window(assessor, api_for, settings, at_t0):
    settings.RATE_LIMIT_API = "1/60"
    api = api_for(assessor)
    api.get("/api/v1/framework")
    assert api.get("/api/v1/framework").status_code == 429

    at_t0.move_to(T0 + timedelta(seconds=60))

    assert api.get("/api/v1/framework").status_code == 200


def test_each_token_counts_apart(assessor, viewer, api_for, settings, at_t0):
    settings.RATE_LIMIT_API = "1/60"
    first, second, other_member = api_for(assessor), api_for(assessor), api_for(viewer)
    first.get("/api/v1/framework")

    assert first.get("/api/v1/framework").status_code == 429
    assert second.get("/api/v1/framework").status_code == 200
    assert other_member.get("/api/v1/framework").status_code == 200


def test_no_valid_token_is_401_and_counts_nothing(assessor, api_for, settings, at_t0):
    settings.RATE_LIMIT_API = "1/60"
    stranger = ApiClient("rdy_not-a-token")

    assert {stranger.get("/api/v1/framework").status_code for _ in range(5)} == {401}
    assert {ApiClient(None).get("/api/v1/framework").status_code for _ in range(5)} == {401}
    assert api_for(assessor).get("/api/v1/framework").status_code == 200


def test_the_limit_comes_after_authentication_and_before_404_and_403(
    viewer, api_for, settings, at_t0
):
    settings.RATE_LIMIT_API = "1/60"
    api = api_for(viewer)
    assert api.get("/api/v1/agents/999999").status_code == 404

    assert api.get("/api/v1/agents/999999").status_code == 429
    assert api.post("/api/v1/assessments", {"title": "x"}).status_code == 429


def test_a_runtime_token_has_its_own_allowance(admin, agent, settings, at_t0):
    settings.RATE_LIMIT_RUNTIME = "2/60"
    settings.RATE_LIMIT_API = "1/60"
    _, raw = agent_token_create(agent=agent, membership=admin)
    runtime = ApiClient(raw)
    path = f"/api/v1/agents/{agent.pk}/status"

    answers = [runtime.get(path).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert runtime.get(path)["Retry-After"] == "45"


# --------------------------------------------------------------------------- report requests


def test_a_member_past_the_report_limit_gets_429_from_the_api(viewer, api_for, settings, at_t0):
    settings.RATE_LIMIT_REPORTS = "2/3600"
    api = api_for(viewer)

    answers = [api.post("/api/v1/reports", {}).status_code for _ in range(2)]
    refused = api.post("/api/v1/reports", {})

    assert answers == [202, 202]
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(3600 - 15)
    assert refused.json()["detail"].startswith("Too many report requests from this member.")
    # another token of the same member counts with it; reading reports does not count
    assert api_for(viewer).post("/api/v1/reports", {}).status_code == 429
    assert api.get("/api/v1/reports").status_code == 200

    at_t0.move_to(T0 + timedelta(hours=1))
    assert api.post("/api/v1/reports", {}).status_code == 202


def test_report_limits_are_per_member(viewer, assessor, api_for, settings, at_t0):
    settings.RATE_LIMIT_REPORTS = "1/3600"
    api_for(viewer).post("/api/v1/reports", {})

    assert api_for(viewer).post("/api/v1/reports", {}).status_code == 429
    assert api_for(assessor).post("/api/v1/reports", {}).status_code == 202


def test_a_refused_body_does_not_count_as_a_report_request(viewer, api_for, settings, at_t0):
    settings.RATE_LIMIT_REPORTS = "1/3600"
    api = api_for(viewer)

    assert api.post("/api/v1/reports", {"period_start": "soon"}).status_code == 400
    assert api.post("/api/v1/reports", {}).status_code == 202


def test_the_report_page_past_the_limit_shows_the_form_with_a_message(
    viewer, client_for, api_for, settings, at_t0
):
    settings.RATE_LIMIT_REPORTS = "2/3600"
    client = client_for(viewer)
    assert client.post("/reports/", {"title": "One"}).status_code == 302
    # the page and the API share the member's count
    assert api_for(viewer).post("/api/v1/reports", {}).status_code == 202

    refused = client.post("/reports/", {"title": "Three"})

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(3600 - 15)
    page = refused.content.decode()
    assert "Too many report requests for now. Try again in 60 minutes." in page
    assert 'value="Three"' in page
    assert client.get("/reports/").status_code == 200


# --------------------------------------------------------------------------- browsing


def test_pages_a_signed_in_member_browses_are_never_limited(
    admin, agent, client_for, settings, at_t0
):
    settings.RATE_LIMIT_API = "1/60"
    settings.RATE_LIMIT_REPORTS = "1/3600"
    settings.RATE_LIMIT_SIGNIN = "1/60"
    client = client_for(admin)
    pages = ["/", "/assessments/", "/agents/board/", f"/agents/{agent.pk}/", "/reports/"]

    statuses = {client.get(page).status_code for _ in range(15) for page in pages}

    assert statuses == {200}
